"""The report of a monitored workspace: every section present, numbers taken from the metric
series, nothing loaded from the network, empty workspaces described plainly, and the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from watchkeeper.cli import main
from watchkeeper.clock import EventTimeClock
from watchkeeper.report import build_report, write_report
from watchkeeper.report.data import ChampionLineage, ReportData, Thresholds, collect_report_data
from watchkeeper.report.history_sections import lineage_section
from watchkeeper.workspace import Workspace

from .conftest import DAYS, day

SECTION_IDS = ("scores", "psi", "flag-rate", "performance", "money", "timeline", "lineage")
EXTERNAL = re.compile(
    r"""(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//"""
    r"""|@import|<script|<link|<iframe|<img""",
    re.IGNORECASE,
)


@pytest.fixture
def workspace(report_workspace: Path) -> Iterator[Workspace]:
    with Workspace.open(report_workspace, clock=EventTimeClock(day(DAYS))) as opened:
        yield opened


@pytest.fixture
def page(workspace: Workspace) -> str:
    return build_report(workspace)


def test_every_section_is_there_and_filled(page: str) -> None:
    for anchor in SECTION_IDS:
        assert f'<section id="{anchor}">' in page
    assert page.count("<svg") >= 8  # 4 weekly histograms, heatmap, 3 charts, timeline
    assert 'class="empty"' not in page.split('<section id="lineage">')[0]
    assert "generated 2026-06-29 00:00 UTC" in page  # the workspace clock, not the wall's


def test_the_file_loads_nothing_from_the_network(page: str) -> None:
    assert EXTERNAL.search(page) is None, EXTERNAL.search(page)
    without_namespace = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http://" not in without_namespace and "https://" not in without_namespace


def test_weekly_histograms_show_the_shift_in_week_three(page: str, workspace: Workspace) -> None:
    cards = re.findall(r'<figure class="card (\w+)"><figcaption><b>week of ([^<]+)</b>', page)
    assert cards == [
        ("unjudged", "01 Jun 2026"),  # the version's first week: warming up
        ("ok", "08 Jun 2026"),
        ("alert", "15 Jun 2026"),
        ("alert", "22 Jun 2026"),
    ]
    assert "first moved beyond the warn level in the week of 15 Jun 2026 (version 1" in page
    assert 'score PSI <span class="pill unjudged">' in page
    data = collect_report_data(workspace)
    assert [sum(week.counts) for week in data.weekly_scores] == [7_000] * 4
    assert all(len(week.counts) == len(week.edges) + 1 for week in data.weekly_scores)


def test_numbers_come_from_the_metric_series(page: str, workspace: Workspace) -> None:
    model = workspace.config.model.name
    psi = [
        row for row in workspace.metadata.metrics(model, metric="psi") if row.feature == "amount"
    ]
    worst = max(psi, key=lambda row: row.value or 0.0)
    assert worst.value is not None and worst.status == "alert"
    first = min(row.window_start for row in psi if row.status == "alert")
    count = sum(1 for row in psi if row.status == "alert")
    assert (
        f"<b>amount</b>: beyond the alert level (0.25) from {first:%d %b %Y}, in {count} "
        f"windows; largest PSI {worst.value:.3f} ({worst.window_start:%d %b %Y})"
    ) in page
    value = sum(
        row.value or 0.0 for row in workspace.metadata.metrics(model, metric="business_value")
    )
    assert f"<td>= net value</td><td>{value:,.0f}</td>" in page
    latest = max(row.window_start for row in workspace.metadata.metrics(model))
    flag = next(
        row.value
        for row in workspace.metadata.metrics(model, metric="flag_rate", start=latest)
        if row.window_start == latest
    )
    assert flag is not None and f'<div class="value">{flag:.2%}</div>' in page
    assert '<div class="value">amount</div><div class="label">features drifting' in page


def test_performance_marks_immature_windows_and_timeline_lists_decisions(page: str) -> None:
    performance = page.split('<section id="performance">')[1].split("</section>")[0]
    assert "labels not yet mature" in performance
    assert "(immature)" in performance and "estimated recall" in performance
    timeline = page.split('<section id="timeline">')[1].split("</section>")[0]
    for text in (
        "retraining attempt accepted",
        "canary of version 2 started",
        "version 2 promoted",
        "canary running",
    ):
        assert text in timeline
    assert (
        "1 promotion, 0 rollbacks" in timeline
        and "3 alerts fired by the monitoring rules" in timeline
    )


def test_weeks_keeps_only_the_latest_weeks(workspace: Workspace) -> None:
    page = build_report(workspace, weeks=1)
    assert page.count('<figure class="card') == 1
    data = collect_report_data(workspace, weeks=1)
    assert {row.window_start for row in data.metrics} == {day(DAYS - 7 + i) for i in range(7)}


