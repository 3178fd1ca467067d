"""Performance-catalogue versions loaded from data files (R-FILE-3): a new central-database
format (a new sheet, a new code, an official code list) is a JSON file a deployment names in its
settings, not a release. Every problem of a file is reported at once, with the file's name."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from portfolio_artifacts.domain.errors import CatalogInvalid
from portfolio_artifacts.domain.performances import DEFAULT_CATALOG, CatalogRegistry, CategoryCatalog, catalog_from_dict

MAX_CATALOG_BYTES = 2 * 1024 * 1024


def load_catalog_file(path: Path) -> CategoryCatalog:
    """One catalogue version from a JSON file (the shape of ``catalog_to_dict``)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _invalid(path, [f"cannot be read: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_CATALOG_BYTES:
        raise _invalid(path, [f"is larger than {MAX_CATALOG_BYTES} bytes"])
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _invalid(path, [f"is not UTF-8 JSON: {exc}"]) from None
    try:
        return catalog_from_dict(data)
    except CatalogInvalid as exc:
        raise _invalid(path, list(getattr(exc, "problems", [exc.detail]))) from None


def _invalid(path: Path, problems: list[str]) -> CatalogInvalid:
    error = CatalogInvalid(f"catalogue file {path}: " + "; ".join(problems), field="catalog_files")
    error.problems = problems  # type: ignore[attr-defined]
    return error


def build_registry(files: Sequence[Path], current: str | None) -> tuple[CatalogRegistry, str]:
    """The built-in 2021.1 plus every file's version; the current version is ``current`` or the
    last file's. A bad file, a repeated version or an unknown ``current`` refuses to start."""
    registry = CatalogRegistry(DEFAULT_CATALOG)
    last = DEFAULT_CATALOG.version
    for path in files:
        catalog = load_catalog_file(path)
        try:
            registry.register(catalog)
        except CatalogInvalid as exc:
            raise _invalid(path, [exc.detail]) from None
        last = catalog.version
    chosen = current or last
    registry.get(chosen)  # CatalogInvalid naming the unknown version
    return registry, chosen
