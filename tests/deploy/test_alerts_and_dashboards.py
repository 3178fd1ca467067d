"""Issue 17: alerts and dashboards cannot rot.

- Each service is started as its own process (real PostgreSQL, RabbitMQ, S3 on moto) and its
  /metrics read on the internal metrics port; every metric named by an alert rule or a dashboard
  panel must be exported by some service (or be Prometheus's own ``up``).
- ``promtool check rules`` passes on the PrometheusRule's groups, and ``promtool test rules`` on
  series generated from scraped values (under CI=true a missing promtool fails; elsewhere it skips).
- A poison message dead-letters in a running service: its dead-letter gauge goes from 0 to 1 on
  /metrics, and the DLQ alert's expression, evaluated on the scraped values, goes from empty to
  that queue.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import yaml
from k8s import K8S, ROOT, render_with, tool
from promql import SYNTHETIC, evaluate, exported_names, metric_names, samples

from portfolio_shared.events.subscribers import SERVICES, SUBSCRIBERS
from portfolio_shared.messaging import OutgoingMessage, Topology, make_bus
from portfolio_shared.migrations import upgrade
from portfolio_shared.testing.fixtures import delete_topology

pytestmark = pytest.mark.integration

MONITORING = K8S / "components" / "monitoring"


def _alert_rules() -> list[dict[str, Any]]:
    rule = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def _dashboard_queries() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for path in sorted((MONITORING / "dashboards").glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            out += [(f"{path.name}: {panel['title']}", t["expr"]) for t in panel["targets"]]
        for var in board.get("templating", {}).get("list", []):
            query = var.get("query")
            if isinstance(query, dict):
                out.append((f"{path.name}: variable {var['name']}", query["query"]))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    name: str
    process: asyncio.subprocess.Process
    api: int
    metrics: int
    log: Path

    async def scrape(self) -> str:
        async with httpx.AsyncClient() as client:
            r = await client.get(f"http://127.0.0.1:{self.metrics}/metrics", timeout=10)
        r.raise_for_status()
        return r.text


@dataclass
class Platform:
    services: dict[str, Running] = field(default_factory=dict)
    topology: Topology | None = None


async def _start(
    name: str, database_url: str, rabbitmq_url: str, topology: Topology, s3_url: str, tmp: Path
) -> Running:
    api, metrics = _free_port(), _free_port()
    prefix = f"PORTFOLIO_{name.upper()}_"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PORTFOLIO_")},
        prefix + "ENVIRONMENT": "test",
        prefix + "DATABASE_URL": database_url,
        prefix + "BROKER_URL": rabbitmq_url,
        prefix + "TOPOLOGY_PREFIX": topology.prefix,
        prefix + "DELIVERY_LIMIT": str(topology.delivery_limit),
        prefix + "STORAGE_URL": s3_url,
        prefix + "LOG_JSON": "false",
        prefix + "OPS_OBSERVE_SECONDS": "0.3",
        prefix + "EML_FOLDER": str(tmp / "mail"),
        prefix + "VERIFY_INTERVAL_SECONDS": "0",
        "PORTFOLIO_METRICS_PORT": str(metrics),
    }
    log = tmp / f"{name}.log"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", f"portfolio_{name}.app:create", "--factory",
        "--host", "127.0.0.1", "--port", str(api), "--no-access-log",
        env=env, cwd=tmp, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    running = Running(name, process, api, metrics, log)
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.returncode is not None:
                break
            try:
                if (await client.get(f"http://127.0.0.1:{api}/healthz", timeout=2)).status_code == 200:
                    return running
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    process.kill()
    raise AssertionError(f"{name} did not start:\n{log.read_text()[-3000:]}")


@pytest_asyncio.fixture(scope="module")
async def platform(
    make_database: Callable[[str], Any],
    rabbitmq_url: str,
    s3_endpoint: str,
    run_id: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Platform]:
    """Every service of the platform as its own OS process, as in production (one database each),
    started once for this module (on 2 cores five start-ups are most of its time)."""
    topology = Topology(prefix=f"t.{run_id}.ops.", delivery_limit=3, retry_base_seconds=0.05, retry_max_seconds=0.2)
    s3_url = s3_endpoint.replace("{bucket}", f"t-{run_id}-ops")
    tmp_path = tmp_path_factory.mktemp("platform")
    urls = {name: await make_database(f"ops_{name}_{uuid.uuid4().hex[:6]}") for name in SERVICES}
    for name, url in urls.items():  # one at a time: alembic keeps process-wide state
        await asyncio.to_thread(upgrade, ROOT / "services" / name, url)
    started = await asyncio.gather(
        *(_start(name, urls[name], rabbitmq_url, topology, s3_url, tmp_path) for name in SERVICES),
        return_exceptions=True,
    )
    up = Platform({r.name: r for r in started if isinstance(r, Running)}, topology)
    try:
        failures = [r for r in started if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        yield up
    finally:
        for running in up.services.values():
            running.process.terminate()
        for running in up.services.values():
            try:
                await asyncio.wait_for(running.process.wait(), 15)
            except TimeoutError:
                running.process.kill()
                await running.process.wait()
        await delete_topology(rabbitmq_url, topology, tuple(f"{name}.revocations" for name in SERVICES))


def test_the_metric_name_reader_sees_what_an_expression_reads() -> None:
    assert metric_names('sum by (queue) (rate(portfolio_x_total{queue=~"a.b"}[5m])) / on(queue) up > 0') == {
        "portfolio_x_total",
        "up",
    }
    assert metric_names("histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m]))) > 4") == {"h_bucket"}
    assert metric_names("time() - max(portfolio_t_seconds) > 6 * 3600") == {"portfolio_t_seconds"}
    assert metric_names("label_values(portfolio_items, school)") == {"portfolio_items"}


async def test_every_alert_and_panel_names_a_metric_some_service_exports(platform: Platform) -> None:
    exported: set[str] = set(SYNTHETIC)
    for running in platform.services.values():
        page = await running.scrape()
        assert "portfolio_http_request_seconds" in page  # the service's own /metrics, not an empty page
        exported |= exported_names(page)
    queries = [(f"alert {r['alert']}", r["expr"]) for r in _alert_rules()] + _dashboard_queries()
    assert len(queries) > 40
    unknown = {f"{where}: {name}" for where, expr in queries for name in metric_names(expr) if name not in exported}
    assert not unknown, "named by a rule or panel but exported by no service:\n" + "\n".join(sorted(unknown))
    # The check can fail: a renamed metric is caught.
    assert "portfolio_deadletter_messages" in exported
    assert metric_names("max by (queue) (portfolio_dead_letter_messages) > 0") - exported


def test_each_alert_links_to_its_runbook_section() -> None:
    readme = (ROOT / "deploy" / "README.md").read_text()
    anchors = {_anchor(line) for line in readme.splitlines() if line.startswith("#")}
    for rule in _alert_rules():
        url = rule["annotations"]["runbook_url"]
        path, _, anchor = url.partition("#")
        assert path == "deploy/README.md" and anchor in anchors, f"{rule['alert']}: {url}"
        assert rule["labels"]["severity"] in ("page", "warning")


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = heading.lstrip("#").strip().lower()
    return "".join(ch for ch in text.replace(" ", "-") if ch.isalnum() or ch in "-_")


def _promtool() -> str:
    return tool("promtool", "the rule checks need it (Debian's prometheus package; .ci/run installs it)")


def test_the_rules_pass_promtool_check(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(yaml.safe_load((MONITORING / "alerts.yaml").read_text())["spec"]))
    result = subprocess.run([_promtool(), "check", "rules", str(rules)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_alert_rules())} rules found" in result.stdout


def test_the_monitoring_component_renders_with_its_rules_and_dashboards() -> None:
    docs = render_with("production", ["monitoring"])
    kinds = {d["kind"]: d for d in docs}
    assert {"PrometheusRule", "PodMonitor"} <= set(kinds)
    boards = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "portfolio-dashboards")
    assert boards["metadata"]["labels"]["grafana_dashboard"] == "1"
    names = {p.name for p in (MONITORING / "dashboards").glob("*.json")}
    assert set(boards["data"]) == names and "overview.json" in names
    assert {f"{s}.json" for s in SERVICES} <= names  # one per service
    assert kinds["PodMonitor"]["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"


async def _dead_letter_gauge(running: Running, queue: str) -> tuple[str, float | None]:
    page = await running.scrape()
    values = [v for labels, v in samples(page, "portfolio_deadletter_messages") if labels["queue"] == queue]
    return page, (values[0] if values else None)


async def test_a_poison_message_raises_the_dead_letter_gauge_and_fires_the_alert(
    platform: Platform, rabbitmq_url: str, tmp_path: Path
) -> None:
    """Runs after the name check on the same platform: no dead letter there before this message."""
    topology = platform.topology
    assert topology is not None
    consumer = "artifacts.records"
    queue = topology.queue(consumer)
    running = platform.services["artifacts"]
    rule = next(r for r in _alert_rules() if r["alert"] == "PortfolioDeadLettersWaiting")

    async def gauge_is(value: float) -> str:
        deadline = asyncio.get_running_loop().time() + 90  # a loaded 2-core machine: the broker is slow
        seen: float | None = None
        while asyncio.get_running_loop().time() < deadline:
            page, seen = await _dead_letter_gauge(running, queue)
            if seen == value:
                return page
            await asyncio.sleep(0.3)
        log = running.log.read_text()[-3000:]
        raise AssertionError(f"portfolio_deadletter_messages{{queue={queue!r}}} is {seen}, never {value}:\n{log}")

    before = await gauge_is(0)
    assert evaluate(rule["expr"], samples(before, "portfolio_deadletter_messages")) == {}

    bus = make_bus(rabbitmq_url, topology)
    try:
        poison = OutgoingMessage(
            routing_key=SUBSCRIBERS[consumer][0].routing_key(), body=b'{"not": "an envelope"}', message_id="poison-1"
        )
        await bus.publish(poison)
    finally:
        await bus.close()
    after = await gauge_is(1)
    fired = evaluate(rule["expr"], samples(after, "portfolio_deadletter_messages"))
    assert fired == {(("queue", queue),): 1.0}
    dead = [v for labels, v in samples(after, "portfolio_consumer_dead_lettered_total") if labels["queue"] == queue]
    assert dead == [1.0]

    # The same scraped values, as series over time, make promtool fire the alert after its `for`.
    promtool = _promtool()
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump(yaml.safe_load((MONITORING / "alerts.yaml").read_text())["spec"]))
    label = f'portfolio_deadletter_messages{{queue="{queue}"}}'
    series = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": label, "values": "0 0 " + " ".join(["1"] * 10)}],
                "alert_rule_test": [
                    {"eval_time": "3m", "alertname": "PortfolioDeadLettersWaiting", "exp_alerts": []},
                    {
                        "eval_time": "9m",
                        "alertname": "PortfolioDeadLettersWaiting",
                        "exp_alerts": [
                            {
                                "exp_labels": {"queue": queue, "severity": "page"},
                                "exp_annotations": {
                                    "summary": f"1 message(s) in the dead-letter queue of {queue}",
                                    "description": rule["annotations"]["description"],
                                    "runbook_url": rule["annotations"]["runbook_url"],
                                },
                            }
                        ],
                    },
                ],
            }
        ],
    }
    tests = tmp_path / "dlq-test.yaml"
    tests.write_text(yaml.safe_dump(series))
    proc = await asyncio.create_subprocess_exec(
        promtool, "test", "rules", str(tests), stdout=asyncio.subprocess.PIPE, stderr=subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
