"""Word documents in official style (公文格式, after GB/T 9704): A4, 37/35/28/26 mm margins, the
title in 方正小标宋简体 22 pt, the body in 仿宋 16 pt with 28 pt lines and a two-character indent.

East Asian fonts are set through ``w:rFonts w:eastAsia``: Word ignores the Latin font name for
Chinese text. Run properties are built once per (font, size, bold) and copied, because
python-docx's property setters cost more than the rest of a long document.
"""

from __future__ import annotations

import io
from copy import deepcopy
from datetime import date
from functools import lru_cache

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt

TITLE_FONT = "方正小标宋简体"
#: named too, so machines without 小标宋 show a serif title rather than the body font
TITLE_FALLBACK_FONT = "宋体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
BODY_SIZE = 16
TABLE_SIZE = 12


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@lru_cache(maxsize=64)
def _run_properties(name: str, size: float, bold: bool, fallback: str | None):
    half_points = int(size * 2)
    cs = f' w:cs="{fallback}"' if fallback else ""
    return parse_xml(
        f'<w:rPr {nsdecls("w")}><w:rFonts w:ascii="{name}" w:hAnsi="{name}" w:eastAsia="{name}"{cs}/>'
        f'{"<w:b/>" if bold else ""}<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/></w:rPr>'
    )


def set_run_font(run, name: str, size: float = BODY_SIZE, bold: bool = False, fallback: str | None = None) -> None:
    """Font of a run, the East Asian one included."""
    element = run._element
    existing = element.rPr
    if existing is not None:
        element.remove(existing)
    element.insert(0, deepcopy(_run_properties(name, size, bold, fallback)))


def new_document() -> Document:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(BODY_SIZE)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    return document


def add_paragraph(document, text: str, *, size: float = BODY_SIZE, font: str = BODY_FONT, bold: bool = False,
                  align=None, indent: bool = False, fallback: str | None = None):
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = Pt(28)
    set_run_font(paragraph.add_run(text), font, size, bold, fallback)
    return paragraph


def add_title(document, text: str):
    paragraph = add_paragraph(document, text, size=22, font=TITLE_FONT, bold=True,
                              align=WD_ALIGN_PARAGRAPH.CENTER, fallback=TITLE_FALLBACK_FONT)
    paragraph.paragraph_format.space_after = Pt(16)
    return paragraph


def add_table(document, header: list[str] | tuple[str, ...], rows: list[list[str]], *, size: float = TABLE_SIZE):
    """A ruled table, the header row in 黑体 and centred."""
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        set_run_font(cell.paragraphs[0].add_run(text), HEADING_FONT, size, bold=True)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for values in rows:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = ""
            set_run_font(cell.paragraphs[0].add_run(str(text)), BODY_FONT, size)
    return table


def to_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
