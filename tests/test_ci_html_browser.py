"""The HTML leak timeline in a real headless browser (Debian's chromium).

Skipped, with the reason, where chromium is not installed: ``.ci/run`` does not
install it (``apt-get install chromium`` to run this locally). The screenshot is
kept under pytest's tmp dir as an artifact and its path printed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import Suite
from test_ci_xdist import PLANTED, SECRET_VALUE

from leakwatch import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (apt-get install chromium); .ci/run does not need it")


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120, check=False)


def test_timeline_renders_lanes_and_victims(app_suite: Suite, tmp_path: Path) -> None:
    run = app_suite.files(**PLANTED).run("-n", "2")
    assert run.report is not None
    report = run.report
    # What the victims ledger may add: a cleaner on one finding, a victim on another.
    env = next(f for f in report["leaks"] if f["kind"] == "env")
    mock = next(f for f in report["leaks"] if f["kind"] == "mock")
    same_worker = [t["nodeid"] for t in report["tests"] if t["worker"] == env["detail"]["worker"]]
    after_env = same_worker[same_worker.index(env["test"]) + 1:]
    if after_env:
        env["detail"]["cleaner"] = after_env[-1]
    report["victims"] = [{"test": report["tests"][-1]["nodeid"], "confirmed": None, "suspects": [
        {"test": mock["test"], "leak_id": mock["id"], "kind": "mock", "subject": mock["subject"]}]}]
    report_path = tmp_path / "report.json"
    report_path.write_text(json.dumps(report))
    page = tmp_path / "leaks.html"
    assert cli.main(["html", str(report_path), "-o", str(page)]) == 0

    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'data-rendered="yes"' in html  # the script ran to its end
    lanes = re.findall(r'<div class="lane( open-end)?" data-id="([^"]+)"', html)
    assert sorted(i for _, i in lanes) == sorted(f["id"] for f in report["leaks"])
    closed = [i for end, i in lanes if not end]
    assert closed == ([env["id"]] if after_env else [])  # only the cleaned leak stops early
    assert len(re.findall(r'class="victim"', html)) == 1
    assert len(re.findall(r'class="tick ', html)) == len(report["tests"])
    assert len(re.findall(r'class="band"', html)) == len({t["worker"] for t in report["tests"]})
    assert SECRET_VALUE not in html

    shot = tmp_path / "leak-timeline.png"
    done = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,800", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 5000  # a page, not a blank image
    print(f"leak timeline screenshot: {shot}")
