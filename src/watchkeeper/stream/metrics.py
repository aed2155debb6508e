"""The consumer's health on ``/metrics``: lag, throughput, outcomes, batch time.

Lag is read from the stream at each scrape (:class:`LagCollector`): per owned partition, the
entries delivered and not acknowledged (``watchkeeper_stream_pending_entries``), the entries
not delivered yet (``watchkeeper_stream_undelivered_entries``) and the age of the oldest of
either (``watchkeeper_stream_oldest_entry_age_seconds``). Throughput is
``rate(watchkeeper_stream_events_total[1m])``, and the events of the last 10 s per second as a
gauge. The service's own series (scores, flag rates, the monitoring gauges) are in the same
registry, as on the HTTP service's ``/metrics``.

>>> from prometheus_client import CollectorRegistry, generate_latest
>>> registry = CollectorRegistry()
>>> metrics = StreamMetrics(registry, lambda: [PartitionLag(0, 2, 5, 1.5)])
>>> metrics.batch_done(scored=9, rejected=1, seconds=0.02)
>>> text = generate_latest(registry).decode()
>>> 'watchkeeper_stream_pending_entries{partition="0"} 2.0' in text
True
>>> 'watchkeeper_stream_events_total{outcome="rejected"} 1.0' in text
True
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from watchkeeper.stream.source import PartitionLag

THROUGHPUT_WINDOW_SECONDS = 10.0


class LagCollector(Collector):
    """Reads the lag of the owned partitions at each scrape."""

    def __init__(self, lag: Callable[[], Sequence[PartitionLag]]) -> None:
        self._lag = lag

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pending = GaugeMetricFamily(
            "watchkeeper_stream_pending_entries",
            "Entries delivered to the consumer group and not acknowledged",
            labels=["partition"],
        )
        undelivered = GaugeMetricFamily(
            "watchkeeper_stream_undelivered_entries",
            "Entries not delivered to the consumer group yet",
            labels=["partition"],
        )
        oldest = GaugeMetricFamily(
            "watchkeeper_stream_oldest_entry_age_seconds",
            "Age of the oldest pending or undelivered entry",
            labels=["partition"],
        )
        for lag in self._lag():
            label = [str(lag.partition)]
            pending.add_metric(label, lag.pending)
            undelivered.add_metric(label, lag.undelivered)
            oldest.add_metric(label, lag.oldest_age_seconds or 0.0)
        yield pending
        yield undelivered
        yield oldest


class StreamMetrics:
    """The consumer's series, registered in ``registry``."""

    def __init__(
        self, registry: CollectorRegistry, lag: Callable[[], Sequence[PartitionLag]]
    ) -> None:
        self.registry = registry
        self.events = Counter(
            "watchkeeper_stream_events",
            "Stream entries handled, by outcome (scored or rejected)",
            ["outcome"],
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "watchkeeper_stream_batch_seconds",
            "Time from a batch read to its acknowledgement",
            registry=registry,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        )
        self.owned = Gauge(
            "watchkeeper_stream_owned_partitions",
            "Partitions this consumer holds the lease of",
            registry=registry,
        )
        self._recent: deque[tuple[float, int]] = deque()
        throughput = Gauge(
            "watchkeeper_stream_events_per_second",
            f"Entries handled per second over the last {THROUGHPUT_WINDOW_SECONDS:.0f} s",
            registry=registry,
        )
        throughput.set_function(self.throughput)
        registry.register(LagCollector(lag))

    def batch_done(self, *, scored: int, rejected: int, seconds: float) -> None:
        """Count one acknowledged batch."""
        self.events.labels("scored").inc(scored)
        self.events.labels("rejected").inc(rejected)
        self.batch_seconds.observe(seconds)
        now = time.monotonic()
        self._recent.append((now, scored + rejected))
        while self._recent and self._recent[0][0] < now - THROUGHPUT_WINDOW_SECONDS:
            self._recent.popleft()

    def throughput(self) -> float:
        """Entries per second over the last window."""
        now = time.monotonic()
        recent = [
            count
            for moment, count in list(self._recent)
            if moment >= now - THROUGHPUT_WINDOW_SECONDS
        ]
        return sum(recent) / THROUGHPUT_WINDOW_SECONDS


def serve_metrics(registry: CollectorRegistry, port: int, host: str = "0.0.0.0") -> Any:
    """Serve ``registry`` over HTTP on ``port`` from a daemon thread; the server is returned
    (``shutdown()`` stops it)."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server


__all__ = ["LagCollector", "StreamMetrics", "serve_metrics"]
