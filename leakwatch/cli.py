"""The ``leakwatch`` command: read JSON reports after the run (CI artifacts, PR bots).

    leakwatch show REPORT.json [--format table|markdown]
    leakwatch diff OLD.json NEW.json [--format table|markdown] [--fail-on-new]
    leakwatch html REPORT.json -o leaks.html

Reports are validated against the report schema first, so a truncated artifact
or the wrong file is one clear error (exit 2), not a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tabulate import tabulate

from .report import html as html_report
from .report import locate, markdown


class ReportError(Exception):
    pass


def load(path: str) -> dict[str, Any]:
    from .report.json_report import schema

    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ReportError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("leaks"), list) \
            or data.get("tool", {}).get("name") != "leakwatch":
        raise ReportError(f"{path} is not a leakwatch report (no tool.name 'leakwatch' / leaks list)")
    try:
        import jsonschema  # type: ignore[import-untyped,unused-ignore]  # `test` extra; without it the check above is all we do
    except ImportError:  # pragma: no cover - depends on the environment
        return dict(data)
    try:
        jsonschema.validate(data, schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise ReportError(f"{path} is not a leakwatch report: {where}: {exc.message}") from None
    return dict(data)


def table(report: dict[str, Any]) -> str:
    lines = locate.test_lines(report)
    rows = []
    for f in report.get("leaks", []):
        where = locate.place(f, report, lines)
        kind = f["kind"] + ("" if f["severity"] == "leak" else f" ({f['severity']})")
        rows.append([f["test"], kind, f["subject"], f["change"],
                     f"{where.path}:{where.line}" if where.line else where.path])
    text = tabulate(rows, headers=["test", "kind", "subject", "change", "where"], tablefmt="simple",
                    maxcolwidths=[50, 20, 50, 60, 40]) if rows else "no findings"
    return text + "\n" + "leakwatch: " + markdown.summary_text(report) + "\n"


def diff_table(parts: dict[str, list[dict[str, Any]]]) -> str:
    rows = [[name, f["id"], f["test"], f["kind"], f["subject"]]
            for name in ("new", "fixed", "unchanged") for f in parts[name]]
    head = (f"{len(parts['new'])} new, {len(parts['fixed'])} fixed, "
            f"{len(parts['unchanged'])} unchanged\n")
    if not rows:
        return head
    return tabulate(rows, headers=["", "id", "test", "kind", "subject"], tablefmt="simple",
                    maxcolwidths=[9, 32, 50, 20, 50]) + "\n" + head


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leakwatch", description="Read leakwatch JSON reports.")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print a report's findings")
    show.add_argument("report")
    show.add_argument("--format", choices=("table", "markdown"), default="table")
    diff = sub.add_parser("diff", help="compare two reports by finding id")
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("--format", choices=("table", "markdown"), default="table")
    diff.add_argument("--fail-on-new", action="store_true", help="exit 1 when NEW has new findings")
    page = sub.add_parser("html", help="write a self-contained HTML leak timeline")
    page.add_argument("report")
    page.add_argument("-o", "--output", required=True, help="the HTML file to write")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "show":
            report = load(args.report)
            sys.stdout.write(markdown.render(report) if args.format == "markdown" else table(report))
            return 0
        if args.command == "diff":
            parts = markdown.diff(load(args.old), load(args.new))
            sys.stdout.write(markdown.render_diff(parts) if args.format == "markdown"
                             else diff_table(parts))
            return 1 if args.fail_on_new and parts["new"] else 0
        report = load(args.report)
        out = Path(args.output)
        try:
            out.write_text(html_report.render(report), "utf-8")
        except OSError as exc:
            raise ReportError(f"cannot write {out}: {exc.strerror or exc}") from None
        sys.stdout.write(f"wrote {out}\n")
        return 0
    except ReportError as exc:
        sys.stderr.write(f"leakwatch: error: {exc}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
