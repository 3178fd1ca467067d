"""Workbook layouts (名冊) of the central database, loaded from versioned data.

Every layout version is a folder ``layouts/<version>/``: ``layout.json`` names the version, the date
format, the file rules (R-FILE-1) and the workbooks; one ``<kind>.json`` per workbook describes its
file name, folder, first (header) sheet and data sheets with their columns in order. A new column
or code from the central database is an edit of these files, not of code: everything below is
generic over them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ColumnType = Literal["text", "integer", "decimal", "code", "date", "national_id", "file", "url"]
Term = Literal["semester", "year"]
DEFAULT_VERSION = "2021.1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Column(_Frozen):
    """One column of a sheet: its header text (``name``), the key writers use, and its rules."""

    name: str
    key: str
    type: ColumnType
    required: bool = False
    max_length: int | None = Field(default=None, ge=1)
    codes: tuple[str, ...] | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    places: int | None = Field(default=None, ge=0)
    media: Literal["document", "audio_video"] | None = None
    rule: str | None = None  # the DOMAIN rule id a refusal of this column cites

    @model_validator(mode="after")
    def _consistent(self) -> Column:
        if self.type == "code" and not self.codes:
            raise ValueError(f"column {self.name}: a code column needs its code list")
        if self.type == "file" and self.media is None:
            raise ValueError(f"column {self.name}: a file column names its media (document or audio_video)")
        return self


class OneOf(_Frozen):
    """At least one of these columns must be filled in a row (e.g. a document or a video, R-FILE-2)."""

    columns: tuple[str, ...]
    rule: str | None = None


class Sheet(_Frozen):
    name: str
    columns: tuple[Column, ...]
    require_one_of: tuple[OneOf, ...] = ()

    @model_validator(mode="after")
    def _keys(self) -> Sheet:
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys) or len({c.name for c in self.columns}) != len(keys):
            raise ValueError(f"sheet {self.name}: column names and keys must be unique")
        for group in self.require_one_of:
            if not set(group.columns) <= set(keys):
                raise ValueError(f"sheet {self.name}: require_one_of names an unknown column")
        return self

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def file_columns(self) -> list[Column]:
        return [c for c in self.columns if c.type == "file"]


class Workbook(_Frozen):
    """One workbook per kind: its first sheet holds school code, academic year and semester
    (0 for yearly workbooks); every data sheet starts with 身分證號 and 出生日期."""

    kind: str
    title: str
    term: Term
    file_name: str
    folder: str
    note: str = ""
    header_sheet: Sheet
    sheets: tuple[Sheet, ...]

    @model_validator(mode="after")
    def _shape(self) -> Workbook:
        if [c.key for c in self.header_sheet.columns] != ["school_code", "academic_year", "semester"]:
            raise ValueError(f"{self.kind}: the header sheet holds school_code, academic_year, semester")
        for sheet in self.sheets:
            if [c.key for c in sheet.columns[:2]] != ["national_id", "birth_date"]:
                raise ValueError(f"{self.kind}/{sheet.name}: a data sheet starts with 身分證號, 出生日期")
        if len({s.name for s in self.sheets} | {self.header_sheet.name}) != len(self.sheets) + 1:
            raise ValueError(f"{self.kind}: sheet names must be unique")
        return self

    @property
    def path(self) -> str:
        """Where the workbook lies inside a package."""
        return f"{self.folder}/{self.file_name}"

    def sheet(self, name: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise KeyError(name)

    def semester_ok(self, semester: int) -> bool:
        return semester == 0 if self.term == "year" else semester in (1, 2)


class FileRule(_Frozen):
    """R-FILE-1: allowed extensions, the size limit, and per extension the magic bytes a file of
    that type starts with ("offset:hex"), so a renamed file is refused by what it is."""

    extensions: tuple[str, ...]
    max_bytes: int = Field(ge=1)
    signatures: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    def matches(self, extension: str, head: bytes) -> bool:
        wanted = self.signatures.get(extension)
        if not wanted:
            return True  # no signature known for this extension: the extension alone decides
        for signature in wanted:
            offset, _, hexbytes = signature.partition(":")
            magic = bytes.fromhex(hexbytes)
            if head[int(offset) : int(offset) + len(magic)] == magic:
                return True
        return False


class LayoutSet(_Frozen):
    """All workbooks of one layout version."""

    version: str
    valid_from: str = ""
    date_format: str
    files: dict[str, FileRule]
    workbooks: dict[str, Workbook]

    def workbook(self, kind: str) -> Workbook:
        try:
            return self.workbooks[kind]
        except KeyError:
            raise UnknownKind(kind, tuple(self.workbooks)) from None

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self.workbooks)


class UnknownKind(KeyError):
    def __init__(self, kind: str, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown kind {kind!r}; known: {', '.join(known)}")
        self.kind, self.known = kind, known


def _root() -> Path:
    return Path(str(resources.files("portfolio_central") / "layouts"))


def versions(root: Path | None = None) -> list[str]:
    base = root or _root()
    return sorted(p.name for p in base.iterdir() if (p / "layout.json").is_file())


def load_from(folder: Path) -> LayoutSet:
    """Load and check one layout version from a folder (a deployment may point at its own)."""
    index = json.loads((folder / "layout.json").read_text(encoding="utf-8"))
    kinds = index.pop("workbooks")
    workbooks = {}
    for kind in kinds:
        wb = Workbook.model_validate(json.loads((folder / f"{kind}.json").read_text(encoding="utf-8")))
        if wb.kind != kind:
            raise ValueError(f"{folder / kind}.json describes kind {wb.kind!r}")
        workbooks[kind] = wb
    layouts = LayoutSet(workbooks=workbooks, **index)
    for wb in workbooks.values():
        for sheet in wb.sheets:
            for col in sheet.file_columns:
                if col.media not in layouts.files:
                    raise ValueError(f"{wb.kind}/{sheet.name}/{col.name}: no file rule for {col.media}")
    return layouts


@cache
def load(version: str = DEFAULT_VERSION) -> LayoutSet:
    """The packaged layouts of ``version`` (cached; they are immutable)."""
    folder = _root() / version
    if not (folder / "layout.json").is_file():
        raise LookupError(f"no layout version {version!r}; known: {', '.join(versions())}")
    return load_from(folder)
