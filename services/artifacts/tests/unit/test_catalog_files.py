"""R-FILE-3: a deployment loads a new performance-catalogue version from a data file, validated,
without a release; a bad file stops the start and names every problem."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from portfolio_artifacts.bootstrap import make_deps
from portfolio_artifacts.cli import main as cli_main
from portfolio_artifacts.config import Settings
from portfolio_artifacts.domain.catalog_2021_1 import CATALOG_2021_1
from portfolio_artifacts.domain.catalog_files import build_registry, load_catalog_file
from portfolio_artifacts.domain.errors import CatalogInvalid, PerformanceFieldInvalid
from portfolio_artifacts.domain.performances import validate_fields


def _new_version(tmp_path: Path, version: str = "2026.1", name: str = "catalog.json") -> Path:
    data = copy.deepcopy(CATALOG_2021_1)
    data["version"] = version
    competition = next(c for c in data["categories"] if c["code"] == "competition")
    level = next(f for f in competition["fields"] if f["name"] == "competition_level")
    level.pop("pattern")
    level.update(type="code", codes=[{"code": "1", "label": "校內"}, {"code": "2", "label": "全國"}])
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_new_version_from_a_file_becomes_current(tmp_path: Path) -> None:
    registry, current = build_registry([_new_version(tmp_path)], None)
    assert registry.versions == ("2021.1", "2026.1") and current == "2026.1"
    fields = {"competition_name": "科展", "results_date": "2026-05-01", "team_entry": "1"}
    assert validate_fields(registry.get(current), "competition", {**fields, "competition_level": "2"})
    with pytest.raises(PerformanceFieldInvalid):
        validate_fields(registry.get(current), "competition", {**fields, "competition_level": "9"})
    # The deployment may keep the built-in version current while the new one is loaded.
    assert build_registry([_new_version(tmp_path)], "2021.1")[1] == "2021.1"


def test_bad_files_are_refused_naming_the_file_and_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(
        json.dumps(
            {"version": "x", "categories": [{"code": "a", "name_zh": "", "fields": [{"name": "b", "type": "code"}]}]}
        ),
        encoding="utf-8",
    )
    with pytest.raises(CatalogInvalid) as caught:
        load_catalog_file(broken)
    assert str(broken) in caught.value.detail and caught.value.field == "catalog_files"
    assert caught.value.problems == [  # type: ignore[attr-defined]
        "category 'a': name_zh is required",
        "category 'a': code field 'b' must list its codes (codes: [...])",
    ]
    not_json = tmp_path / "x.json"
    not_json.write_bytes(b"{not json")
    with pytest.raises(CatalogInvalid, match="is not UTF-8 JSON"):
        load_catalog_file(not_json)
    with pytest.raises(CatalogInvalid, match="cannot be read"):
        load_catalog_file(tmp_path / "missing.json")
    with pytest.raises(CatalogInvalid, match="already registered"):
        build_registry([_new_version(tmp_path, "2021.1")], None)
    with pytest.raises(CatalogInvalid, match="unknown catalog version"):
        build_registry([_new_version(tmp_path)], "2030.1")


def test_settings_name_the_files_and_the_service_uses_them(tmp_path: Path) -> None:
    class _Runtime:
        settings = Settings(environment="test", catalog_files=f" {_new_version(tmp_path)} ,")

    deps = make_deps(_Runtime())  # type: ignore[arg-type]
    assert deps.current_catalog == "2026.1" and deps.catalogs.versions == ("2021.1", "2026.1")

    class _Bad:
        settings = Settings(environment="test", catalog_files=str(tmp_path / "nowhere.json"))

    with pytest.raises(CatalogInvalid):
        make_deps(_Bad())  # type: ignore[arg-type]


def test_the_check_command_validates_files_before_a_deployment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _new_version(tmp_path)
    assert cli_main(["catalog-check", str(good)]) == 0
    assert "catalogue version 2026.1, 10 categories" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": "", "categories": []}), encoding="utf-8")
    assert cli_main(["catalog-check", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json: invalid" in err and "catalog version is required" in err and "has no categories" in err
