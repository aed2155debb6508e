"""Shared fixtures: service-backed stores, temporary workspaces.

Tests that need PostgreSQL or Redis use the ``postgres_url`` / ``redis_url`` fixtures. Locally
they skip with a visible reason when the server is absent; with ``CI=true`` they fail instead,
so a CI run can never pass by skipping them.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

import watchkeeper  # noqa: F401  (sets OpenMP's passive waits before a test loads LightGBM)

POSTGRES_URL = os.environ.get(
    "WATCHKEEPER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("WATCHKEEPER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules that hold a ``slow`` test first, each module's tests kept together and
    in order: the workers then share the long tests out early, instead of one of them
    starting a long test while the other has nothing left to do."""
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_modules)


SLOW_SECONDS = 10.0
"""A test that runs longer than this should carry the ``slow`` mark (it is run first)."""
_UNMARKED_SLOW: list[tuple[str, float]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Note each test longer than :data:`SLOW_SECONDS` without the ``slow`` mark."""
    if report.when == "call" and report.duration > SLOW_SECONDS and "slow" not in report.keywords:
        _UNMARKED_SLOW.append((report.nodeid, report.duration))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List the long tests that are not marked ``slow`` (a report, not a failure: a test's
    time depends on the machine)."""
    if _UNMARKED_SLOW:
        terminalreporter.section(f"tests over {SLOW_SECONDS:.0f} s not marked slow")
        for nodeid, seconds in sorted(_UNMARKED_SLOW, key=lambda item: -item[1]):
            terminalreporter.write_line(f"{seconds:7.1f} s  {nodeid}")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2
        ):
            return True
    except OSError:
        return False


def _require_service(name: str, url: str, default_port: int) -> None:
    if _reachable(url, default_port):
        return
    message = f"{name} is not reachable at {url}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; with CI=true the {name} tests must run, not skip", pytrace=False)
    pytest.skip(f"{message} (set CI=true to make this a failure)")


SPARK_TEST_SETTINGS = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "1g",
    # Tiny frames: compiling generated code and re-planning cost more than they save.
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.adaptive.enabled": "false",
}
"""The ``local[2]`` session of the Spark tests: small data, few partitions, no UI."""


def _spark_unavailable() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install 'watchkeeper[spark]')"
    from watchkeeper.compute.spark_session import java_available

    if not java_available():
        return "no Java runtime on the PATH"
    return None


