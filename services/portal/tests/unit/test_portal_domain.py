"""The portal's words, times, terms and files: every label in both languages, times in the school's
zone, the term a page opens on, what counts towards the cap, the vendored htmx with its licence, and
the deployment files (compose, Kubernetes) hardened like the services'."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from portfolio_portal.domain.i18n import MESSAGES, human_size, label, pick_lang, school_time, t
from portfolio_portal.domain.terms import counts_towards_cap, current_term

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "portfolio_portal"
ROOT = Path(__file__).resolve().parents[4]
# htmx 2.0.4 from the npm registry (package htmx.org, dist/htmx.min.js), before the licence line.
HTMX_SHA256 = "e209dda5c8235479f3166defc7750e1dbcd5a5c1808b7792fc2e6733768fb447"


def test_every_message_has_both_languages_and_the_same_placeholders() -> None:
    for key, (zh, en) in MESSAGES.items():
        assert zh and en, key
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key
        if key != "nav.language":  # the switch names the other language in that language
            assert re.search(r"[\u4e00-\u9fff]", zh), f"{key}: the zh-TW text has no Chinese"


def test_every_key_a_template_uses_exists() -> None:
    used: set[str] = set()
    for template in (PACKAGE / "templates").glob("*.html"):
        used |= set(re.findall(r"""t\(\s*'([a-z_.]+)'""", template.read_text()))
    assert used, "no template was read"
    assert used <= set(MESSAGES), sorted(used - set(MESSAGES))


def test_language_choice_and_labels() -> None:
    assert pick_lang(None) == "zh-TW" and pick_lang("fr") == "zh-TW" and pick_lang("en") == "en"
    assert t("status.submitted", "zh-TW") == "待認證" and t("status.submitted", "en") == "Awaiting certification"
    assert t("outcomes.left", "zh-TW", left=2, cap=6) == "本學期還可上傳 2 件（上限 6 件）"
    assert label("status", "certified", "zh-TW") == "已認證"
    assert label("status", "unheard-of", "en") == "unheard-of"  # a new state shows itself, not a blank
    assert label("basis", None, "en") == ""


@pytest.mark.parametrize(
    ("value", "zone", "shown"),
    [
        ("2026-02-28T16:30:00Z", "Asia/Taipei", "2026-03-01 00:30"),  # the day changes in Taipei
        ("2026-03-01T00:30:00+08:00", "Asia/Taipei", "2026-03-01 00:30"),
        ("2026-02-28T16:30:00", "Asia/Taipei", "2026-03-01 00:30"),  # naive (SQLite) is UTC
        ("2026-02-28T16:30:00Z", "Asia/Tokyo", "2026-03-01 01:30"),  # the school's own setting
        ("2026-02-28T16:30:00Z", "Not/AZone", "2026-03-01 00:30"),  # unknown: the default zone
        (None, "Asia/Taipei", ""),
    ],
)
def test_times_are_shown_in_the_schools_zone(value: str | None, zone: str, shown: str) -> None:
    assert school_time(value, zone) == shown


def test_sizes() -> None:
    assert human_size(1023) == "1023 B" and human_size(1024) == "1.0 KB"
    assert human_size(4 * 1024 * 1024) == "4.00 MB" and human_size(4 * 1024 * 1024 + 1) == "4.00 MB"


@pytest.mark.parametrize(
    ("day", "term"),
    [
        (date(2026, 7, 31), (114, 2)),
        (date(2026, 8, 1), (115, 1)),
        (date(2027, 1, 31), (115, 1)),
        (date(2027, 2, 1), (115, 2)),
    ],
)
def test_the_default_term_turns_on_the_first_of_august_and_of_february(day: date, term: tuple[int, int]) -> None:
    assert current_term(day) == term


def test_what_counts_towards_the_cap() -> None:
    now = "2026-03-01T00:00:00Z"
    assert counts_towards_cap({"status": "submitted"}, now)
    assert counts_towards_cap({"status": "returned"}, now)
    assert not counts_towards_cap({"status": "withdrawn"}, now)
    # A draft counts until its upload links lapse (artifacts' draft_counts_until), at the limit too.
    assert counts_towards_cap({"status": "draft", "draft_counts_until": "2026-03-01T08:00:00+08:00"}, now)
    assert not counts_towards_cap({"status": "draft", "draft_counts_until": "2026-03-01T07:59:59+08:00"}, now)
    assert not counts_towards_cap({"status": "draft", "draft_counts_until": None}, now)


def test_htmx_is_vendored_unchanged_with_its_licence() -> None:
    text = (PACKAGE / "static" / "htmx.min.js").read_bytes()
    header, _, body = text.partition(b"\n")
    assert header.startswith(b"/*! htmx 2.0.4") and b"Zero-Clause BSD" in header
    assert hashlib.sha256(body).hexdigest() == HTMX_SHA256
    licence = (PACKAGE / "static" / "htmx.LICENSE.txt").read_text()
    assert "Zero-Clause BSD" in licence and "Permission to use, copy, modify" in licence


def test_no_page_loads_anything_from_another_site() -> None:
    for template in (PACKAGE / "templates").glob("*.html"):
        text = template.read_text()
        assert not re.search(r"""(src|href)=["']https?://""", text), template.name
    base = (PACKAGE / "templates" / "base.html").read_text()
    assert 'name="viewport"' in base and "<html lang=" in base and 'class="skip"' in base


def test_compose_and_kubernetes_run_the_portal_like_the_services() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["portal"]
    assert compose["build"]["dockerfile"] == "services/portal/Dockerfile"
    assert (ROOT / compose["build"]["dockerfile"]).is_file()
    assert compose["environment"]["PORTFOLIO_PORTAL_IDENTITY_URL"] == "http://identity:8000"
    assert "portal.yaml" in (ROOT / "deploy/k8s/base/kustomization.yaml").read_text()
    docs = [d for d in yaml.safe_load_all((ROOT / "deploy/k8s/base/portal.yaml").read_text()) if d]
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for kind in ("Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        assert (kind, "portal") in kinds
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    env = {e["name"]: e for e in container["env"]}
    assert env["PORTFOLIO_PORTAL_ENVIRONMENT"]["value"] == "production"  # refuses default secrets
    assert env["PORTFOLIO_PORTAL_SESSION_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "portfolio-portal"
