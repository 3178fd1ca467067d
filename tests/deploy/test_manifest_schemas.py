"""Issue 14: every rendered manifest (each overlay, with every optional component switched on) is
valid against the Kubernetes schemas, offline (kubernetes-validate ships them), and the operators'
resources carry the fields their operators require. A kind nobody checks fails the test."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest
from k8s import Doc, components, overlays, render, render_with

# The oldest Kubernetes this deployment supports (CronJob timeZone is GA from 1.27) and the newest
# schemas the package ships.
VERSIONS = ("1.30.0", kubernetes_validate.utils.latest_version())


def _dig(doc: Doc, path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


# (apiVersion, kind) → fields the operator refuses the resource without (and ours rely on).
OPERATOR_REQUIRED: dict[tuple[str, str], tuple[str, ...]] = {
    ("postgresql.cnpg.io/v1", "Cluster"): ("spec.instances", "spec.storage.size"),
    ("postgresql.cnpg.io/v1", "Database"): ("spec.name", "spec.owner", "spec.cluster.name"),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): ("spec.replicas",),
    ("minio.min.io/v2", "Tenant"): ("spec.pools", "spec.configuration.name"),
    ("monitoring.coreos.com/v1", "PrometheusRule"): ("spec.groups",),
    ("monitoring.coreos.com/v1", "PodMonitor"): ("spec.selector", "spec.podMetricsEndpoints"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): ("spec.selector", "spec.endpoints"),
}


def _check_operator_resource(doc: Doc) -> list[str]:
    key = (doc["apiVersion"], doc["kind"])
    name = f"{doc['kind']}/{doc['metadata'].get('name')}"
    if key not in OPERATOR_REQUIRED:
        return [f"{name}: no schema and no check for {key}"]
    problems = [f"{name}: missing {path}" for path in OPERATOR_REQUIRED[key] if _dig(doc, path) in (None, "", [], {})]
    if doc["kind"] == "Tenant":
        for pool in doc["spec"].get("pools", []):
            for field in ("servers", "volumesPerServer", "volumeClaimTemplate"):
                if not pool.get(field):
                    problems.append(f"{name}: pool {pool.get('name')} misses {field}")
    if doc["kind"] == "PrometheusRule":
        for group in doc["spec"]["groups"]:
            if not group.get("name") or not group.get("rules"):
                problems.append(f"{name}: a group needs a name and rules")
            for rule in group.get("rules", []):
                if not rule.get("expr") or bool(rule.get("alert")) == bool(rule.get("record")):
                    problems.append(f"{name}: rule {rule} needs expr and exactly one of alert/record")
    return problems


def _renders() -> list[tuple[str, list[Doc]]]:
    out = [(overlay, render(f"overlays/{overlay}")) for overlay in overlays()]
    out.append(("production+" + "+".join(components()), render_with("production", components())))
    return out


@pytest.mark.parametrize("version", VERSIONS)
def test_every_rendered_manifest_is_valid_against_the_kubernetes_schemas(version: str) -> None:
    problems: list[str] = []
    checked = 0
    for label, docs in _renders():
        for doc in docs:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
                checked += 1
            except kubernetes_validate.SchemaNotFoundError:
                problems += [f"{label}: {p}" for p in _check_operator_resource(doc)]
            except kubernetes_validate.ValidationError as exc:
                problems.append(f"{label}: {doc['kind']}/{doc['metadata'].get('name')}: {exc.message}")
    assert not problems, "\n".join(problems)
    assert checked > 30


def test_the_validation_catches_a_wrong_manifest() -> None:
    """The schema check can fail: a probe port given as a list, an unknown field (strict)."""
    docs = render("overlays/production")
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["timeoutSecond"] = 4
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[0], strict=True)
    cluster = next(d for d in docs if d["kind"] == "Cluster")
    del cluster["spec"]["storage"]
    assert _check_operator_resource(cluster) == ["Cluster/portfolio-pg: missing spec.storage.size"]
    assert _check_operator_resource({"apiVersion": "x.io/v1", "kind": "Thing", "metadata": {"name": "t"}})


def test_the_database_roles_match_the_migrations() -> None:
    """CloudNativePG manages a migration and a runtime role per service, the runtime role named by the
    migration init container is one of them, and each database is owned by its migration role."""
    docs = render("overlays/production")
    cluster = next(d for d in docs if d["kind"] == "Cluster")
    managed = {r["name"] for r in cluster["spec"]["managed"]["roles"]}
    owners = {d["spec"]["name"]: d["spec"]["owner"] for d in docs if d["kind"] == "Database"}
    owners[cluster["spec"]["bootstrap"]["initdb"]["database"]] = cluster["spec"]["bootstrap"]["initdb"]["owner"]
    deployments = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] in owners]
    assert deployments
    for d in deployments:
        name = d["metadata"]["name"]
        init = {c["name"]: c for c in d["spec"]["template"]["spec"]["initContainers"]}
        runtime = {e["name"]: e.get("value") for e in init["migrate"]["env"]}["PORTFOLIO_RUNTIME_ROLE"]
        assert runtime == f"{name}_app" and runtime in managed
        assert owners[name] == f"{name}_migrator" and owners[name] in managed
