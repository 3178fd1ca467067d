"""Multiple-performance categories (多元表現) as versioned data (R-PERF-1, R-FILE-3).

The central database's student-filled workbook (學生自填多元表現名冊) has one sheet per category, and
its sheets and code lists have changed over the years. A category and its fields are therefore data:
a :class:`CategoryCatalog` with a version, loadable from a JSON-compatible dict, so a deployment adds
a new catalog version without a release. ``validate_fields`` checks one record against a catalog.

The short description (內容簡述) and the files are common to every category and checked by
``file_rules``; the catalog only describes the fields besides them.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from portfolio_artifacts.domain.catalog_2021_1 import CATALOG_2021_1
from portfolio_artifacts.domain.errors import CatalogInvalid, PerformanceFieldInvalid, UnknownCategory


class FieldType(enum.StrEnum):
    STR = "str"
    DATE = "date"
    INT = "int"
    DECIMAL = "decimal"
    CODE = "code"


Number = int | Decimal


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One field of a category. ``codes`` maps allowed codes to labels; when the list is not known
    (``None``) a CODE field is held to ``pattern`` instead."""

    name: str
    type: FieldType
    name_zh: str = ""
    required: bool = False
    max_length: int | None = None
    codes: Mapping[str, str] | None = None
    pattern: str | None = None
    min_value: Number | None = None
    max_value: Number | None = None
    decimal_places: int | None = None


@dataclass(frozen=True, slots=True)
class CategoryDef:
    """One category (one sheet of the workbook). ``date_ranges`` lists (start, end) field pairs."""

    code: str
    name_zh: str
    fields: tuple[FieldDef, ...]
    name_en: str = ""
    date_ranges: tuple[tuple[str, str], ...] = ()

    def field_def(self, name: str) -> FieldDef | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


@dataclass(frozen=True)
class CategoryCatalog:
    """A version of the category list, e.g. ``"2021.1"``."""

    version: str
    categories: tuple[CategoryDef, ...]
    _by_code: Mapping[str, CategoryDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_catalog(self.version, self.categories)
        object.__setattr__(self, "_by_code", MappingProxyType({c.code: c for c in self.categories}))

    def category(self, code: str) -> CategoryDef:
        try:
            return self._by_code[code]
        except (KeyError, TypeError):
            raise UnknownCategory(
                f"category {code!r} does not exist in catalog {self.version}", field="category"
            ) from None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)


_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def catalog_problems(version: str, categories: tuple[CategoryDef, ...]) -> list[tuple[str, str]]:
    """Every problem of a catalog as (where, what), not only the first: a deployment that loads a
    new version from a data file sees the whole list at once (R-FILE-3)."""
    problems: list[tuple[str, str]] = []
    if not isinstance(version, str) or not version.strip():
        problems.append(("version", "catalog version is required"))
    if not categories:
        problems.append(("categories", f"catalog {version} has no categories"))
    seen: set[str] = set()
    for cat in categories:
        where = f"category {cat.code!r}"
        if not _IDENT.fullmatch(cat.code) or cat.code in seen:
            problems.append((cat.code, f"{where}: code must be a unique lower-case identifier"))
        seen.add(cat.code)
        if not cat.name_zh:
            problems.append((cat.code, f"{where}: name_zh is required"))
        names: set[str] = set()
        for f in cat.fields:
            if not _IDENT.fullmatch(f.name) or f.name in names:
                problems.append((f.name, f"{where}: field {f.name!r} must be a unique identifier"))
            names.add(f.name)
            if f.codes is not None and f.type is not FieldType.CODE:
                problems.append((f.name, f"{where}: field {f.name!r}: only code fields may list codes"))
            if f.type is FieldType.CODE and not f.codes:
                # Code lists are lists, not regular expressions: a new code is a line of data.
                problems.append((f.name, f"{where}: code field {f.name!r} must list its codes (codes: [...])"))
            if f.type is FieldType.CODE and f.pattern is not None:
                problems.append((f.name, f"{where}: code field {f.name!r} lists codes; a pattern is not allowed"))
            if f.max_length is not None and f.max_length <= 0:
                problems.append((f.name, f"{where}: field {f.name!r}: max_length must be positive"))
            if f.pattern is not None:
                try:
                    re.compile(f.pattern)
                except re.error as exc:
                    problems.append((f.name, f"{where}: field {f.name!r}: bad pattern: {exc}"))
        for start, end in cat.date_ranges:
            for name in (start, end):
                fd = cat.field_def(name)
                if fd is None or fd.type is not FieldType.DATE:
                    problems.append((name, f"{where}: date range names a non-date field {name!r}"))
    return problems


