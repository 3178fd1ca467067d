"""A safe ``Content-Disposition`` for downloads (RFC 6266 with an RFC 5987 UTF-8 name)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]')


def content_disposition(filename: str, *, inline: bool = False) -> str:
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", filename)).strip(" .") or "download"
    name = name[:180]
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_") or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
