"""GitHub Actions: workflow annotations and the job summary, rendered from the JSON report.

Annotations (``::error file=..,line=..::msg``) put each leak on the line that made it
in the PR's diff view; the markdown summary lands on the run's page. Only
``leak`` and ``warning`` findings are annotated (``info`` is noise in a PR).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

#: GitHub shows only the first few annotations of a step; past this, one notice says how many.
MAX_ANNOTATIONS = 50


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_commands(report: dict[str, Any]) -> list[str]:
    from . import locate  # imported when GitHub output is on, not by every run

    out: list[str] = []
    lines = locate.test_lines(report)
    severe = [f for f in report.get("leaks", []) if f["severity"] in ("leak", "warning")]
    for f in severe[:MAX_ANNOTATIONS]:
        command = "error" if f["severity"] == "leak" else "warning"
        where = locate.place(f, report, lines)
        props = [f"file={_prop(where.path)}"]
        if where.line:
            props.append(f"line={where.line}")
        title = "leakwatch " + f["kind"] + " leak"
        props.append(f"title={_prop(title)}")
        out.append(f"::{command} {','.join(props)}::{_data(locate.message(f))}")
    if len(severe) > MAX_ANNOTATIONS:
        out.append(f"::notice title=leakwatch::{len(severe) - MAX_ANNOTATIONS} more findings "
                   "in the leakwatch report")
    return out


def write_step_summary(report: dict[str, Any], environ: Mapping[str, str] = os.environ) -> bool:
    """Append the markdown summary to ``$GITHUB_STEP_SUMMARY``; False when it is not set."""
    from . import markdown

    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(markdown.render(report) + "\n")
    return True
