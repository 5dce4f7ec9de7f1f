"""A self-contained HTML page of a run, rendered from the JSON report: the leak timeline.

Tests run in order along the x axis; each finding is a lane from the test (or
fixture) that polluted to the test that cleaned it up, when the report knows one
(the victims ledger's ``cleaner``), else to the end of the run -- or, under
xdist, to the end of that worker's share, since a leak never crosses processes.
Victims (a report's ``victims`` list) are marked on the lane of the leak that
hurt them. Hover shows a finding, click pins it. No network: CSS, script and
data are inline, so the file works as a CI artifact opened from disk.
"""

from __future__ import annotations

import html
import json
from typing import Any

from . import locate, markdown

_CSS = """
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 4px} .summary{color:#555;margin-bottom:12px}
#timeline{position:relative;border:1px solid #ccc;background:#fafafa;overflow-x:auto;padding:4px 0}
#timeline .axis{position:relative;height:18px;border-bottom:1px solid #ddd}
#timeline .tick{position:absolute;top:2px;height:14px;background:#9ab;border-radius:2px}
#timeline .tick.failed{background:#d33} #timeline .tick.skipped,#timeline .tick.xfailed{background:#ccc}
#timeline .band{position:absolute;top:0;bottom:0;border-left:2px dashed #bbb}
#timeline .band span{position:absolute;top:0;left:2px;font-size:10px;color:#888}
#timeline .row{position:relative;height:16px}
#timeline .lane{position:absolute;top:3px;height:10px;border-radius:5px;cursor:pointer;opacity:.85}
#timeline .lane:hover,#timeline .lane.pinned{opacity:1;outline:2px solid #000}
#timeline .lane.open-end{border-top-right-radius:0;border-bottom-right-radius:0}
#timeline .victim{position:absolute;top:0;width:0;height:0;border-left:6px solid transparent;
 border-right:6px solid transparent;border-top:14px solid #d00;margin-left:-6px}
#details{min-height:60px;margin:10px 0;padding:8px;border:1px solid #ddd;background:#fff;white-space:pre-wrap}
table{border-collapse:collapse;width:100%;margin-top:12px;table-layout:fixed;overflow-wrap:anywhere}
th,td{border:1px solid #ddd;padding:3px 6px;
 text-align:left;vertical-align:top} th{background:#eee} tr.sel{background:#ffd}
.legend span{display:inline-block;margin-right:10px} .legend i{display:inline-block;width:12px;height:8px;
 border-radius:4px;margin-right:3px}
"""

