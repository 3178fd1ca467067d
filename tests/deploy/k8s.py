"""Render the kustomize overlays as an operator would (``kubectl kustomize``) and read what each
container is given: its environment (env, envFrom, ConfigMap and Secret references) and its image."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"

Doc = dict[str, Any]


def tool(name: str, why: str) -> str:
    """A command-line tool a test needs: under CI=true a missing one fails the test, elsewhere it skips."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing (CI=true): {why}")
        pytest.skip(f"{name} not installed: {why}")
    return found


def kubectl() -> str:
    return tool("kubectl", "its built-in kustomize renders the overlays")


@functools.cache
def _render(path: str) -> tuple[Doc, ...]:
    out = subprocess.run([kubectl(), "kustomize", path], capture_output=True, text=True, check=True).stdout
    return tuple(d for d in yaml.safe_load_all(out) if d)


def render(relative: str) -> list[Doc]:
    """The documents ``kubectl kustomize deploy/k8s/<relative>`` prints (copied: tests may not share edits)."""
    import copy

    return copy.deepcopy(list(_render(str(K8S / relative))))


def overlays() -> list[str]:
    return sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").exists())


def pod_spec(doc: Doc) -> Doc | None:
    kind = doc["kind"]
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
        return doc["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    if kind == "Pod":
        return doc["spec"]  # type: ignore[no-any-return]
    return None


@dataclass(frozen=True)
class Container:
    workload: Doc
    spec: Doc
    init: bool

    @property
    def where(self) -> str:
        kind = "initContainer" if self.init else "container"
        return f"{self.workload['kind']}/{self.workload['metadata']['name']} {kind} {self.spec['name']}"

    @property
    def image_name(self) -> str:
        return str(self.spec["image"]).rsplit(":", 1)[0].rsplit("@", 1)[0]


def containers(docs: list[Doc]) -> Iterator[Container]:
    for doc in docs:
        pod = pod_spec(doc)
        if pod is None:
            continue
        for c in pod.get("initContainers", []):
            yield Container(doc, c, True)
        for c in pod["containers"]:
            yield Container(doc, c, False)


def _b64_key(seed: str) -> str:
    return base64.b64encode(hashlib.sha256(seed.encode()).digest()).decode()


def dummy_secret_value(secret: str, key: str) -> str:
    """A value of the right shape for one key of a Secret (what the secret manager would hold)."""
    seed = f"{secret}/{key}"
    owner = secret.removeprefix("portfolio-")
    token = hashlib.sha256(seed.encode()).hexdigest()
    if key == "database-url":
        return f"postgresql+asyncpg://{owner}_app:{token[:24]}@portfolio-pg-rw/{owner}"
    if key == "migration-database-url":
        return f"postgresql+asyncpg://{owner}_migrator:{token[:24]}@portfolio-pg-rw/{owner}"
    if secret == "portfolio-broker" and key == "url":
        return f"amqps://portfolio:{token[:24]}@portfolio-rabbitmq:5671/"
    if key in ("storage-url", "url"):  # an S3 bucket (artifacts' files, the SIS drop)
        return f"s3://{owner}:{token[:24]}@minio.portfolio-storage:443/{owner}?secure=true"
    if key in ("private-key", "submission-public-key"):  # X25519 keys, base64url without padding
        return base64.urlsafe_b64encode(hashlib.sha256(seed.encode()).digest()).rstrip(b"=").decode()
    if key.endswith("-keys"):  # key rings "<kid>:<base64 of 32 bytes>,..."
        return f"k2026:{_b64_key(seed)}"
    if key.endswith("-kid"):
        return "k2026"
    if key.endswith("-key"):
        return _b64_key(seed)
    if key.endswith("-host"):
        return "smtp.example.edu.tw"
    if key.endswith("-port"):
        return "587"
    if key == "smtp-security":
        return "starttls"
    return token


def environment(container: Container, docs: list[Doc]) -> dict[str, str]:
    """Exactly the variables the container gets: optional references that nothing fills stay unset,
    a required reference to a missing ConfigMap key fails (the pod would not start)."""
    configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    env: dict[str, str] = {}
    for source in container.spec.get("envFrom", []):
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            ref = source["configMapRef"]
            if ref["name"] not in configmaps:
                assert ref.get("optional"), f"{container.where}: ConfigMap {ref['name']} is not rendered"
                continue
            env.update({prefix + k: str(v) for k, v in configmaps[ref["name"]].items()})
        else:
            raise AssertionError(f"{container.where}: envFrom a Secret hides which keys it needs; name them in env")
    for item in container.spec.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        source = item.get("valueFrom", {})
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            if ref.get("optional"):
                continue  # the secret manager may leave it out: the service must start without it
            env[item["name"]] = dummy_secret_value(ref["name"], ref["key"])
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            data = configmaps.get(ref["name"])
            if data is None or ref["key"] not in data:
                assert ref.get("optional"), f"{container.where}: {ref['name']}/{ref['key']} is not rendered"
                continue
            env[item["name"]] = str(data[ref["key"]])
        elif "fieldRef" in source or "resourceFieldRef" in source:
            env[item["name"]] = "downward-api"
        else:
            raise AssertionError(f"{container.where}: unsupported env source {item}")
    return env


def secret_refs(docs: list[Doc]) -> set[tuple[str, str]]:
    """Every (Secret, key) a container of the rendered documents refers to."""
    refs: set[tuple[str, str]] = set()
    for container in containers(docs):
        for item in container.spec.get("env", []):
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                refs.add((ref["name"], ref["key"]))
    return refs


def components() -> list[str]:
    return sorted(p.name for p in (K8S / "components").iterdir() if (p / "kustomization.yaml").exists())


@functools.cache
def _render_with(overlay: str, extra: tuple[str, ...]) -> tuple[Doc, ...]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        rel = os.path.relpath(K8S, tmp)
        lines = ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization", "resources:"]
        lines.append(f"  - {rel}/overlays/{overlay}")
        lines.append("components:")
        lines += [f"  - {rel}/components/{c}" for c in extra]
        (Path(tmp) / "kustomization.yaml").write_text("\n".join(lines) + "\n")
        return _render(tmp)


def render_with(overlay: str, extra: list[str]) -> list[Doc]:
    """An overlay with more (optional) components switched on, as an operator would add them."""
    import copy

    return copy.deepcopy(list(_render_with(overlay, tuple(extra))))
