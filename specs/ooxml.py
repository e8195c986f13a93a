"""Office Open XML files (.xlsx, .docx) with the same bytes for the same content.

openpyxl and python-docx stamp the document properties and every zip entry with the time of
writing. `save_stable` saves through them, then rewrites the zip with the build timestamp
(SOURCE_DATE_EPOCH, else 1980-01-01) in the properties and on every entry.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from specs.dataset import build_timestamp

_STAMPS = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def save_stable(save: Callable[[BytesIO], None], path: str | Path) -> Path:
    """Call `save(buffer)` (e.g. `workbook.save`), then write the file with fixed time stamps."""
    buffer = BytesIO()
    save(buffer)
    when = build_timestamp()
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = _STAMPS.sub(rb"\g<1>" + stamp + rb"\g<2>", data)
            entry = zipfile.ZipInfo(item.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    Path(path).write_bytes(out.getvalue())
    return Path(path)