_JS = r"""
(function(){
  var data = JSON.parse(document.getElementById('leakwatch-data').textContent);
  var colors = {'mock':'#e6550d','reload':'#756bb1','env':'#31a354','sys-modules':'#636363',
    'attribute':'#3182bd','class-attribute':'#6baed6','instance-attribute':'#9ecae1','container':'#fd8d3c'};
  function color(kind){ return colors[kind] || '#969696'; }
  var tests = data.tests.slice(), index = {};
  tests.forEach(function(t, i){ index[t.nodeid] = i; });
  data.leaks.forEach(function(f){ if(!(f.test in index)){ index[f.test] = tests.length;
    tests.push({nodeid: f.test, outcome: 'passed'}); } });
  var n = Math.max(tests.length, 1);
  var step = Math.max(6, Math.min(40, Math.floor(1100 / n)));
  var width = n * step + 20;
  var tl = document.getElementById('timeline');
  var inner = document.createElement('div');
  inner.style.position = 'relative'; inner.style.width = width + 'px'; inner.style.paddingTop = '14px';
  tl.appendChild(inner);
  // the end of each worker's share: a leak never outlives its process
  var segEnd = {}, last = {};
  tests.forEach(function(t, i){ last[t.worker || ''] = i; });
  tests.forEach(function(t, i){ segEnd[i] = last[t.worker || '']; });
  var prev = null;
  tests.forEach(function(t, i){
    if (t.worker && t.worker !== prev){
      var b = document.createElement('div'); b.className = 'band'; b.style.left = (i * step) + 'px';
      var s = document.createElement('span'); s.textContent = t.worker;
      b.appendChild(s); inner.appendChild(b);
    }
    prev = t.worker;
  });
  var axis = document.createElement('div'); axis.className = 'axis'; inner.appendChild(axis);
  tests.forEach(function(t, i){
    var d = document.createElement('div'); d.className = 'tick ' + (t.outcome || '');
    d.style.left = (i * step + 1) + 'px'; d.style.width = Math.max(step - 2, 2) + 'px';
    d.title = (i + 1) + '. ' + t.nodeid + ' (' + (t.outcome || '?') + (t.worker ? ', ' + t.worker : '') + ')';
    axis.appendChild(d);
  });
  var details = document.getElementById('details');
  var pinned = null;
  function show(f){
    details.textContent = f.kind + '  ' + f.subject + '\n' + f.who + '  [' + f.phase + ']  ' +
      f.severity + '\n' + f.change + (f.where ? '\nat ' + f.where : '') +
      (f.cleaner ? '\ncleaned by ' + f.cleaner : '\nnever cleaned up (lane runs to the end)') +
      (f.victims.length ? '\nvictims: ' + f.victims.join(', ') : '') + '\nid ' + f.id;
    document.querySelectorAll('tr.sel').forEach(function(r){ r.classList.remove('sel'); });
    var row = document.getElementById('row-' + f.id); if (row) row.classList.add('sel');
  }
  data.leaks.forEach(function(f){
    var row = document.createElement('div'); row.className = 'row'; inner.appendChild(row);
    var start = index[f.test];
    var end = (f.cleaner && f.cleaner in index) ? index[f.cleaner] : segEnd[start] + 1;
    var lane = document.createElement('div');
    lane.className = 'lane' + ((f.cleaner && f.cleaner in index) ? '' : ' open-end');
    lane.dataset.id = f.id; lane.dataset.kind = f.kind;
    lane.style.left = (start * step + step / 2) + 'px';
    lane.style.width = Math.max((end - start) * step - step / 2, 4) + 'px';
    lane.style.background = color(f.kind);
    lane.title = f.who + ': ' + f.kind + ' ' + f.subject;
    lane.addEventListener('mouseenter', function(){ if (!pinned) show(f); });
    lane.addEventListener('click', function(){
      if (pinned) pinned.classList.remove('pinned');
      pinned = (pinned === lane) ? null : lane;
      if (pinned) { lane.classList.add('pinned'); show(f); }
    });
    row.appendChild(lane);
    f.victims.forEach(function(v){
      if (!(v in index)) return;
      var m = document.createElement('div'); m.className = 'victim';
      m.style.left = (index[v] * step + step / 2) + 'px'; m.title = 'victim: ' + v;
      row.appendChild(m);
    });
  });
  data.loose_victims.forEach(function(v){
    if (!(v in index)) return;
    var m = document.createElement('div'); m.className = 'victim';
    m.style.left = (index[v] * step + step / 2) + 'px'; m.title = 'victim: ' + v; axis.appendChild(m);
  });
  document.body.dataset.lanes = String(data.leaks.length);
  document.body.dataset.rendered = 'yes';
})();
"""


def _nodeid(value: Any) -> str | None:
    """A test nodeid out of whatever shape another feature gives (str or {test/nodeid/...})."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("nodeid", "test", "victim", "name"):
            if isinstance(value.get(key), str):
                return str(value[key])
    return None


def _cleaner(finding: dict[str, Any], cleaned: list[Any]) -> str | None:
    """Who put the subject back: the finding's own ``cleaner``, or a report-level
    ``cleaned`` entry ({subject, polluters, cleaner}) naming this finding's test."""
    detail = finding.get("detail") or {}
    for source in (finding, detail):
        for key in ("cleaner", "cleaned_by"):
            found = _nodeid(source.get(key))
            if found:
                return found
    for entry in cleaned:
        if isinstance(entry, dict) and entry.get("subject") == finding.get("subject") \
                and finding.get("test") in (entry.get("polluters") or ()):
            found = _nodeid(entry.get("cleaner"))
            if found:
                return found
    return None


