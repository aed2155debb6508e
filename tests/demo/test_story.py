"""The story the demo tells adds up: read as a reader checking the numbers would, report.html
and summary.json agree with each other and with themselves.

- money terms sum to their totals (summary.json, the comparison table, section 5);
- a figure that appears twice is the same figure (the header's net value and section 5's; the
  attempts, promotions, rollbacks and alerts of the summary, the comparison and the timeline),
  or says which events and period it counts (the truth from launch to the end, or the
  outcomes received over the monitored windows);
- counts are written with their noun in the right number; the score section shows the weeks
  of the score alerts; the weekly fraud-loss chart marks the shift and the loop's actions.

The end-to-end checks read the short replay of ``conftest.py`` (shared with
``test_replay.py``); the rules themselves are checked on hand-made figures.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from watchkeeper.demo import DemoSummary
from watchkeeper.demo.comparison import money_table, story_markers
from watchkeeper.demo.money import MONEY_TERMS, RunMoney, WeekMoney
from watchkeeper.demo.runs import FiredAlert
from watchkeeper.report.figures import AttemptCounts, plural, span_text

Story = tuple[dict[str, Any], str]


@pytest.fixture(scope="module")
def story(short_demo: tuple[DemoSummary, Path]) -> Story:
    _, out = short_demo
    document = json.loads((out / "summary.json").read_text("utf-8"))
    return document, (out / "report.html").read_text("utf-8")


def _section(page: str, anchor: str) -> str:
    return page.split(f'<section id="{anchor}">')[1].split("</section>")[0]


def _comparison(page: str) -> str:
    return unescape(page.split('<div class="extra">')[1].split("</section>")[0])


def _cells(html: str, label: str) -> list[float]:
    """The numbers of the table row headed ``label``."""
    found = re.search(rf"<t[hd]>{re.escape(label)}</t[hd]>((?:<td>[^<]*</td>)+)", html)
    assert found is not None, label
    return [
        float(cell.replace(",", "").split()[0])
        for cell in re.findall(r"<td>([^<]*)</td>", found.group(1))
        if cell.strip() not in ("", "\u2013")
    ]


def test_each_runs_money_terms_sum_to_its_totals(story: Story) -> None:
    document, _ = story
    for run in ("without", "with"):
        money = document[run]
        net = money["fraud_prevented"] - money["review_cost"] - money["false_decline_cost"]
        assert money["business_value"] == pytest.approx(net, abs=0.011)
        for week in money["weekly"]:
            terms = week["fraud_prevented"] - week["review_cost"] - week["false_decline_cost"]
            assert week["business_value"] == pytest.approx(terms, abs=0.011)
        for term in MONEY_TERMS:
            weeks = sum(week[term] for week in money["weekly"])
            assert weeks == pytest.approx(money[term], abs=0.01 * len(money["weekly"]))


def test_the_comparison_table_shows_the_summarys_money_term_by_term(story: Story) -> None:
    document, page = story
    table = _comparison(page)
    for label, term in (
        ("fraud prevented", "fraud_prevented"),
        ("\u2212 review cost", "review_cost"),
        ("\u2212 false-decline cost", "false_decline_cost"),
        ("= net value", "business_value"),
        ("fraud loss approved", "fraud_loss"),
    ):
        without, with_, difference = _cells(table, label)
        assert without == round(document["without"][term])
        assert with_ == round(document["with"][term])
        assert difference == pytest.approx(with_ - without, abs=1)
    assert "judged against the simulation's hidden truth" in table
    assert span_text(date.fromisoformat(document["launch_date"]),
                     date.fromisoformat(document["end_date"])) in table  # fmt: skip


def test_the_headers_net_value_is_section_5s_with_the_same_basis(story: Story) -> None:
    _, page = story
    money = _section(page, "money")
    prevented, review, declines, net = (
        _cells(money, label)[0]
        for label in (
            "fraud prevented",
            "\u2212 review cost",
            "\u2212 false-decline cost",
            "= net value",
        )
    )
    assert net == pytest.approx(prevented - review - declines, abs=2)  # each rounded to units
    basis = re.search(r"<th>total over the (windows [^<]*)</th>", money)
    assert basis is not None
    tile = re.search(r'<div class="value">([^<]*)</div><div class="label">net value realized '
                     r"over the ([^<]*) \(section 5\)</div>", page)  # fmt: skip
    assert tile is not None
    assert float(tile.group(1).replace(",", "")) == net
    assert tile.group(2) == basis.group(1)


def test_attempts_rollouts_and_alerts_are_counted_alike_everywhere(story: Story) -> None:
    document, page = story
    counts = document["attempt_counts"]
    outcomes = [attempt["outcome"] for attempt in document["retrain_attempts"]]
    assert counts["attempts"] == len(outcomes)
    for outcome in ("accepted", "refused", "undecided"):
        assert counts[outcome] == outcomes.count(outcome)
    assert counts["accepted"] == sum(
        attempt["accepted"] for attempt in document["retrain_attempts"]
    )
    assert counts["promotions"] == len(document["promotions"])
    assert counts["rollbacks"] == len(document["rollbacks"])
    text = AttemptCounts(**counts).text()
    assert text in _comparison(page) and text in _section(page, "timeline")
    rules = plural(len(document["alerts"]), "alert") + " fired by the monitoring rules"
    assert rules in _section(page, "timeline")
    before = plural(document["false_alerts_before_shift"], "drift alert")
    assert f"{before} on the stable months" in _comparison(page)


def test_counts_agree_with_their_nouns(story: Story) -> None:
    _, page = story
    text = re.sub(r"<[^>]+>", " ", page)
    nouns = "alerts|days|weeks|attempts|promotions|rollbacks|retraining attempts|windows"
    assert not re.search(rf"(?<![\d.,]) ?\b1 ({nouns})\b", text)
    assert not re.search(r"\(s\)", text)


def test_the_score_section_shows_the_weeks_of_the_score_alerts(story: Story) -> None:
    document, page = story
    scores = _section(page, "scores")
    shown = {
        datetime.strptime(day, "%d %b %Y").date()
        for day in re.findall(r"<b>week of (\d{2} \w{3} \d{4})</b>", scores)
    }
    score_alerts = [alert for alert in document["alerts"] if alert["metric"].endswith("score_psi")]
    for alert in score_alerts:
        day = date.fromisoformat(alert["date"])
        assert any(0 <= (day - monday).days < 7 for monday in shown), alert
    if score_alerts:
        assert "stay close to the training baseline" not in scores


def test_the_weekly_loss_chart_marks_the_shift_and_the_loops_actions(story: Story) -> None:
    document, page = story
    chart = _comparison(page)
    assert "Weekly fraud loss approved, with and without watchkeeper" in chart
    assert ">shift</text>" in chart
    drift = [alert for alert in document["alerts"] if alert["metric"] in ("psi", "score_psi")]
    if drift:
        assert ">drift alert</text>" in chart  # the legend


def test_a_net_value_is_its_terms_to_the_cent_after_rounding() -> None:
    week = WeekMoney("2026-06-01", 10.004, 100.006, 2, 100.006 - 3.333 - 1.114, 3.333, 1.114)
    money = RunMoney(10.004, 100.006, 2, week.business_value, (week,), 3.333, 1.114)
    document = money.to_dict()
    for part in (document, document["weekly"][0]):
        terms = part["fraud_prevented"] - part["review_cost"] - part["false_decline_cost"]
        assert part["business_value"] == round(terms, 2)
    table = money_table(money, money)
    assert _cells(table, "= net value") == [96.0, 96.0, 0.0]
    assert _cells(table, "\u2212 false-decline cost") == [1.0, 1.0, 0.0]


def test_the_story_markers_cover_shift_alerts_attempts_and_rollouts() -> None:
    summary = DemoSummary(
        scenario="case-study",
        seed=1,
        per_day=100,
        launch_date=date(2026, 4, 1),
        shift_date=date(2026, 6, 1),
        end_date=date(2026, 9, 1),
        alerts=(
            FiredAlert(date(2026, 6, 4), "input drift", "psi", "merchant", "warning"),
            FiredAlert(date(2026, 6, 4), "score drift", "score_psi", None, "critical"),
            FiredAlert(date(2026, 7, 1), "recall", "recall", None, "warning"),
        ),
        retrain_attempts=({"date": "2026-07-10", "outcome": "accepted", "reason": "beats it"},),
        promotions=({"version": 2, "promoted_at": "2026-07-20T00:00:00+00:00"},),
        rollbacks=(),
        without=RunMoney(0.0, 0.0, 0, 0.0, (), 0.0, 0.0),
        with_watchkeeper=RunMoney(0.0, 0.0, 0, 0.0, (), 0.0, 0.0),
        ticks=1,
        runtime_s=0.0,
    )
    markers = story_markers(summary)
    assert [marker.kind for marker in markers] == [
        "shift", "drift alert", "other alert", "attempt", "promotion",
    ]  # fmt: skip
    assert markers[1].text == "2026-06-04: input drift (psi on merchant); score drift (score_psi)"
    assert markers[-1].at == datetime(2026, 7, 20, tzinfo=UTC) and markers[-1].label
    assert summary.attempt_counts == AttemptCounts(1, 1, 0, 0, 1, 0)
