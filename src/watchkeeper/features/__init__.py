"""Features: declared once, computed by a batch engine and an online engine with proven parity.

* :class:`FeatureSpec` — raw input schema and feature definitions (from the workspace file or
  Python objects);
* :func:`fit` — learn vocabularies and statistics into a :class:`FittedFeatureSpec`
  (canonical JSON with a content hash; the model version is served with exactly it);
* :class:`BatchFeatureEngine` / :func:`compute_batch` — whole histories, point-in-time correct;
* :class:`OnlineFeatureEngine` — one event at a time, per-key state in an
  :class:`EntityStateStore` (memory, SQLite, Redis);
* :func:`check_parity` — both engines on one frame, compared feature by feature;
* :func:`check_skew` — served features against the batch engine's recomputation.

>>> from watchkeeper.features import FeatureSpec, fit
>>> FeatureSpec.__name__, fit.__name__
('FeatureSpec', 'fit')
"""

from __future__ import annotations

from watchkeeper.features.batch_engine import BatchFeatureEngine, BatchResult, compute_batch
from watchkeeper.features.comparison import RELATIVE_TOLERANCE, ColumnComparison
from watchkeeper.features.fit import fit
from watchkeeper.features.fitted import FittedFeatureSpec, Standardization, Vocabulary
from watchkeeper.features.frame_validation import InvalidRowPolicy, ValidatedFrame, validate_frame
from watchkeeper.features.online_engine import (
    LateArrivalPolicy,
    MicroBatchResult,
    OnlineFeatureEngine,
    RejectedEvent,
)
from watchkeeper.features.parity import ParityReport, check_parity
from watchkeeper.features.replay import replay_online
from watchkeeper.features.schema_validation import validate_event
from watchkeeper.features.spec import FeatureSpec
from watchkeeper.features.state import EntityStateStore, open_state_store

__all__ = [
    "RELATIVE_TOLERANCE",
    "BatchFeatureEngine",
    "BatchResult",
    "ColumnComparison",
    "EntityStateStore",
    "FeatureSpec",
    "FittedFeatureSpec",
    "InvalidRowPolicy",
    "LateArrivalPolicy",
    "MicroBatchResult",
    "OnlineFeatureEngine",
    "ParityReport",
    "RejectedEvent",
    "Standardization",
    "ValidatedFrame",
    "Vocabulary",
    "check_parity",
    "compute_batch",
    "fit",
    "open_state_store",
    "replay_online",
    "validate_event",
    "validate_frame",
]