def _check_catalog(version: str, categories: tuple[CategoryDef, ...]) -> None:
    problems = catalog_problems(version, categories)
    if problems:
        error = CatalogInvalid("; ".join(what for _, what in problems), field=problems[0][0])
        error.problems = [what for _, what in problems]  # type: ignore[attr-defined]
        raise error


# --- validation -----------------------------------------------------------------------------------


def validate_fields(catalog: CategoryCatalog, category_code: str, fields: Mapping[str, object]) -> dict[str, object]:
    """Check one performance record's fields and return them normalised (R-FILE-3).

    Normalised values: ``str`` (NFC, stripped), ``datetime.date``, ``int``, ``Decimal`` and ``str``
    codes. Empty optional fields are left out. Raises a domain error naming the first bad field.
    """
    category = catalog.category(category_code)
    unknown = sorted(k for k in fields if category.field_def(str(k)) is None)
    if unknown:
        raise PerformanceFieldInvalid(
            f"field {unknown[0]!r} does not exist in category {category.code!r} (catalog {catalog.version})",
            field=str(unknown[0]),
        )
    result: dict[str, object] = {}
    for fd in category.fields:
        raw = fields.get(fd.name)
        if _is_blank(raw):
            if fd.required:
                raise PerformanceFieldInvalid(f"{_label(fd)} is required", field=fd.name)
            continue
        result[fd.name] = _normalise(fd, raw)
    for start, end in category.date_ranges:
        s, e = result.get(start), result.get(end)
        if isinstance(s, date) and isinstance(e, date) and e < s:
            raise PerformanceFieldInvalid(f"{end} ({e.isoformat()}) is before {start} ({s.isoformat()})", field=end)
    return result


def _label(fd: FieldDef) -> str:
    return f"{fd.name} ({fd.name_zh})" if fd.name_zh else fd.name


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _normalise(fd: FieldDef, raw: object) -> object:
    if fd.type is FieldType.STR:
        return _as_str(fd, raw)
    if fd.type is FieldType.CODE:
        return _as_code(fd, raw)
    if fd.type is FieldType.DATE:
        return _as_date(fd, raw)
    if fd.type is FieldType.INT:
        value = _as_int(fd, raw)
        _check_range(fd, value)
        return value
    number = _as_decimal(fd, raw)
    _check_range(fd, number)
    return number


def _bad(fd: FieldDef, why: str) -> PerformanceFieldInvalid:
    return PerformanceFieldInvalid(f"{_label(fd)} {why}", field=fd.name)


def _as_str(fd: FieldDef, raw: object) -> str:
    if not isinstance(raw, str):
        raise _bad(fd, f"must be text, not {type(raw).__name__}")
    value = unicodedata.normalize("NFC", raw).strip()
    if any(unicodedata.category(ch) in {"Cc", "Zl", "Zp"} for ch in value):
        raise _bad(fd, "must not contain control characters or line breaks")
    if fd.max_length is not None and len(value) > fd.max_length:
        raise _bad(fd, f"may be at most {fd.max_length} characters; got {len(value)}")
    # re.ASCII: a catalog's ``\d`` or ``\w`` must not admit other scripts' digits (R-DATA-1 care).
    if fd.pattern is not None and not re.fullmatch(fd.pattern, value, re.ASCII):
        raise _bad(fd, "has an invalid format")
    return value


def _as_code(fd: FieldDef, raw: object) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise _bad(fd, f"must be a code, not {type(raw).__name__}")
    value = str(raw).strip()
    if fd.codes is not None:
        if value not in fd.codes:
            raise _bad(fd, f"must be one of {', '.join(fd.codes)}; got {value!r}")
        return value
    if fd.max_length is not None and len(value) > fd.max_length:
        raise _bad(fd, f"may be at most {fd.max_length} characters")
    # re.ASCII: a catalog's ``\d`` or ``\w`` must not admit other scripts' digits into a code.
    if fd.pattern is not None and not re.fullmatch(fd.pattern, value, re.ASCII):
        raise _bad(fd, f"is not a valid code: {value!r}")
    return value