def _victims(report: dict[str, Any]) -> tuple[dict[str, list[str]], list[str]]:
    """finding id -> victim nodeids, and victims not tied to a known finding."""
    by_id: dict[str, list[str]] = {}
    loose: list[str] = []
    ids = {f["id"] for f in report.get("leaks", [])}
    by_test: dict[str, list[str]] = {}
    for f in report.get("leaks", []):
        by_test.setdefault(f["test"], []).append(f["id"])
    victims = report.get("victims")
    for entry in victims if isinstance(victims, list) else []:
        victim = _nodeid(entry.get("victim") if isinstance(entry, dict) and "victim" in entry else entry)
        if victim is None:
            continue
        links: list[str] = []
        if isinstance(entry, dict):
            for key in ("finding", "finding_id", "leak_id", "id", "findings", "leak_ids"):
                value = entry.get(key)
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, str) and item in ids:
                        links.append(item)
            suspects = entry.get("suspects")  # leakwatch.victims: [{test, leak_id, ...}]
            for suspect in suspects if isinstance(suspects, list) else []:
                if isinstance(suspect, dict) and suspect.get("leak_id") in ids:
                    links.append(str(suspect["leak_id"]))
            polluter = _nodeid(entry.get("polluter"))
            if not links and polluter in by_test:
                links = by_test[polluter]
        for link in links:
            by_id.setdefault(link, []).append(victim)
        if not links:
            loose.append(victim)
    return by_id, loose


def _embed(data: Any) -> str:
    text = json.dumps(data)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(report: dict[str, Any]) -> str:
    victims, loose = _victims(report)
    found = report.get("cleaned")
    cleaned: list[Any] = found if isinstance(found, list) else []
    lines = locate.test_lines(report)
    leaks = []
    rows = []
    for f in report.get("leaks", []):
        where = locate.place(f, report, lines)
        at = f"{where.path}:{where.line}" if where.line else where.path
        owner = f.get("owner") or {}
        who = f["test"] if owner.get("type") == "test" else \
            f"fixture {owner.get('name')} ({owner.get('scope')}) @ {f['test']}"
        cleaner = _cleaner(f, cleaned)
        leaks.append({"id": f["id"], "test": f["test"], "who": who, "kind": f["kind"],
                      "subject": f["subject"], "change": f["change"], "severity": f["severity"],
                      "phase": f["phase"], "where": at, "cleaner": cleaner,
                      "worker": (f.get("detail") or {}).get("worker"),
                      "victims": victims.get(f["id"], [])})
        cells = [who, f["kind"], f["subject"], f["change"], at, cleaner or "",
                 ", ".join(victims.get(f["id"], []))]
        rows.append(f'<tr id="row-{html.escape(f["id"])}">'
                    + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    tests = [t for t in report.get("tests") or [] if isinstance(t, dict) and "nodeid" in t]
    data = {"tests": tests, "leaks": leaks, "loose_victims": loose}
    legend = "".join(
        f'<span><i style="background:{c}"></i>{html.escape(k)}</span>'
        for k, c in (("mock", "#e6550d"), ("reload", "#756bb1"), ("env", "#31a354"),
                     ("attribute", "#3182bd"), ("container", "#fd8d3c")))
    title = f"leakwatch: {markdown.summary_text(report)}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
script-src 'unsafe-inline'">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>leakwatch leak timeline</h1>
<div class="summary">{html.escape(markdown.summary_text(report))} &middot; {len(tests)} tests in order
 &middot; leakwatch {html.escape(str(report.get("tool", {}).get("version", "")))}</div>
<div class="legend">{legend}<span>&#9660; victim</span></div>
<div id="timeline" role="img" aria-label="tests in run order, one lane per leak"></div>
<div id="details">Hover a lane to see the leak; click to pin it.</div>
<table id="findings"><thead><tr><th>test or fixture</th><th>kind</th><th>subject</th><th>change</th>
<th>where</th><th>cleaned by</th><th>victims</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<script type="application/json" id="leakwatch-data">{_embed(data)}</script>
<script>{_JS}</script>
</body></html>
"""
