"""The whole report page: header, summary, the seven sections, in one self-contained HTML file.

Inline CSS and SVG only: no script, no stylesheet, font or image from anywhere, so the file
opens offline, can be attached to a ticket and is what ``GET /dashboard`` serves.

>>> import tempfile
>>> from pathlib import Path
>>> from watchkeeper.workspace import Workspace
>>> with Workspace.open(Workspace.create(Path(tempfile.mkdtemp()) / "ws")) as workspace:
...     page = build_report(workspace, title="Card fraud <weekly>")
>>> page.startswith("<!DOCTYPE html>"), "Card fraud &lt;weekly&gt;" in page, "<script" in page
(True, True, False)
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from watchkeeper import metric_names as names
from watchkeeper.errors import WatchkeeperError
from watchkeeper.report.data import ReportData, collect_report_data
from watchkeeper.report.history_sections import lineage_section, timeline_section
from watchkeeper.report.monitoring_sections import (
    flag_rate_section,
    money_basis,
    money_section,
    performance_section,
    psi_section,
    score_section,
)
from watchkeeper.report.series import Grouping

if TYPE_CHECKING:
    from watchkeeper.workspace import Workspace

STYLE = """
:root{--ink:#212529;--muted:#6c757d;--line:#dee2e6;--ok:#2f9e44;--warn:#f08c00;--alert:#c92a2a}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:var(--ink);
background:#f4f5f7;line-height:1.45}
header{background:#1c2b4a;color:#fff;padding:1.4rem 2rem 1.1rem}
header h1{margin:0 0 .3rem;font-size:1.55rem;font-weight:650}
header .meta{color:#c5cee0;font-size:.9rem}
nav{background:#243759;padding:.45rem 2rem;font-size:.85rem}
nav a{color:#dbe4ff;text-decoration:none;margin-right:1.2rem}
main{max-width:1180px;margin:0 auto;padding:1.2rem 1.5rem 3rem}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:1.1rem 1.3rem;
margin:1.1rem 0;box-shadow:0 1px 2px rgba(0,0,0,.04)}
h2{font-size:1.12rem;margin:0 0 .25rem}h3{font-size:.92rem;margin:.2rem 0 .4rem}
.caption{color:var(--muted);font-size:.86rem;margin:.1rem 0 .8rem;max-width:70rem}
.note{color:var(--muted);font-size:.82rem;margin:.5rem 0 .2rem}
.empty{background:#f8f9fa;border:1px dashed #ced4da;border-radius:8px;padding:.9rem 1rem;
color:#495057;margin:.3rem 0}
.summary{display:flex;flex-wrap:wrap;gap:.8rem;margin:.4rem 0 0}
.tile{background:#fff;border:1px solid var(--line);border-radius:10px;padding:.7rem 1rem;
min-width:10.5rem;flex:1}
.tile .value{font-size:1.35rem;font-weight:650}.tile .label{color:var(--muted);font-size:.8rem}
.tile.alert{border-left:5px solid var(--alert)}.tile.ok{border-left:5px solid var(--ok)}
.tile.warn{border-left:5px solid var(--warn)}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(262px,1fr));gap:.7rem}
.card{margin:0;border:1px solid var(--line);border-radius:8px;padding:.45rem .5rem .2rem;
border-top:4px solid #3b5bdb}
.card.warn{border-top-color:var(--warn)}.card.alert{border-top-color:var(--alert);background:#fff5f5}
.gap{display:flex;align-items:center;justify-content:center;color:var(--muted);
font-size:.8rem;border:1px dashed #ced4da;border-radius:8px;min-height:4rem}
.card figcaption{font-size:.76rem;color:#343a40;margin-bottom:.2rem}
.pill{display:inline-block;border-radius:.6rem;padding:0 .45rem;color:#fff;font-weight:600}
.pill.ok{background:var(--ok)}.pill.warn{background:var(--warn)}.pill.alert{background:var(--alert)}
.pill.unjudged{background:#adb5bd}.card.unjudged{border-top-color:#ced4da}
.scroll{overflow-x:auto}
section svg{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:.82rem;margin-top:.7rem}
th,td{padding:.28rem .6rem;border-bottom:1px solid #edf0f2;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}
table.log td.text{text-align:left;max-width:44rem}
table.log th{text-align:left}
table.log td:nth-child(2),table.log td:nth-child(3){text-align:left;white-space:nowrap}
table.kv th{text-align:left;color:var(--muted);font-weight:500;white-space:nowrap}
table.kv td{text-align:left;overflow-wrap:anywhere}
table.kv .key{color:var(--muted)}
.blocks{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:.8rem}
.block{border:1px solid #edf0f2;border-radius:8px;padding:.5rem .7rem}
.stats{display:flex;flex-wrap:wrap;gap:1.3rem;font-size:.88rem;margin:.6rem 0}
.callout{background:#fff5f5;border-left:4px solid var(--alert);padding:.45rem .8rem;
margin:.2rem 0 .8rem;font-size:.9rem}.callout.ok{background:#ebfbee;border-left-color:var(--ok)}
.compact{margin:.2rem 0;font-size:.84rem}
.problems{background:#fff4e6;border:1px solid #ffd8a8;border-radius:8px;padding:.6rem 1rem}
.extra{background:#fff;border:1px solid var(--line);border-radius:10px;padding:1rem 1.3rem;margin:1.1rem 0}
footer{color:var(--muted);font-size:.78rem;text-align:center;margin:2rem 0}
"""

_SECTIONS = (
    ("scores", "Score distribution"),
    ("psi", "Feature drift"),
    ("flag-rate", "Flag rate"),
    ("performance", "Performance"),
    ("money", "Money"),
    ("timeline", "Timeline"),
    ("lineage", "Lineage"),
)


def build_report(
    workspace: Workspace,
    *,
    title: str | None = None,
    weeks: int | None = None,
    extra_html: str | None = None,
) -> str:
    """The report of ``workspace`` as one self-contained HTML page.

    ``weeks`` keeps only the latest weeks of windows; ``extra_html`` (trusted HTML, say a
    comparison table) is placed after the summary. "Generated at" is the workspace clock's now.
    """
    data = collect_report_data(workspace, weeks=weeks)
    return render_report(data, title=title, extra_html=extra_html)


def write_report(
    workspace: Workspace,
    path: Path | str,
    *,
    title: str | None = None,
    weeks: int | None = None,
    extra_html: str | None = None,
) -> Path:
    """Write :func:`build_report`'s page to ``path`` (folders created); return the path.

    >>> import tempfile
    >>> from watchkeeper.workspace import Workspace
    >>> folder = Path(tempfile.mkdtemp())
    >>> with Workspace.open(Workspace.create(folder / "ws")) as workspace:
    ...     written = write_report(workspace, folder / "out" / "report.html")
    >>> written.name, written.stat().st_size > 1000
    ('report.html', True)
    """
    page = build_report(workspace, title=title, weeks=weeks, extra_html=extra_html)
    target = Path(path)
    if target.is_dir():
        raise WatchkeeperError(
            f"{target}: is a folder; give the report's file name, e.g. {target / 'report.html'}"
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
    except OSError as error:
        raise WatchkeeperError(f"{target}: cannot write the report ({error.strerror})") from error
    return target


def render_report(
    data: ReportData, *, title: str | None = None, extra_html: str | None = None
) -> str:
    """The page for already collected ``data`` (see :func:`collect_report_data`).

    >>> from datetime import UTC, datetime, timedelta
    >>> from watchkeeper.report.data import Thresholds
    >>> data = ReportData("fraud", "Dana", datetime(2026, 6, 1, tzinfo=UTC), (), (), (), (),
    ...                   None, {}, Thresholds(0.1, 0.25, {}), timedelta(days=60))
    >>> page = render_report(data, extra_html="<p id='extra'>with and without</p>")
    >>> "<p id='extra'>" in page, page.count("<section")
    (True, 7)
    """
    heading = title or f"{data.model}: model health report"
    grouping = Grouping.for_rows(data.metrics)
    first, last = data.first_window, data.last_window_end
    covered = (
        f"windows {first:%d %b %Y} \u2013 {last:%d %b %Y}"
        if first and last
        else "no monitored windows yet"
    )
    meta = (
        f"model <b>{escape(data.model)}</b> · owner {escape(data.owner)} · {covered} · "
        f"generated {data.generated_at:%Y-%m-%d %H:%M} UTC"
    )
    links = "".join(f'<a href="#{anchor}">{escape(name)}</a>' for anchor, name in _SECTIONS)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(heading)}</title><style>{STYLE}</style></head><body>",
        f'<header><h1>{escape(heading)}</h1><div class="meta">{meta}</div></header>',
        f"<nav>{links}</nav><main>",
        _summary(data),
    ]
    if data.problems:
        items = "".join(f"<li>{escape(problem)}</li>" for problem in data.problems)
        parts.append(
            f'<div class="problems"><b>Some data could not be read:</b><ul>{items}</ul></div>'
        )
    if extra_html:
        parts.append(f'<div class="extra">{extra_html}</div>')
    parts += [
        score_section(data),
        psi_section(data, grouping),
        flag_rate_section(data, grouping),
        performance_section(data, grouping),
        money_section(data, grouping),
        timeline_section(data),
        lineage_section(data),
        "</main><footer>watchkeeper report · one self-contained file: inline CSS and SVG, "
        "nothing loaded from the network</footer></body></html>",
    ]
    return "".join(parts)


def _summary(data: ReportData) -> str:
    if not data.metrics:
        return (
            '<p class="empty">This workspace has no monitoring results yet: serve the model '
            "('watchkeeper serve') or log what your own service predicted ('watchkeeper log "
            "predictions --file F' and 'watchkeeper log outcomes --file F'), then run "
            "'watchkeeper monitor'. The sections below fill in as results arrive.</p>"
        )
    latest = max(row.window_start for row in data.metrics)
    latest_rows = [row for row in data.metrics if row.window_start == latest]
    drifting = sorted(
        {
            row.feature
            for row in latest_rows
            if row.metric == names.PSI and row.status == "alert" and row.feature
        }
    )
    firing = [record for record in data.alerts if record.state == "firing"]
    flag_rows = [
        row for row in latest_rows if row.metric == names.FLAG_RATE and row.value is not None
    ]
    flag = [row.value for row in flag_rows if row.value is not None]
    flag_level = "alert" if any(row.status == "alert" for row in flag_rows) else "ok"
    valued = [row for row in data.metrics if row.metric == names.BUSINESS_VALUE]
    money_metric, money_name = (
        (names.BUSINESS_VALUE, "net value") if valued else (names.COST, "cost")
    )
    basis = money_basis(data, (money_metric,)) or "report"
    money_label = f"{money_name} realized over the {basis} (section 5)"
    value = sum(row.value or 0.0 for row in data.metrics if row.metric == money_metric)
    good = value >= 0 if valued else True
    tiles = [
        (
            "alert" if firing else "ok",
            str(len(firing)),
            f"{'alert' if len(firing) == 1 else 'alerts'} firing now",
        ),
        (
            "alert" if drifting else "ok",
            ", ".join(drifting) or "none",
            f"features drifting ({latest:%d %b})",
        ),
        (
            flag_level,
            "\u2013" if not flag else f"{sum(flag) / len(flag):.2%}",
            "flag rate, latest window",
        ),
        ("ok" if good else "alert", f"{value:,.0f}", money_label),
        ("ok", f"v{data.champion.version}" if data.champion else "none", "champion"),
    ]
    return (
        '<div class="summary">'
        + "".join(
            f'<div class="tile {level}"><div class="value">{escape(text)}</div>'
            f'<div class="label">{escape(label)}</div></div>'
            for level, text, label in tiles
        )
        + "</div>"
    )


__all__ = ["STYLE", "build_report", "render_report", "write_report"]