SPARK_WORKER_PATH = Path(__file__).parent / "features"
"""Where Spark's Python workers find the tests' custom row function (``test_spark_engine``)."""


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One ``local[2]`` Spark session per test process, shared by every Spark test module (the
    JVM's start is the slow part; nothing in watchkeeper stops a session it did not start).

    Skipped with the reason where PySpark or Java is missing, unless ``CI=true``: then it fails.
    """
    reason = _spark_unavailable()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; with CI=true the Spark tests must run", pytrace=False)
        pytest.skip(f"{reason} (set CI=true to make this a failure)")
    from watchkeeper.compute.spark_session import spark_session
    from watchkeeper.config import SparkConfig

    previous = os.environ.get("PYTHONPATH")
    # Spark's Python workers read the path once, when the first of them starts.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SPARK_WORKER_PATH), previous]))
    started = spark_session(SparkConfig(master="local[2]", conf=SPARK_TEST_SETTINGS))
    yield started
    started.stop()
    if previous is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = previous


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose ``search_path`` is a fresh schema, dropped after the test."""
    _require_service("PostgreSQL", POSTGRES_URL, 5432)
    import sqlalchemy as sa

    schema = f"wk_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def worker_redis_url(base: str, worker: str) -> str:
    """The Redis URL of one pytest-xdist worker: each worker has a database of its own,
    counting down from the base URL's (15 by default), so parallel tests never flush each
    other's keys.

    >>> worker_redis_url("redis://127.0.0.1:6379/15", "master")
    'redis://127.0.0.1:6379/15'
    >>> worker_redis_url("redis://127.0.0.1:6379/15", "gw2")
    'redis://127.0.0.1:6379/13'
    >>> worker_redis_url("redis://h:6379", "gw1")
    'redis://h:6379/14'
    """
    parsed = urlparse(base)
    database = int(parsed.path.strip("/") or 15)
    index = int(worker[2:]) if worker.startswith("gw") else 0
    if index > database:
        raise ValueError(f"Redis has no database {database - index} for pytest worker {worker}")
    return parsed._replace(path=f"/{database - index}").geturl()


@pytest.fixture
def redis_url(worker_id: str) -> str:
    """The URL of this worker's test Redis database (15 by default), flushed before the test."""
    url = worker_redis_url(REDIS_URL, worker_id)
    _require_service("Redis", url, 6379)
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A metadata database URL: a SQLite file, then (second parameter) a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'metadata.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


class MonitoredTraffic:
    """A workspace with a registered champion (reference profile, calibrator) and a way to log
    simulated predictions and chargebacks, for the monitor job's tests.

    Features: ``amount`` (lognormal), ``hour`` (uniform) and ``merchant_category`` (five
    values); the score is the true fraud probability, so calibration holds unless a day is
    logged with ``concept_drift``.
    """

    CATEGORIES = ("grocery", "fuel", "travel", "online", "retail")

    def __init__(self, root: Path, *, with_reference: bool = True, champion: bool = True) -> None:
        import numpy as np
        import polars as pl

        from watchkeeper.monitoring.profiles.profile_builder import build_reference_profile
        from watchkeeper.performance.binary_estimation import ScoreCalibrator
        from watchkeeper.registry.registry import CHAMPION, ModelRegistry
        from watchkeeper.training.trainers import train_lightgbm
        from watchkeeper.workspace import Workspace

        self.root = Workspace.create(root, "fraud")
        self.rng = np.random.default_rng(7)
        holdout = self.frame(8_000)
        labels = self.rng.random(holdout.height) < holdout["score"].to_numpy()
        features = holdout.select("amount", "hour", "merchant_category")
        self.threshold = float(np.quantile(holdout["score"].to_numpy(), 0.95))
        kinds = {"amount": "numeric", "hour": "numeric", "merchant_category": "categorical"}
        reference = build_reference_profile(
            holdout.select(*features.columns, "score"), {**kinds, "score": "numeric"}
        )
        model = train_lightgbm(
            features.select("amount", "hour").with_columns(pl.col("amount").log1p()),
            labels.astype(np.int8),
            sample_weight=None,
            parameters={"n_estimators": 2, "num_threads": 1, "verbose": -1},
            seed=0,
        )
        with Workspace.open(self.root) as opened:
            registry = ModelRegistry.for_workspace(opened)
            sha = (
                opened.artifacts.put_bytes(reference.to_bytes()).sha256 if with_reference else None
            )
            registry.register(
                model,
                feature_schema=features.schema,
                threshold=self.threshold,
                calibrator=ScoreCalibrator.fit(holdout["score"].to_numpy(), labels),
                reference_profile_sha256=sha,
            )
            if champion:
                registry.set_status(1, CHAMPION, reason="test")

    def frame(self, rows: int, shift: float = 0.0) -> Any:
        """Features and the true fraud probability (``score``); ``shift`` moves log-amounts."""
        import numpy as np
        import polars as pl

        log_amount = self.rng.normal(3.5 + shift, 1.0, rows)
        hour = self.rng.uniform(0, 24, rows)
        category = self.rng.integers(0, len(self.CATEGORIES), rows)
        logit = -5.0 + 0.9 * (log_amount - 3.5) + 0.6 * (category == 2) + 0.8 * (hour < 5)
        return pl.DataFrame(
            {
                "amount": np.round(np.expm1(log_amount), 2),
                "hour": np.floor(hour),
                "merchant_category": np.array(self.CATEGORIES)[category],
                "score": 1.0 / (1.0 + np.exp(-logit)),
            }
        )

    def log_day(
        self,
        day: datetime,
        rows: int = 1_500,
        shift: float = 0.0,
        concept_drift: bool = False,
        version: int = 1,
    ) -> Any:
        """Log one day of predictions of ``version`` and the chargebacks of its fraud (received
        20 days later); return the predictions frame."""
        import numpy as np
        import polars as pl

        from watchkeeper.workspace import Workspace

        frame = self.frame(rows, shift)
        fraud_probability = frame["score"].to_numpy()
        if concept_drift:
            fraud_probability = np.clip(fraud_probability * 3.0, 0.0, 1.0)
        fraud = self.rng.random(rows) < fraud_probability
        stamp = f"{day:%Y%m%d}-v{version}"
        seconds = np.sort(self.rng.integers(0, 86_400, rows))
        predictions = frame.with_columns(
            event_id=pl.Series([f"{stamp}-{index}" for index in range(rows)]),
            ts=pl.lit(day) + pl.duration(seconds=pl.Series(seconds)),
        ).select(
            "event_id",
            "ts",
            entity=pl.lit("card"),
            model_version=pl.lit(version, dtype=pl.Int64),
            route=pl.lit("champion"),
            score="score",
            decision=pl.col("score") >= self.threshold,
            latency_ms=pl.lit(1.0),
            raw_input=pl.struct("amount").struct.json_encode(),
            features=pl.struct("amount", "hour", "merchant_category").struct.json_encode(),
        )
        chargebacks = predictions.filter(pl.Series(fraud)).select(
            "event_id",
            outcome=pl.lit("chargeback"),
            outcome_ts=pl.col("ts") + pl.duration(days=20),
            amount=pl.col("raw_input").str.json_path_match("$.amount").cast(pl.Float64),
            received_at=pl.col("ts") + pl.duration(days=20),
        )
        with Workspace.open(self.root) as opened:
            opened.events.write_bulk("predictions", predictions, load_id=f"predictions-{stamp}")
            if chargebacks.height:
                opened.events.write_bulk("outcomes", chargebacks, load_id=f"outcomes-{stamp}")
        return predictions


@pytest.fixture
def monitored_traffic(tmp_path: Path) -> MonitoredTraffic:
    """A workspace whose champion can be monitored; log days with ``log_day``."""
    return MonitoredTraffic(tmp_path / "ws")


@pytest.fixture
def monitored_traffic_type() -> type[MonitoredTraffic]:
    """The class behind ``monitored_traffic``, for workspaces set up differently."""
    return MonitoredTraffic


def record_gate_pass(metadata: Any, model: str, *versions: int, accepted: bool = True) -> None:
    """Record that the validation gate accepted ``versions`` (as a retraining attempt does),
    so their canaries start without an override; ``accepted=False``: that it refused them."""
    from watchkeeper.training.attempts import RetrainAttempt, record_attempt

    for version in versions:
        attempt = RetrainAttempt(
            accepted=accepted,
            reason="better than the champion" if accepted else "no better than the champion",
            trigger="test",
            stage="validation",
            challenger_version=version,
            evidence={"primary_metric": "business_value"},
        )
        record_attempt(metadata, model, attempt)


class Inbox:
    """An alert channel that keeps what it is given."""

    name = "inbox"

    def __init__(self) -> None:
        self.received: list[Any] = []

    def deliver(self, notification: Any) -> None:
        self.received.append(notification)
