"""A drift report as one self-contained HTML page: inline CSS and SVG, no script, no link.

The page opens offline, can be attached to an e-mail or a ticket, and shows the verdicts first:
the summary, the per-feature table, the multivariate check, data quality, and a bar chart of
each feature's distribution (reference against current). Only a :class:`DriftReport` goes in;
nothing is computed here.

>>> import numpy as np
>>> from watchkeeper.monitoring.profiles.dataset_profile import DatasetProfile
>>> from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
>>> from watchkeeper.monitoring.comparison.report import build_drift_report
>>> profile = DatasetProfile({"x": NumericProfile.from_values(np.arange(10.0), (5.0,))}, rows=10)
>>> page = render_html(build_drift_report(profile, profile), title="x <check>")
>>> page.startswith("<!DOCTYPE html>"), "x &lt;check&gt;" in page, "<script" in page
(True, True, False)
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from watchkeeper.monitoring.comparison.report import DriftReport, FeatureDistribution
from watchkeeper.monitoring.statistics.domain_classifier import MultivariateDrift
from watchkeeper.monitoring.statistics.quality import QualityReport

PAGE_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2933}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem}
th,td{padding:.3rem .6rem;border-bottom:1px solid #e4e7eb;text-align:right}
th:first-child,td:first-child{text-align:left}
.verdict{font-weight:600;padding:.1rem .5rem;border-radius:.6rem;color:#fff}
.ok{background:#2f9e44}.warn{background:#e67700}.alert{background:#c92a2a}
.no_data,.unjudged{background:#868e96}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}.chart{font-size:.75rem}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 .8rem}
.muted{color:#7b8794}
"""
_REFERENCE_COLOUR = "#4263eb"
_CURRENT_COLOUR = "#f08c00"


def render_html(report: DriftReport, title: str = "Drift report") -> str:
    """The whole page for ``report``."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{PAGE_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _summary(report),
        _features_table(report),
    ]
    if report.multivariate is not None:
        parts.append(_multivariate(report.multivariate))
    if report.quality is not None:
        parts.append(_quality_table(report.quality))
    if report.distributions:
        parts.append(_charts(report.distributions))
    if report.skipped:
        items = "".join(
            f"<li>{escape(name)}: {escape(reason)}</li>" for name, reason in report.skipped.items()
        )
        parts.append(f"<h2>Not compared</h2><ul>{items}</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def badge(verdict: str) -> str:
    """A verdict as a coloured label."""
    return f'<span class="verdict {escape(verdict)}">{escape(verdict)}</span>'


def number_cell(value: float | None, digits: int = 4) -> str:
    """A number for a table cell: fixed digits, tiny ones in exponent form, None as a dash."""
    if value is None:
        return '<span class="muted">-</span>'
    if value != 0 and abs(value) < 10 ** (-digits):
        return f"{value:.1e}"
    return f"{value:.{digits}f}"


def _share(value: float | None) -> str:
    return '<span class="muted">-</span>' if value is None else f"{value:.2%}"


def _summary(report: DriftReport) -> str:
    counts = dict.fromkeys(("ok", "warn", "alert"), 0)
    for feature in report.features:
        counts[feature.verdict] += 1
    return (
        f"<p>Overall: {badge(report.verdict)} &nbsp; {len(report.features)} features compared "
        f"({counts['alert']} alert, {counts['warn']} warn, {counts['ok']} ok); reference "
        f"{report.reference_rows:,} rows, current {report.current_rows:,} rows; "
        f"{escape(report.verdict_rule)} PSI levels.</p>"
    )


def html_table(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A table of escaped headers and cells given as HTML."""
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _features_table(report: DriftReport) -> str:
    headers = (
        "feature", "type", "PSI", "JS distance", "KS", "KS p-value", "Wasserstein / std",
        "χ² p-value", "warn / alert", "verdict",
    )  # fmt: skip
    rows = (
        (
            escape(item.feature),
            escape(item.type),
            number_cell(item.psi),
            number_cell(item.js_distance),
            number_cell(item.ks_statistic),
            number_cell(item.ks_pvalue),
            number_cell(item.wasserstein),
            number_cell(item.chi2_pvalue),
            f"{item.warn_threshold:.3g} / {item.threshold:.3g}",
            badge(item.verdict),
        )
        for item in report.features
    )
    return "<h2>Drift per feature</h2>" + html_table(headers, rows)


def _multivariate(result: MultivariateDrift) -> str:
    return (
        "<h2>Multivariate drift (domain classifier)</h2>"
        f"<p>ROC AUC {result.roc_auc:.3f} ± {result.roc_auc_std:.3f} over {result.folds} folds "
        f"({result.reference_rows:,} reference and {result.current_rows:,} current rows "
        f"sampled); warn at {result.warn_threshold:g}, alert at {result.threshold:g}: "
        f"{badge(result.verdict)}</p>"
    )


def _quality_table(quality: QualityReport) -> str:
    headers = (
        "feature", "type", "missing (reference)", "missing (current)", "change",
        "out of schema range", "out of reference range", "unseen categories",
    )  # fmt: skip
    rows = (
        (
            escape(item.feature),
            escape(item.type),
            _share(item.missing_rate_reference),
            _share(item.missing_rate_current),
            _share(item.missing_rate_change),
            _share(item.out_of_schema_range_share),
            _share(item.out_of_reference_range_share),
            _share(item.unseen_category_share),
        )
        for item in quality.features
    )
    rejected = ", ".join(
        f"{escape(reason)}: {count:,}" for reason, count in quality.rejected.items()
    )
    note = f"<p>Rejected events: {rejected or 'none'}.</p>"
    return "<h2>Data quality</h2>" + html_table(headers, rows) + note


def _charts(distributions: Iterable[FeatureDistribution]) -> str:
    legend = (
        f'<p class="legend"><span style="background:{_REFERENCE_COLOUR}"></span>reference'
        f'<span style="background:{_CURRENT_COLOUR}"></span>current</p>'
    )
    charts = "".join(_chart(item) for item in distributions)
    return f'<h2>Distributions</h2>{legend}<div class="charts">{charts}</div>'


def _chart(distribution: FeatureDistribution, width: int = 360, height: int = 150) -> str:
    cells = len(distribution.labels)
    top = max((*distribution.reference, *distribution.current, 1e-12))
    slot = width / max(cells, 1)
    bar = slot * 0.4
    shapes = []
    for index, label in enumerate(distribution.labels):
        x = index * slot + slot * 0.1
        for offset, share, colour in (
            (0.0, distribution.reference[index], _REFERENCE_COLOUR),
            (bar, distribution.current[index], _CURRENT_COLOUR),
        ):
            size = share / top * (height - 10)
            shapes.append(
                f'<rect x="{x + offset:.1f}" y="{height - size:.1f}" width="{bar:.1f}" '
                f'height="{size:.1f}" fill="{colour}"><title>{escape(label)}: '
                f"{share:.2%}</title></rect>"
            )
    return (
        f'<div class="chart"><strong>{escape(distribution.feature)}</strong><br>'
        f'<svg width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(distribution.feature)}">{"".join(shapes)}</svg></div>'
    )


__all__ = ["PAGE_STYLE", "badge", "html_table", "number_cell", "render_html"]
