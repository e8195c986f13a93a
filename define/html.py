"""define.html: define.xml rendered with the CDISC define2-1.xsl stylesheet (lxml XSLT).

The stylesheet (Lex Jansen, CDISC XML Technologies Team, MIT) is the one defineutils ships. It
reads no clock, so the same define.xml always gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from define.odm import DefineError, as_tree, stylesheet

# Show every codelist term and the Length / DisplayFormat / SignificantDigits column: a reviewer
# reading the HTML should not need the XML beside it.
PARAMETERS = {"nCodeListItemDisplay": "999", "displayLengthDFormatSD": "1", "displayMethodsTable": "1"}


def render_html(define: etree._ElementTree | str | Path) -> bytes:
    """The define.html bytes of a define.xml tree or file."""
    transform = stylesheet()
    try:
        result = transform(as_tree(define), **PARAMETERS)
    except etree.XSLTApplyError as exc:
        raise DefineError("define2-1.xsl could not render the document",
                          [str(e) for e in transform.error_log]) from exc
    return bytes(result)


def write_html(define: etree._ElementTree | str | Path, path: str | Path) -> Path:
    """Write define.html atomically (a temporary file renamed into place)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(render_html(define))
    temporary.replace(path)
    return path
