"""Data quality measures, the multivariate check, the report record and its HTML rendering."""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.config import InputField
from watchkeeper.monitoring.comparison.html import render_html
from watchkeeper.monitoring.comparison.report import DriftReport, build_drift_report
from watchkeeper.monitoring.profiles.numeric_profile import NumericProfile
from watchkeeper.monitoring.profiles.profile_builder import build_profile, build_reference_profile
from watchkeeper.monitoring.profiles.profile_plan import FeatureKind
from watchkeeper.monitoring.statistics.domain_classifier import (
    RowSampler,
    domain_classifier_drift,
    sample_rows,
)
from watchkeeper.monitoring.statistics.quality import data_quality, schema_ranges, share_outside

KINDS: dict[str, FeatureKind] = {"amount": "numeric", "country": "categorical"}


def table(rows: int, seed: int, drifted: bool = False) -> pa.Table:
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(3.0, 1.0, rows)
    if drifted:
        amount[:100] = -5.0  # out of the schema's range (min 0) and of the reference's
    countries = rng.choice(["DE", "FR", "IT"], size=rows).astype(object)
    if drifted:
        countries[: rows // 10] = "XX"  # never seen in the reference
    missing = rng.random(rows) < (0.2 if drifted else 0.05)
    return pa.table({"amount": pa.array(amount, mask=missing), "country": pa.array(countries)})


def test_quality_measures_of_a_window() -> None:
    reference = build_reference_profile(table(20_000, 1), KINDS)
    current = build_profile(table(20_000, 2, drifted=True), reference.plan())
    ranges = schema_ranges({"amount": InputField(type="float", min=0.0)})
    report = data_quality(reference, current, ranges, rejected={"schema": 30, "duplicate": 10})
    amount, country = report.features
    assert amount.missing_rate_reference == pytest.approx(0.05, abs=0.01)
    assert amount.missing_rate_change == pytest.approx(0.15, abs=0.015)
    current_amount = current.features["amount"]
    assert isinstance(current_amount, NumericProfile)
    negatives = 100 * (1 - 0.2)  # some of the 100 negative values were masked as missing
    # estimated from the window's sketch: within its rank error (0.7% at k = 400)
    error = current_amount.quantile_sketch().normalized_rank_error(False)
    assert amount.out_of_schema_range_share == pytest.approx(
        negatives / current_amount.count, abs=error
    )
    assert amount.out_of_reference_range_share == pytest.approx(
        negatives / current_amount.count, abs=2 * error
    )
    assert country.unseen_category_share == pytest.approx(0.1, abs=0.005)
    assert country.out_of_schema_range_share is None
    assert report.rejected_total == 40
    assert report.rejected_share == pytest.approx(40 / 20_040)


def test_range_shares_are_exactly_zero_inside_the_range() -> None:
    profile = NumericProfile.from_values(np.linspace(0, 10, 100_000), edges=())
    assert share_outside(profile, (0.0, 10.0)) == 0.0
    assert share_outside(profile, (None, None)) == 0.0
    assert share_outside(profile, (5.0, None)) == pytest.approx(0.5, abs=0.01)


def test_domain_classifier_separates_shifted_rows_and_not_identical_ones() -> None:
    reference_table = table(1_500, 1)
    reference = build_reference_profile(reference_table, KINDS)
    same = domain_classifier_drift(reference_table, table(1_500, 2), reference.plan(), folds=3)
    assert same.roc_auc == pytest.approx(0.5, abs=0.05)
    assert same.verdict == "ok"
    shifted = domain_classifier_drift(
        reference_table, table(4_000, 3, drifted=True), reference.plan(), folds=3
    )
    assert shifted.roc_auc > 0.6
    assert shifted.verdict in ("warn", "alert")


def test_domain_classifier_auc_agrees_with_scikit_learn_on_the_same_split() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    from watchkeeper.monitoring.statistics.domain_classifier import encode_rows

    reference_table, current_table = table(1_000, 1), table(1_000, 3, drifted=True)
    plan = build_reference_profile(reference_table, KINDS).plan()
    result = domain_classifier_drift(reference_table, current_table, plan, folds=3, seed=5)
    rows = np.vstack([encode_rows(reference_table, plan), encode_rows(current_table, plan)])
    target = np.repeat([0, 1], 1_000)
    scores = []
    for train, test in StratifiedKFold(3, shuffle=True, random_state=5).split(rows, target):
        model = HistGradientBoostingClassifier(
            categorical_features=np.array([False, True]), early_stopping=True, random_state=5
        )
        with threadpool_limits(limits=1, user_api="openmp"):
            model.fit(rows[train], target[train])
        scores.append(roc_auc_score(target[test], model.predict_proba(rows[test])[:, 1]))
    assert result.roc_auc == pytest.approx(np.mean(scores), abs=1e-12)


def test_samplers_keep_about_the_requested_rows() -> None:
    source = table(50_000, 1)
    assert sample_rows(source, 1_000).num_rows == 1_000
    sampler = RowSampler(rows=2_000, total=50_000)
    for batch in source.to_batches(max_chunksize=5_000):
        sampler.add(batch)
    assert 1_700 < sampler.sample().num_rows < 2_300


def test_report_round_trips_and_renders_self_contained_html() -> None:
    reference = build_reference_profile(table(5_000, 1), KINDS)
    current = build_profile(table(5_000, 2, drifted=True), reference.plan())
    report = build_drift_report(reference, current, rejected={"schema": 3})
    document = json.loads(report.to_json())
    assert DriftReport.from_dict(document) == report
    page = render_html(report, title="fraud <window>")
    assert page.startswith("<!DOCTYPE html>")
    assert "fraud &lt;window&gt;" in page
    assert not re.search(r"<script|<link|\bsrc=|https?://|@import|url\(", page)
    for name in ("amount", "country", "Data quality", "Distributions", "<svg"):
        assert name in page
