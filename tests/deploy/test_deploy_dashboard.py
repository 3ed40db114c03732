"""The Grafana dashboard: valid JSON, queries Prometheus can parse, on metrics that exist."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.deploy_support import DASHBOARD, RunningTocsin, metric_names, system_binary

# What an operator must see, by the metric that shows it.
REQUIRED_METRICS = {
    "tocsin_ingest_alerts_accepted_total",  # ingest rate
    "tocsin_ingest_request_seconds_bucket",  # ingest latency
    "tocsin_ingest_requests_rejected_total",  # rejections
    "tocsin_correlator_decisions_total",
    "tocsin_correlator_open_incidents",
    "tocsin_router_notifications_total",  # notifications by outcome
    "tocsin_router_delivery_seconds_bucket",  # delivery latency
}
# Grafana's variables, replaced by what Grafana would send, for promtool to parse the query.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "6h", "$__interval": "1m"}


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def query_panels() -> list[dict[str, Any]]:
    return [panel for panel in dashboard()["panels"] if panel["type"] != "row"]


def expressions() -> list[str]:
    return [target["expr"] for panel in query_panels() for target in panel["targets"]]


def as_prometheus_query(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"unknown Grafana variable in {expr}"
    return expr


def test_dashboard_is_a_grafana_dashboard() -> None:
    board = dashboard()
    assert board["uid"] == "tocsin-overview"
    assert board["title"] == "Tocsin"
    assert isinstance(board["schemaVersion"], int)
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]


def test_every_panel_queries_the_chosen_prometheus() -> None:
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in query_panels():
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]


def test_queries_use_only_metrics_the_services_expose(running_tocsin: RunningTocsin) -> None:
    for expr in expressions():
        unknown = metric_names(expr) - running_tocsin.metric_names
        assert not unknown, f"{expr} uses metrics no service exposes: {unknown}"


def test_dashboard_shows_ingest_correlator_and_router() -> None:
    used = set().union(*(metric_names(expr) for expr in expressions()))
    assert used >= REQUIRED_METRICS, REQUIRED_METRICS - used


def test_prometheus_parses_every_query(tmp_path: Path) -> None:
    queries = [as_prometheus_query(expr) for expr in expressions()]
    queries += [as_prometheus_query(a["expr"]) for a in dashboard()["annotations"]["list"]]
    rules = [{"record": f"dashboard:query_{n}", "expr": q} for n, q in enumerate(queries)]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    promtool = system_binary("promtool", "prometheus")
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(rf"SUCCESS: {len(rules)} rules found", result.stdout), result.stdout