# ASCII digits only: ``\d`` and ``int()`` also accept every other Unicode digit (R-DATA-1 care).
_DATE_RE = re.compile(r"([0-9]{2,4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})", re.ASCII)
_ROC_COMPACT_RE = re.compile(r"([0-9]{2,3})([0-9]{2})([0-9]{2})", re.ASCII)
ROC_OFFSET = 1911


def _as_date(fd: FieldDef, raw: object) -> date:
    """ISO ``2025-09-01`` or ``2025/09/01``; ROC dates as in the workbooks: ``114/09/01``, ``1140901``."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        raise _bad(fd, f"must be a date, not {type(raw).__name__}")
    text = raw.strip()
    m = _DATE_RE.fullmatch(text) or _ROC_COMPACT_RE.fullmatch(text)
    if m is None:
        raise _bad(fd, f"must be a date like 2025-09-01 or 114/09/01; got {text!r}")
    year_text, month, day = m.group(1), int(m.group(2)), int(m.group(3))
    year = int(year_text) if len(year_text) == 4 else int(year_text) + ROC_OFFSET
    try:
        return date(year, month, day)
    except ValueError:
        raise _bad(fd, f"is not a real date: {text!r}") from None


def _as_int(fd: FieldDef, raw: object) -> int:
    if isinstance(raw, bool):
        raise _bad(fd, "must be a whole number, not a boolean")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, Decimal) and raw.is_finite() and raw == raw.to_integral_value():
        return int(raw)
    if isinstance(raw, str) and re.fullmatch(r"[+-]?[0-9]{1,9}", raw.strip(), re.ASCII):
        return int(raw.strip())
    raise _bad(fd, f"must be a whole number; got {raw!r}")


def _as_decimal(fd: FieldDef, raw: object) -> Decimal:
    if isinstance(raw, bool):
        raise _bad(fd, "must be a number, not a boolean")
    try:
        if isinstance(raw, Decimal | int):
            value = Decimal(raw)
        elif isinstance(raw, float):
            value = Decimal(repr(raw))
        elif isinstance(raw, str):
            if not raw.isascii():  # Decimal() would read Arabic-Indic or full-width digits
                raise _bad(fd, f"must be a number written with ASCII digits; got {raw!r}")
            value = Decimal(raw.strip())
        else:
            raise _bad(fd, f"must be a number, not {type(raw).__name__}")
    except InvalidOperation:
        raise _bad(fd, f"must be a number; got {raw!r}") from None
    if not value.is_finite():
        raise _bad(fd, "must be a finite number")
    if fd.decimal_places is not None:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > fd.decimal_places:
            raise _bad(fd, f"may have at most {fd.decimal_places} decimal places")
    return value


def _check_range(fd: FieldDef, value: Number) -> None:
    if fd.min_value is not None and value < fd.min_value:
        raise _bad(fd, f"must be at least {fd.min_value}")
    if fd.max_value is not None and value > fd.max_value:
        raise _bad(fd, f"must be at most {fd.max_value}")


# --- loading from data ----------------------------------------------------------------------------


def catalog_from_dict(data: Mapping[str, Any]) -> CategoryCatalog:
    """Build a catalog from JSON-compatible data (see ``catalog_2021_1.CATALOG_2021_1`` for the shape)."""
    try:
        version = data["version"]
        raw_categories = data["categories"]
    except (KeyError, TypeError):
        raise CatalogInvalid("catalog needs 'version' and 'categories'") from None
    if not isinstance(version, str) or not isinstance(raw_categories, list | tuple):
        raise CatalogInvalid("catalog 'version' must be text and 'categories' a list")
    return CategoryCatalog(version=version, categories=tuple(_category_from_dict(c) for c in raw_categories))


def _category_from_dict(raw: Any) -> CategoryDef:
    if not isinstance(raw, Mapping) or "code" not in raw:
        raise CatalogInvalid("each category needs a 'code'")
    code = str(raw["code"])
    try:
        fields = tuple(_field_from_dict(f) for f in raw.get("fields", ()))
        ranges = tuple((str(a), str(b)) for a, b in raw.get("date_ranges", ()))
    except (TypeError, ValueError, KeyError) as exc:
        raise CatalogInvalid(f"category {code!r}: {exc}", field=code) from exc
    return CategoryDef(
        code=code,
        name_zh=str(raw.get("name_zh", "")),
        name_en=str(raw.get("name_en", "")),
        fields=fields,
        date_ranges=ranges,
    )


def _field_from_dict(raw: Mapping[str, Any]) -> FieldDef:
    codes = raw.get("codes")
    if isinstance(codes, list | tuple):
        # ["1", "2"] or [{"code": "1", "label": "校級"}, …]: a list, as the central database publishes them.
        codes = dict(_code_entry(c) for c in codes)
    elif isinstance(codes, Mapping):
        codes = {str(k): str(v) for k, v in codes.items()}
    elif codes is not None:
        raise ValueError(f"field {raw.get('name')!r}: codes must be a list or a mapping")
    return FieldDef(
        name=str(raw["name"]),
        type=FieldType(raw["type"]),
        name_zh=str(raw.get("name_zh", "")),
        required=bool(raw.get("required", False)),
        max_length=_opt_int(raw.get("max_length")),
        codes=MappingProxyType(codes) if codes is not None else None,
        pattern=raw.get("pattern"),
        min_value=_opt_number(raw.get("min")),
        max_value=_opt_number(raw.get("max")),
        decimal_places=_opt_int(raw.get("decimal_places")),
    )


def _code_entry(entry: object) -> tuple[str, str]:
    if isinstance(entry, Mapping):
        if "code" not in entry:
            raise ValueError(f"code list entry {dict(entry)!r} has no 'code'")
        return str(entry["code"]), str(entry.get("label", entry["code"]))
    if isinstance(entry, str | int) and not isinstance(entry, bool):
        return str(entry), str(entry)
    raise ValueError(f"code list entry {entry!r} must be a code or {{'code': …, 'label': …}}")


def _opt_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _opt_number(value: object) -> Number | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float | str):
        return Decimal(str(value))
    raise ValueError(f"expected a number, got {value!r}")


def catalog_to_dict(catalog: CategoryCatalog) -> dict[str, Any]:
    """The JSON-compatible form of a catalog; ``catalog_from_dict`` reads it back."""

    def field_dict(f: FieldDef) -> dict[str, Any]:
        out: dict[str, Any] = {"name": f.name, "type": f.type.value, "name_zh": f.name_zh}
        if f.required:
            out["required"] = True
        for key, value in (
            ("max_length", f.max_length),
            ("pattern", f.pattern),
            ("decimal_places", f.decimal_places),
        ):
            if value is not None:
                out[key] = value
        if f.codes is not None:
            out["codes"] = dict(f.codes)
        if f.min_value is not None:
            out["min"] = f.min_value if isinstance(f.min_value, int) else str(f.min_value)
        if f.max_value is not None:
            out["max"] = f.max_value if isinstance(f.max_value, int) else str(f.max_value)
        return out

    return {
        "version": catalog.version,
        "categories": [
            {
                "code": c.code,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "fields": [field_dict(f) for f in c.fields],
                "date_ranges": [list(r) for r in c.date_ranges],
            }
            for c in catalog.categories
        ],
    }


class CatalogRegistry:
    """The catalog versions a deployment knows; records keep the version they were validated with."""

    def __init__(self, *catalogs: CategoryCatalog) -> None:
        self._catalogs: dict[str, CategoryCatalog] = {}
        for catalog in catalogs:
            self.register(catalog)

    def register(self, catalog: CategoryCatalog) -> None:
        if catalog.version in self._catalogs:
            raise CatalogInvalid(f"catalog version {catalog.version} is already registered", field="version")
        self._catalogs[catalog.version] = catalog

    def register_dict(self, data: Mapping[str, Any]) -> CategoryCatalog:
        catalog = catalog_from_dict(data)
        self.register(catalog)
        return catalog

    def get(self, version: str) -> CategoryCatalog:
        try:
            return self._catalogs[version]
        except KeyError:
            raise CatalogInvalid(f"unknown catalog version {version!r}", field="catalog_version") from None

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(self._catalogs)


DEFAULT_CATALOG: CategoryCatalog = catalog_from_dict(CATALOG_2021_1)
"""Catalog "2021.1", built from the DOMAIN.md table (R-FILE-3)."""


def default_catalog() -> CategoryCatalog:
    return DEFAULT_CATALOG
