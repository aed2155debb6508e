"""The weekly multivariate check: can a classifier tell a week's traffic from the reference?

Once a report window is complete, the monitor job samples the week's served features of a
version and trains the domain classifier
(:func:`~watchkeeper.monitoring.statistics.domain_classifier.domain_classifier_drift`) to separate them
from the version's reference sample (:mod:`watchkeeper.monitoring.profiles.reference_sample`); its
cross-validated ROC AUC is the week's ``domain_auc`` (0.5: indistinguishable), judged against
``monitoring.domain_classifier_auc`` (warn 0.55, alert 0.65). Weekly, not daily: training a
classifier costs seconds. Both samples have the same size (at most the reference sample's
rows and ``monitoring.domain_classifier_sample``), and the samples, the folds and the model
are seeded, so a rerun gives the same AUC.
"""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from watchkeeper.config import MonitoringConfig
from watchkeeper.monitoring.job.served_predictions import decode_served
from watchkeeper.monitoring.job.version_context import VersionContext
from watchkeeper.monitoring.profiles.profile_plan import ProfilePlan
from watchkeeper.monitoring.statistics.domain_classifier import (
    MultivariateDrift,
    domain_classifier_drift,
    sample_rows,
)

DOMAIN_SEED = 0
"""The seed of the weekly domain classifier's samples, folds and model: reruns agree."""

DOMAIN_FOLDS = 3
"""Cross-validation folds: three models a week (thousands of rows a side keep it stable)."""


def weekly_domain_drift(
    reference_sample: pa.Table,
    served: pl.DataFrame,
    context: VersionContext,
    config: MonitoringConfig,
) -> MultivariateDrift:
    """The domain classifier on the week's ``served`` predictions of ``context``'s version
    (logged rows, features as JSON) against its ``reference_sample``.

    Raises :class:`~watchkeeper.errors.SchemaError` when either side has too few rows.
    """
    columns = [name for name in reference_sample.column_names if name in context.feature_types]
    current = decode_served(served, context.feature_types).profiled.select(columns)
    rows = min(reference_sample.num_rows, config.domain_classifier_sample)
    binnings = context.reference.plan().features
    return domain_classifier_drift(
        sample_rows(reference_sample.select(columns), rows, seed=DOMAIN_SEED),
        sample_rows(current.to_arrow(), rows, seed=DOMAIN_SEED),
        ProfilePlan({name: binnings[name] for name in columns}),
        thresholds=config.domain_classifier_auc,
        folds=DOMAIN_FOLDS,
        seed=DOMAIN_SEED,
    )


__all__ = ["DOMAIN_FOLDS", "DOMAIN_SEED", "weekly_domain_drift"]
