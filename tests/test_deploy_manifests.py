"""The compose and Kubernetes shapes are consistent with the code: every service is deployed,
probes are distinct (liveness ≠ readiness), pods are hardened, migrations run before serving.
More in tests/deploy/ (production settings, network policies, schemas, roles, restore)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("identity", "records", "artifacts", "submission", "notification")


def _kustomize(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl:
        out = subprocess.run(
            [kubectl, "kustomize", str(ROOT / "deploy/k8s/overlays" / overlay)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [d for d in yaml.safe_load_all(out) if d]
    # Without kubectl: the base files themselves (what every overlay builds on).
    docs: list[dict[str, Any]] = []
    for name in (*SERVICES, "nightly-sync"):
        docs += [d for d in yaml.safe_load_all((ROOT / f"deploy/k8s/base/{name}.yaml").read_text()) if d]
    return docs


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_every_service_is_deployed_hardened_with_distinct_probes(overlay: str) -> None:
    docs = _kustomize(overlay)
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for name in SERVICES:
        pod = deployments[name]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        # Longer than /readyz's own bound of each check (readiness_timeout_seconds, 3 s by default).
        assert container["readinessProbe"]["timeoutSeconds"] > 3
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert container["resources"]["requests"] and container["resources"]["limits"]
        # Before each pod serves (issue 14): the topology (issue 19), then the migration, as the
        # migration role; the service itself connects as its runtime role.
        assert [c["command"] for c in pod["initContainers"]] == [
            ["portfolio-topology", "declare"],
            ["alembic", "-c", "alembic.ini", "upgrade", "head"],
        ]
        migrate_env = {e["name"]: e for e in pod["initContainers"][1]["env"]}
        assert migrate_env["PORTFOLIO_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "migration-database-url"
        service_env = {e["name"]: e for e in container["env"]}
        db = service_env[f"PORTFOLIO_{name.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert db["key"] == "database-url"
        assert not any(d["kind"] == "Job" for d in docs)  # a Job cannot change its template on upgrade
        for kind in ("Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
            assert (kind, name) in kinds
    if overlay == "production":
        assert not any(d["kind"] == "StatefulSet" for d in docs)  # operators, not home-made StatefulSets
        assert {"Cluster", "RabbitmqCluster"} <= {d["kind"] for d in docs}


def test_compose_runs_every_service_after_its_migration() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in SERVICES:
        svc = services[name]
        assert svc["build"]["args"]["SERVICE"] == name
        assert svc["depends_on"][f"migrate-{name}"]["condition"] == "service_completed_successfully"
        assert svc["depends_on"]["topology"]["condition"] == "service_completed_successfully"
        assert any(k.endswith("_DATABASE_URL") and v.endswith(f"/{name}") for k, v in svc["environment"].items())
    assert services["topology"]["command"] == ["portfolio-topology", "declare"]
    init = (ROOT / "deploy/compose/postgres-init.sql").read_text()
    assert all(f"CREATE DATABASE {name};" in init for name in SERVICES)


def test_metrics_only_on_the_internal_port_and_forwarded_headers_only_from_the_ingress() -> None:
    """ASVS V6/V13: /metrics is not on the API port (the Service and the ingress expose http only;
    the pods serve 9090 to the monitoring namespace), and uvicorn believes X-Forwarded-For only
    from the configured proxy addresses, never from everyone."""
    docs = []
    for name in (*SERVICES, "common"):
        docs += [d for d in yaml.safe_load_all((ROOT / f"deploy/k8s/base/{name}.yaml").read_text()) if d]
    common = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "portfolio-common")
    assert common["data"]["PORTFOLIO_METRICS_PORT"] == "9090"
    assert common["data"]["FORWARDED_ALLOW_IPS"] not in ("", "*")
    for name in SERVICES:
        deployment = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name)
        template = deployment["spec"]["template"]
        ports = {p["name"]: p["containerPort"] for p in template["spec"]["containers"][0]["ports"]}
        assert ports == {"http": 8000, "metrics": 9090}
        assert template["metadata"]["annotations"]["prometheus.io/port"] == "9090"
        service = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == name)
        assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    policies = yaml.safe_load_all((ROOT / "deploy/k8s/components/network-policies/network-policies.yaml").read_text())
    for policy in policies:
        rules = policy["spec"].get("ingress", [])
        metrics = [r for r in rules if {"port": "metrics"} in r["ports"]]
        if policy["spec"]["podSelector"]:
            assert len(metrics) == 1, policy["metadata"]["name"]
        # Only the monitoring namespace reaches the metrics port, and on no other rule.
        for rule in metrics:
            assert rule["ports"] == [{"port": "metrics"}]
            monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
            assert rule["from"] == [monitoring]
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    assert "--forwarded-allow-ips" in dockerfile and "--forwarded-allow-ips *" not in dockerfile
    assert "--no-access-log" in dockerfile  # the services' own access line drops query strings (V16)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in SERVICES:
        assert compose[name]["environment"]["PORTFOLIO_METRICS_PORT"] == "9090"
        assert all(not p.endswith(":9090") for p in compose[name]["ports"])


def test_compose_runs_the_central_emulator_from_its_own_image() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    emulator = compose["services"]["central-emulator"]
    assert emulator["build"]["dockerfile"] == "central/Dockerfile"
    assert (ROOT / emulator["build"]["dockerfile"]).exists()
    assert emulator["ports"] == ["8006:8000"] and "/healthz" in " ".join(emulator["healthcheck"]["test"])
    assert any(v.endswith(":/data") for v in emulator["volumes"])  # accepted packages survive a restart


@pytest.mark.parametrize("overlay", ["dev", "production"])
def test_the_nightly_sis_sync_runs_as_hardened_cronjobs_once_at_a_time(overlay: str) -> None:
    """R-DUTY-3: identity pulls accounts and records grades every night, in school time."""
    jobs = {d["metadata"]["name"]: d for d in _kustomize(overlay) if d["kind"] == "CronJob"}
    for service in ("identity", "records"):
        job = jobs[f"{service}-nightly-sync"]["spec"]
        assert job["timeZone"] == "Asia/Taipei" and job["concurrencyPolicy"] == "Forbid"
        pod = job["jobTemplate"]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["command"] == ["python", "-m", f"portfolio_{service}.cli", "nightly-sync"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        env = {e["name"]: e for e in container["env"]}
        secret = env[f"PORTFOLIO_{service.upper()}_SIS_DROP_URL"]["valueFrom"]["secretKeyRef"]["name"]
        assert secret.startswith("portfolio-sis-drop")  # kustomize appends a hash to generated Secrets
