"""/metrics carries what monitoring found: drift, performance, money, alerts and the rollout."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.utils import floatToGoString
from tests.serving.conftest import START, Service

from watchkeeper.storage.metadata.alert_store import AlertRecord
from watchkeeper.storage.metadata.records import MetricRow

DAY = timedelta(days=1)


def seed_monitoring(service: Service) -> None:
    """Two daily windows of results for the champion, a weekly one, and a firing alert."""
    version = service.champion
    rows = []
    for day, psi in ((6, 0.05), (7, 0.31)):
        start, end = START + day * DAY, START + (day + 1) * DAY
        rows += [
            MetricRow("card-fraud", "psi", start, end, psi, "ok", "amount", version),
            MetricRow("card-fraud", "psi", start, end, psi / 10, "ok", "country", version),
            MetricRow("card-fraud", "score_psi", start, end, psi / 2, "ok", None, version),
            MetricRow("card-fraud", "recall", start, end, 0.7 + psi, "immature", None, version),
            MetricRow("card-fraud", "estimated_recall", start, end, 0.8, "ok", None, version),
            MetricRow(
                "card-fraud", "business_value", start, end, 1000.0 * day, "immature", None, version
            ),
            MetricRow(
                "card-fraud", "estimated_business_value", start, end, 900.0, "ok", None, version
            ),
            MetricRow("card-fraud", "labelled_events", start, end, 12.0, "ok", None, version),
        ]
    week = MetricRow(
        "card-fraud", "psi", START + DAY, START + 8 * DAY, 0.99, "ok", "amount", version
    )
    mature = MetricRow("card-fraud", "precision", START, START + DAY, 0.4, "ok", None, version)
    service.workspace.metadata.upsert_metrics([*rows, week, mature])
    now = service.clock.now()
    service.workspace.metadata.alerts.save(
        AlertRecord(
            model="card-fraud",
            rule="input drift",
            feature="amount",
            metric="psi",
            severity="warning",
            state="firing",
            value=0.31,
            threshold=0.25,
            first_fired_at=now,
            last_evaluated_at=now,
        )
    )


def scrape(service: Service) -> str:
    answer = service.client.get("/metrics", headers=service.admin())
    assert answer.status_code == 200
    return answer.text


def test_the_latest_window_of_each_series_is_a_gauge(service: Service) -> None:
    seed_monitoring(service)
    text = scrape(service)
    labels = f'model="card-fraud",model_version="{service.champion}"'
    expected = [
        f'watchkeeper_feature_psi{{feature="amount",{labels}}} 0.31',
        f'watchkeeper_feature_psi{{feature="country",{labels}}} 0.031',
        f"watchkeeper_score_psi{{{labels}}} 0.155",
        f'watchkeeper_model_performance{{maturity="immature",metric="recall",{labels},source="realized"}} 1.01',
        f'watchkeeper_model_performance{{maturity="none",metric="recall",{labels},source="estimated"}} 0.8',
        f'watchkeeper_model_performance{{maturity="mature",metric="precision",{labels},source="realized"}} 0.4',
        f'watchkeeper_business_value{{maturity="immature",metric="business_value",{labels},source="realized"}} 7000.0',
        f'watchkeeper_business_value{{maturity="none",metric="business_value",{labels},source="estimated"}} 900.0',
        f"watchkeeper_monitoring_window_end_timestamp_seconds{{{labels}}} {floatToGoString((START + 8 * DAY).timestamp())}",
        'watchkeeper_alert_state{feature="amount",model="card-fraud",rule="input drift",severity="warning"} 1.0',
        f'watchkeeper_rollout_info{{challenger_version="",champion_version="{service.champion}",model="card-fraud",state="idle"}} 1.0',
    ]
    missing = [line for line in expected if line not in text]
    assert not missing, missing
    assert "labelled_events" not in text  # counts behind the rates are not exposed


def test_figures_are_read_at_most_every_15_seconds_of_the_service_clock(service: Service) -> None:
    seed_monitoring(service)
    assert 'feature="amount"' in scrape(service)
    start, end = START + 8 * DAY, START + 9 * DAY
    service.workspace.metadata.upsert_metrics(
        [MetricRow("card-fraud", "psi", start, end, 0.5, "alert", "amount", service.champion)]
    )
    service.client.post(
        "/v1/rollout/start", json={"version": service.good}, headers=service.admin()
    )
    cached = scrape(service)
    assert 'feature="amount",model="card-fraud",model_version="1"} 0.31' in cached
    assert 'state="idle"' in cached
    service.clock.advance(timedelta(seconds=15))
    fresh = scrape(service)
    assert 'feature="amount",model="card-fraud",model_version="1"} 0.5' in fresh
    assert (
        f'watchkeeper_rollout_info{{challenger_version="{service.good}",'
        f'champion_version="{service.champion}",model="card-fraud",state="canary"}} 1.0'
    ) in fresh


def test_without_monitoring_results_the_scrape_still_answers(service: Service) -> None:
    text = scrape(service)
    assert "watchkeeper_feature_psi{" not in text
    assert 'watchkeeper_rollout_info{challenger_version=""' in text


def test_a_task_model_exposes_f1_accuracy_mae_and_its_cost() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from watchkeeper.clock import EventTimeClock
    from watchkeeper.serving.monitoring_gauges import MonitoringCollector
    from watchkeeper.storage.metadata.store import open_metadata_store

    clock = EventTimeClock(START + 2 * DAY)
    metadata = open_metadata_store("sqlite://", clock)
    end = START + DAY
    values = {
        "f1": (0.4, "ok"),
        "estimated_f1": (0.45, "ok"),
        "accuracy": (0.8, "immature"),
        "mae": (2.5, "ok"),
        "cost": (50.0, "immature"),
        "estimated_cost": (40.0, "ok"),
        "value_against_baseline": (70.0, "ok"),
        "under_prediction_cost": (9.0, "ok"),
    }
    metadata.upsert_metrics(
        [
            MetricRow("churn", metric, START, end, value, status, None, 1)
            for metric, (value, status) in values.items()
        ]
    )
    registry = CollectorRegistry()
    registry.register(MonitoringCollector(metadata, "churn", clock))
    text = generate_latest(registry).decode()
    metadata.close()
    labels = 'model="churn",model_version="1"'
    for line in (
        f'watchkeeper_model_performance{{maturity="mature",metric="f1",{labels},source="realized"}} 0.4',
        f'watchkeeper_model_performance{{maturity="none",metric="f1",{labels},source="estimated"}} 0.45',
        f'watchkeeper_model_performance{{maturity="immature",metric="accuracy",{labels},source="realized"}} 0.8',
        f'watchkeeper_model_performance{{maturity="mature",metric="mae",{labels},source="realized"}} 2.5',
        f'watchkeeper_business_value{{maturity="immature",metric="cost",{labels},source="realized"}} 50.0',
        f'watchkeeper_business_value{{maturity="none",metric="cost",{labels},source="estimated"}} 40.0',
        f'watchkeeper_business_value{{maturity="mature",metric="value_against_baseline",{labels},source="realized"}} 70.0',
        f'watchkeeper_business_value{{maturity="mature",metric="under_prediction_cost",{labels},source="realized"}} 9.0',
    ):
        assert line in text, line