def test_title_is_escaped_and_extra_html_is_placed(workspace: Workspace, tmp_path: Path) -> None:
    extra = "<table id='comparison'><tr><td>with</td><td>without</td></tr></table>"
    written = write_report(
        workspace, tmp_path / "deep" / "r.html", title="Fraud <A&B>", extra_html=extra
    )
    text = written.read_text(encoding="utf-8")
    assert "<title>Fraud &lt;A&amp;B&gt;</title>" in text
    assert text.index(extra) < text.index('<section id="scores">')


def test_an_empty_workspace_gets_a_report_that_says_what_is_missing(tmp_path: Path) -> None:
    with Workspace.open(Workspace.create(tmp_path / "empty")) as opened:
        page = build_report(opened)
    assert "no monitoring results yet" in page
    assert "No weekly score histograms yet" in page and "No PSI rows yet" in page
    assert "No alert, retraining attempt or rollout has been recorded yet" in page
    assert "No champion is set" in page
    assert page.count('class="empty"') >= 8


def test_the_lineage_section_shows_the_recorded_lineage() -> None:
    champion = ChampionLineage(
        version=3,
        status="champion",
        created_at=day(0),
        metrics={},
        lineage={
            "data": {"rows": 120_000, "window_start": "2026-01-01"},
            "code": {"git_commit": "abc1234", "git_dirty": False},
            "trainer": "lightgbm",
            "parent_version": 2,
            "trigger": "drift",
        },
    )
    data = ReportData(
        "fraud", "Dana", day(0), (), (), (), (), champion, {"champion": 3},
        Thresholds(0.1, 0.25, {}), timedelta(days=60),
    )  # fmt: skip
    html = lineage_section(data)
    for text in ("<b>v3</b> champion", "champion → v3", "abc1234", "120000", "lightgbm", "drift"):
        assert text in html
    assert "<h3>data</h3>" in html and "<h3>settings</h3>" in html


def test_the_command_writes_the_file_and_refuses_mistakes_in_one_line(
    report_workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    code = main(["report", "--workspace", str(report_workspace), "--out", str(out), "--weeks", "2"])
    assert code == 0 and out.read_text(encoding="utf-8").count('<figure class="card') == 2
    assert "report written to" in capsys.readouterr().out
    assert main(["report", "--workspace", str(tmp_path / "missing"), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert "no such folder" in error and "Traceback" not in error
    assert main(["report", "--workspace", str(report_workspace), "--weeks", "0"]) == 2
    capsys.readouterr()
    json_out = tmp_path / "json" / "report.html"
    assert main(["report", "-w", str(report_workspace), "-o", str(json_out), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == {"path": str(json_out.resolve()), "bytes": json_out.stat().st_size}


def test_a_feature_not_judged_on_daily_windows_is_grey_not_red() -> None:
    from watchkeeper.report.monitoring_sections import psi_section
    from watchkeeper.report.series import Grouping
    from watchkeeper.report.svg import ALERT_COLOUR, UNJUDGED_COLOUR
    from watchkeeper.storage.metadata.records import MetricRow

    rows = tuple(
        MetricRow(
            "fraud", "psi", day(index), day(index + 1), value=0.9, status=status, feature=feature
        )
        for index in range(3)
        for feature, status in (("day_of_week", "short_window"), ("amount", "alert"))
    )
    data = ReportData(
        "fraud", "Dana", day(3), rows, (), (), (), None, {}, Thresholds(0.1, 0.25, {}),
        timedelta(days=60),
    )  # fmt: skip
    html = psi_section(data, Grouping(weekly=False))
    assert html.count(f'fill="{UNJUDGED_COLOUR}">') == 3
    assert html.count("(not judged: short of the feature&#x27;s cycle)") == 3
    assert "<b>amount</b>" in html and "<b>day_of_week</b>" not in html
    assert ALERT_COLOUR in html


def test_weekly_points_use_the_monitors_weekly_rows_when_it_wrote_them() -> None:
    from watchkeeper.report.monitoring_sections import psi_section
    from watchkeeper.report.series import Grouping
    from watchkeeper.report.svg import UNJUDGED_COLOUR
    from watchkeeper.storage.metadata.records import MetricRow

    daily = tuple(
        MetricRow(
            "fraud", "psi", day(i), day(i + 1), value=0.9, status="short_window",
            feature="day_of_week",
        )
        for i in range(7)
    )  # fmt: skip
    weekly = MetricRow(
        "fraud", "weekly_psi", day(0), day(7), value=0.031, status="ok", feature="day_of_week"
    )
    data = ReportData(
        "fraud", "Dana", day(7), (*daily, weekly), (), (), (), None, {},
        Thresholds(0.1, 0.25, {}), timedelta(days=60),
    )  # fmt: skip
    as_weeks = psi_section(data, Grouping(weekly=True))
    assert "day_of_week 1 Jun 26: 0.031</title>" in as_weeks
    assert UNJUDGED_COLOUR not in as_weeks
    as_days = psi_section(data, Grouping(weekly=False))
    assert as_days.count("(not judged: short of the feature&#x27;s cycle)") == 7
