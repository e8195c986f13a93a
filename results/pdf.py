"""report.pdf: the study review report laid out by reportlab (platypus), from the same document
model as report.html. reportlab's invariant mode keeps the bytes the same for the same report; the
creation date is the build timestamp (SOURCE_DATE_EPOCH, else the fixed default)."""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Image,
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)

from results.report import Report, Table
from specs.dataset import build_timestamp

WIDTH = A4[0] - 30 * mm
STYLES = getSampleStyleSheet()
SMALL = ParagraphStyle("small", parent=STYLES["BodyText"], fontSize=7.5, leading=9.5)
CELL = ParagraphStyle("cell", parent=SMALL, fontSize=7, leading=8.5)
NOTE = ParagraphStyle("note", parent=SMALL, textColor=colors.HexColor("#57606a"))


def _p(text: str, style: ParagraphStyle = SMALL) -> Paragraph:
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Paragraph(escaped, style)


def _table(table: Table) -> list:
    head = [_p(f"{table.title} [{table.id}]", STYLES["Heading4"]), _p(table.context, NOTE)]
    if not table.rows:
        return [KeepTogether([*head, _p("No records."), _p(table.note, NOTE)]), Spacer(1, 4 * mm)]
    data = [[_p(h, CELL) for h in table.header]] + [[_p(c, CELL) for c in row] for row in table.rows]
    grid = LongTable(data, repeatRows=1, hAlign="LEFT")
    grid.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f3f6")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d7de")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return [KeepTogether(head + ([grid] if len(table.rows) < 25 else [])),
            *([grid] if len(table.rows) >= 25 else []), _p(table.note, NOTE), Spacer(1, 4 * mm)]


def render_pdf(report: Report) -> bytes:
    """The report as PDF bytes: title page facts, then each section's tables and figures."""
    buffer = io.BytesIO()
    stamp = build_timestamp().strftime("D:%Y%m%d%H%M%S+00'00'")

    def dated(canvas, _doc) -> None:
        canvas.setDateFormatter(lambda *_: stamp)

    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                                 topMargin=15 * mm, bottomMargin=15 * mm, title=report.title,
                                 author="clinforge results", creator="clinforge", invariant=1)
    story: list = [_p(report.title, STYLES["Title"])]
    story += [_p(f"{label}: {value}") for label, value in report.facts]
    for i, section in enumerate(report.sections, 1):
        story += [PageBreak(), _p(f"{i}. {section.title}", STYLES["Heading2"])]
        for table in section.tables:
            story += _table(table)
        for picture in section.pictures:
            image = ImageReader(io.BytesIO(picture.png))
            width, height = image.getSize()
            scale = min(WIDTH / width, 170 * mm / height)
            story.append(KeepTogether([_p(f"{picture.title} [{picture.id}]", STYLES["Heading4"]),
                                       Image(io.BytesIO(picture.png), width * scale, height * scale),
                                       _p(picture.caption, NOTE), Spacer(1, 4 * mm)]))
    story += [PageBreak(), _p("Methods and conventions", STYLES["Heading2"])]
    story += [_p(note) for note in report.notes]
    document.build(story, onFirstPage=dated, onLaterPages=dated)
    return buffer.getvalue()
