"""The case study's with / without section of the report: what was detected and done, the
money of both runs term by term, and the weekly fraud loss with the loop's actions marked.

Every figure here is the demo's summary (``summary.json``): both runs' decisions judged
against the simulation's hidden truth, from launch to the end. The report's header and its
money section count something else — the chargebacks the monitoring had received — and the
section says so, so that the two never seem to disagree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from html import escape

from watchkeeper.clock import utc_from_iso
from watchkeeper.demo.money import RunMoney
from watchkeeper.demo.summary import DemoSummary
from watchkeeper.report.figures import span_text
from watchkeeper.report.svg import ALERT_COLOUR, OK_COLOUR, WARN_COLOUR, Line, Marker, line_chart

WITHOUT_COLOUR, WITH_COLOUR = "#868e96", "#3b5bdb"
SHIFT_COLOUR, ATTEMPT_COLOUR = "#212529", "#adb5bd"


def comparison_html(summary: DemoSummary) -> str:
    """The with / without comparison as an HTML section for the report."""
    a, b = summary.without, summary.with_watchkeeper
    assert isinstance(a, RunMoney) and isinstance(b, RunMoney)
    period = span_text(summary.launch_date, summary.end_date)
    basis = (
        f"Both runs' decisions, every one from launch to the end — {period} — judged "
        "against the simulation's hidden truth: the figures of summary.json (its "
        "business_value is the net value). The header's net value "
        "and section 5 count what the monitoring knew: the chargebacks received by the end, "
        "where fraud not yet (or never) charged back counts as legitimate, so their figures "
        "differ from these."
    )
    return (
        "<section><h2>The case study, replayed: without and with watchkeeper</h2>"
        f"<p>{escape(summary.detection_text())}; {escape(summary.attempt_counts.text())}.</p>"
        f'<p class="note">{escape(basis)}</p>'
        + money_table(a, b)
        + weekly_loss_chart(summary)
        + "</section>"
    )


def money_table(without: RunMoney, with_: RunMoney, currency: str = "USD") -> str:
    """Both runs' money, term by term: the net value is fraud prevented minus the review and
    false-decline costs, each row the same figure as ``summary.json``'s.

    >>> money = RunMoney(50.0, 100.0, 1, 87.0, (), 10.0, 3.0)
    >>> table = money_table(money, money)
    >>> "false-decline cost" in table and "87 USD" in table
    True
    """

    def row(label: str, first: float, second: float, unit: str = f" {currency}") -> str:
        return (
            f"<tr><th>{escape(label)}</th><td>{first:,.0f}{unit}</td><td>{second:,.0f}{unit}</td>"
            f"<td>{second - first:+,.0f}{unit}</td></tr>"
        )

    return (
        "<table><tr><th></th><th>without</th><th>with</th><th>with \u2212 without</th></tr>"
        + row("fraud prevented", without.fraud_prevented, with_.fraud_prevented)
        + row("\u2212 review cost", without.review_cost, with_.review_cost)
        + row("\u2212 false-decline cost", without.false_decline_cost, with_.false_decline_cost)
        + row("= net value", without.business_value, with_.business_value)
        + row("fraud loss approved", without.fraud_loss, with_.fraud_loss)
        + row("false positives", without.false_positives, with_.false_positives, unit="")
        + "</table>"
        '<p class="note">Net value: what the model is worth against approving every '
        "transaction (which would lose the prevented fraud too); the fraud loss approved is "
        "lost either way, so it is shown apart and is not one of its terms.</p>"
    )


def weekly_loss_chart(summary: DemoSummary) -> str:
    """Weekly fraud loss approved, with and without watchkeeper, the shift, alerts, retraining
    attempts, promotions and rollbacks marked (an empty string without weekly figures)."""
    a, b = summary.without, summary.with_watchkeeper
    if not isinstance(a, RunMoney) or not isinstance(b, RunMoney) or not a.weekly:
        return ""
    lines = [
        Line("without", [(_week(week.week), week.fraud_loss) for week in a.weekly], WITHOUT_COLOUR),
        Line("with watchkeeper", [(_week(week.week), week.fraud_loss) for week in b.weekly],
             WITH_COLOUR),
    ]  # fmt: skip
    chart = line_chart(
        lines,
        value_format="{:,.0f}",
        label="weekly fraud loss with and without watchkeeper",
        markers=story_markers(summary),
    )
    return (
        "<h3>Weekly fraud loss approved, with and without watchkeeper</h3>"
        '<p class="note">Per week (Monday to Sunday; the first and last weeks are partial), on '
        "the truth. Dashed lines: the shift, drift alerts (red; hover for the rule), other "
        "alerts (amber), retraining attempts (grey; hover for the outcome), promotions (green) "
        f'and rollbacks (amber, labelled).</p><div class="scroll">{chart}</div>'
    )


def story_markers(summary: DemoSummary) -> list[Marker]:
    """The shift, the alerts (one marker a day), the attempts, promotions and rollbacks."""
    markers = [Marker(_at(summary.shift_date), "the shift", SHIFT_COLOUR, "shift", "shift")]
    alerts: dict[tuple[date, bool], list[str]] = {}
    for alert in summary.alerts:
        text = f"{alert.rule} ({alert.metric}{f' on {alert.feature}' if alert.feature else ''})"
        alerts.setdefault((alert.day, alert.drift), []).append(text)
    for (day, drift), texts in sorted(alerts.items()):
        kind = "drift alert" if drift else "other alert"
        colour = ALERT_COLOUR if drift else "#ffa94d"
        markers.append(Marker(_at(day), f"{day}: " + "; ".join(texts), colour, kind))
    for attempt in summary.retrain_attempts:
        text = f"{attempt['date']}: retraining {attempt['outcome']} — {attempt['reason']}"
        markers.append(
            Marker(_at(date.fromisoformat(attempt["date"])), text, ATTEMPT_COLOUR, "attempt")
        )
    for promotion in summary.promotions:
        version = f"v{promotion['version']}"
        markers.append(
            Marker(utc_from_iso(promotion["promoted_at"]), f"{version} promoted",
                   OK_COLOUR, "promotion", f"{version} promoted")
        )  # fmt: skip
    for rollback in summary.rollbacks:
        version = f"v{rollback['version']}"
        markers.append(
            Marker(utc_from_iso(rollback["rolled_back_at"]),
                   f"{version} rolled back: {rollback.get('reason', '')}", WARN_COLOUR,
                   "rollback", f"{version} rolled back")
        )  # fmt: skip
    return markers


def _week(week: str) -> datetime:
    return _at(date.fromisoformat(week))


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


__all__ = ["comparison_html", "money_table", "story_markers", "weekly_loss_chart"]
