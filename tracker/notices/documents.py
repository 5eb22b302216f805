"""A 督办单 as a Word document (python-docx) and a PDF (reportlab), in official-document layout.

Layout follows GB/T 9704 roughly: A4, margins 3.7 cm top, 3.5 bottom, 2.8 left, 2.6 right; the
title in 方正小标宋简体 (Word falls back to 宋体 where it is missing) 22 pt, the body in
仿宋_GB2312 16 pt; East Asian fonts are set through ``w:rFonts w:eastAsia`` because Word ignores
the Latin font name for Chinese text. The PDF uses reportlab's built-in CID font STSong-Light,
so no font file is needed.
"""

from __future__ import annotations

import io
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH

from tracker import documents as docs
from tracker.documents import cn_date

TABLE_HEADERS = ("序号", "任务事项", "所属计划", "责任人", "完成时限", "办理状态", "最新进展")


def title_of(notice: Any) -> str:
    return "督办单" if notice.kind.value == "supervision" else "催办单"


def intro(notice: Any) -> str:
    return f"根据工作安排，现将贵单位承担的{len(notice.items)}项任务列出督办，请认真对照办理。"


def rows_of(notice: Any) -> list[list[str]]:
    rows = []
    for index, item in enumerate(notice.items, start=1):
        snap = item.snapshot or {}
        due = snap.get("due_on", "")
        if snap.get("extended"):
            due = f"{due}（原定{snap.get('original_due_on', '')}）"
        state = snap.get("state_label", "")
        # full-width brackets: the PDF's built-in Chinese font has no middle dot
        light = {"red": "（红灯）", "yellow": "（黄灯）", "green": "（绿灯）"}.get(snap.get("light", ""), "")
        rows.append([str(index), snap.get("measure", ""), snap.get("plan", ""), snap.get("owner", "") or "—",
                     due, f"{state}{light}", snap.get("last_progress", "") or "—"])
    return rows


def render_docx(notice: Any) -> bytes:
    """The notice as .docx bytes."""
    doc = docs.new_document()
    center, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    for line in (notice.issuer_name or "", title_of(notice)):
        docs.add_paragraph(doc, line, size=22, font=docs.TITLE_FONT, bold=True, align=center,
                           fallback=docs.TITLE_FALLBACK_FONT)
    docs.add_paragraph(doc, notice.number_label, align=center)
    docs.add_paragraph(doc, "")
    docs.add_paragraph(doc, f"{notice.unit.name}：")
    docs.add_paragraph(doc, intro(notice), indent=True)
    docs.add_table(doc, TABLE_HEADERS, rows_of(notice))
    docs.add_paragraph(doc, "")
    docs.add_paragraph(doc, f"督办要求：{notice.requirements}", indent=True)
    docs.add_paragraph(doc, f"反馈时限：{cn_date(notice.reply_by)}前。", indent=True)
    docs.add_paragraph(doc, "")
    for line in (notice.issuer_name or "", cn_date(notice.issued_on), "（盖章）", "签发人："):
        docs.add_paragraph(doc, line, align=right)
    return docs.to_bytes(doc)


def render_pdf(notice: Any) -> bytes:
    """The notice as PDF bytes, with the built-in Chinese CID font."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light"
    body = ParagraphStyle("body", fontName=font, fontSize=14, leading=24, wordWrap="CJK")
    indent = ParagraphStyle("indent", parent=body, firstLineIndent=28)
    title = ParagraphStyle("title", fontName=font, fontSize=22, leading=32, alignment=TA_CENTER)
    center = ParagraphStyle("center", parent=body, alignment=TA_CENTER)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    cell = ParagraphStyle("cell", fontName=font, fontSize=10, leading=14, wordWrap="CJK")

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, topMargin=3.7 * cm, bottomMargin=3.5 * cm,
                            leftMargin=2.8 * cm, rightMargin=2.6 * cm, title=notice.number_label,
                            author=notice.issuer_name or "")
    story = [Paragraph(escape(notice.issuer_name or ""), title), Paragraph(title_of(notice), title),
             Paragraph(escape(notice.number_label), center), Spacer(1, 12),
             Paragraph(escape(f"{notice.unit.name}："), body),
             Paragraph(escape(intro(notice)), indent),
             Spacer(1, 8)]
    data = [[Paragraph(h, cell) for h in TABLE_HEADERS]]
    data += [[Paragraph(escape(v), cell) for v in row] for row in rows_of(notice)]
    widths = [1.0 * cm, 4.6 * cm, 2.6 * cm, 1.6 * cm, 2.2 * cm, 1.8 * cm, 1.8 * cm]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
    story += [table, Spacer(1, 12),
              Paragraph(escape(f"督办要求：{notice.requirements}"), indent),
              Paragraph(escape(f"反馈时限：{cn_date(notice.reply_by)}前。"), indent), Spacer(1, 24),
              Paragraph(escape(notice.issuer_name or ""), right), Paragraph(cn_date(notice.issued_on), right),
              Paragraph("（盖章）", right), Paragraph("签发人：", right)]
    doc.build(story)
    return buffer.getvalue()
