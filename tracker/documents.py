"""Official documents (公文) after GB/T 9704-2012, as numbers, for every generated .docx and PDF.

A document is built once as an ``OfficialDocument`` (版头, title, 主送, paragraphs by level,
tables, 落款, 版记) and rendered by ``render_pdf`` (reportlab, fonts embedded as subsets) and
``render_docx`` (python-docx, the standard's font names with East Asian attributes). The numbers
below are the standard's; ``tracker.conformance`` measures the output against the same numbers.

The PDF lays text on the standard's grid itself (22 lines of 28 characters in the 156 × 225 mm
版心): a 16 pt character is a little wider than 156 mm / 28, so full-width characters advance by
the grid pitch, as Word's document grid does.
"""

from __future__ import annotations

import io
import re
import unicodedata
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from xml.sax.saxutils import escape

# --------------------------------------------------------------------------- the numbers

MM_PT = 72 / 25.4  # points per millimetre

PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210.0, 297.0
#: 天头 (top margin) and 订口 (binding-side margin)
TOP_MM, LEFT_MM = 37.0, 28.0
#: 版心 (the text block)
BODY_WIDTH_MM, BODY_HEIGHT_MM = 156.0, 225.0
RIGHT_MM = PAGE_WIDTH_MM - LEFT_MM - BODY_WIDTH_MM  # 26
BOTTOM_MM = PAGE_HEIGHT_MM - TOP_MM - BODY_HEIGHT_MM  # 35
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
#: 3号
BODY_PT = 16.0
LINE_PITCH_PT = BODY_HEIGHT_MM * MM_PT / LINES_PER_PAGE  # 28.99 pt, 10.23 mm
CHAR_PITCH_PT = BODY_WIDTH_MM * MM_PT / CHARS_PER_LINE  # 15.79 pt
#: Word's character spacing (twentieths of a point) that brings a 16 pt character to that pitch
CHAR_CONDENSE_TWIPS = int(round((CHAR_PITCH_PT - BODY_PT) * 20))  # -4
#: 发文机关标志: top edge below the top of the 版心; size fitted to the width, at most this
MARK_TOP_MM = 35.0
MARK_MAX_PT = 42.0
#: 发文字号: blank lines between the mark and the number
NUMBER_GAP_LINES = 2
#: 版头分隔线: below the number, as wide as the 版心
RULE_GAP_MM = 4.0
RULE_WIDTH_MM = BODY_WIDTH_MM
RULE_THICKNESS_PT = 1.0
#: title: 2号, blank lines between the rule and the title
TITLE_PT = 22.0
TITLE_GAP_LINES = 2
#: page number: 4号 半角宋体 "— 1 —", below the 版心, one character in from the outer edge
PAGE_NUMBER_PT = 14.0
PAGE_NUMBER_GAP_MM = 7.0
PAGE_NUMBER_INSET_PT = PAGE_NUMBER_PT
#: tables and 版记
TABLE_PT = 10.5
COLOPHON_PT = 14.0
RED = (0.9, 0.0, 0.0)
RED_HEX = "E60000"

#: font roles -> the names .docx gives (Word/WPS on a government PC have these)
DOCX_FONTS: dict[str, tuple[str, str]] = {
    "fangsong": ("仿宋_GB2312", "仿宋"),
    "xiaobiaosong": ("方正小标宋简体", "小标宋"),
    "heiti": ("黑体", "SimHei"),
    "kaiti": ("楷体_GB2312", "楷体"),
    "song": ("宋体", "SimSun"),
}
#: paragraph level -> font role: 一、 黑体, （一） 楷体, 1. and （1） 仿宋
LEVEL_FONTS = {0: "fangsong", 1: "heiti", 2: "kaiti", 3: "fangsong", 4: "fangsong"}

#: compatibility names for callers of the old helpers
TITLE_FONT, BODY_FONT, HEADING_FONT = DOCX_FONTS["xiaobiaosong"][0], DOCX_FONTS["fangsong"][0], DOCX_FONTS["heiti"][0]

NUMBER_RE = re.compile(r"^(?P<code>.*)〔(?P<year>\d{4})〕(?P<serial>[1-9]\d*)号$")


def cn_date(day: date) -> str:
    """2026年12月6日: Arabic numerals, no leading zeros (GB/T 9704 §7.3.5)."""
    return f"{day.year}年{day.month}月{day.day}日"


def doc_number(code: str, year: int, serial: int) -> str:
    """发文字号 机关代字〔2026〕N号 (§7.2.4): no 第, no leading zeros."""
    return f"{code}〔{year}〕{int(serial)}号"


# --------------------------------------------------------------------------- the model

@dataclass
class Para:
    """A body paragraph; level 1 一、 (黑体), 2 （一） (楷体), 3 1. and 4 （1） (仿宋)."""

    text: str
    level: int = 0
    indent: bool = True


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    #: the columns whose text may take the remaining width
    wide: tuple[int, ...] = ()
    #: captions spanning the table before the row of that index (e.g. the plan the rows belong to)
    groups: dict[int, str] = field(default_factory=dict)


@dataclass
class OfficialDocument:
    mark: str
    number: str
    title: str
    addressee: str = ""
    blocks: list[Para | Table] = field(default_factory=list)
    signature: str = ""
    signed_on: date | None = None
    seal: bool = True
    #: 版记
    copy_to: str = ""
    printer: str = ""
    printed_on: date | None = None
    #: PDF metadata
    author: str = ""

    @property
    def has_colophon(self) -> bool:
        return bool(self.copy_to or self.printer)


def from_config(config, *, number: str, title: str, addressee: str = "", blocks=None,
                signed_on: date | None = None, mark: str | None = None) -> OfficialDocument:
    """A document with the office's 版头 text, 落款, seal and 版记 taken from the app config."""
    organisation = config.get("ORGANISATION_NAME") or "督查督办室"
    return OfficialDocument(
        mark=mark or config.get("DOCUMENT_MARK") or organisation, number=number, title=title,
        addressee=addressee, blocks=list(blocks or []), signature=organisation, signed_on=signed_on,
        seal=bool(config.get("DOCUMENT_SEAL", True)), copy_to=config.get("DOCUMENT_COPY_TO") or "",
        printer=config.get("DOCUMENT_PRINTER") or "", printed_on=signed_on if config.get("DOCUMENT_PRINTER") else None,
        author=organisation)


# --------------------------------------------------------------------------- text measures

def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F", "A")


def text_units(text: str) -> float:
    """Width in full-width characters (a half-width character counts one half)."""
    return sum(1.0 if is_wide(c) else 0.5 for c in text)


def column_widths(header: list[str], rows: list[list[str]], total: float, char_width: float,
                  wide: tuple[int, ...] = ()) -> list[float]:
    """Columns sized to their content. A short column first gets its typical cell when that is
    at most eight characters (else five, or its header), then grows towards its typical cell (up to eight
    characters, so a date or a state stays on one line; the smallest needs first) while the
    long-text columns (``wide``) keep at least 45% of the width; the long-text columns share
    the rest in proportion to their text. Without ``wide`` every column grows in proportion to what it lacks."""
    count = len(header)
    padding = 0.8 * char_width
    need = []
    for column in range(count):
        lengths = sorted(max(text_units(part) for part in str(row[column]).split("\n")) for row in rows) or [0.0]
        typical = lengths[int(0.9 * (len(lengths) - 1))]
        need.append(max(text_units(header[column]), typical, 1.0))
    heads = [text_units(h) for h in header]
    # a short field (a date, a state, a name: up to eight characters) on one line; a longer one
    # starts from five characters and grows below
    base = [(heads[i] if i in wide else need[i] if need[i] <= 8.0 else max(5.0, heads[i])) * char_width + padding
            for i in range(count)]
    if sum(base) >= total:
        scale = total / sum(base)
        return [b * scale for b in base]
    narrow = [i for i in range(count) if i not in wide]
    reserve = 0.45 * total if wide else 0.0
    want = {i: max(min(need[i], 8.0) * char_width + padding - base[i], 0.0) for i in narrow}
    room = max(total - sum(base) - max(reserve - sum(base[i] for i in wide), 0.0), 0.0)
    # the smallest wants first: a date or a state on one line matters more than a long name
    for i in sorted(narrow, key=lambda i: want[i]):
        grant = min(room, want[i])
        base[i] += grant
        room -= grant
    rest = total - sum(base)
    extra = [max(need[i] * char_width + padding - base[i], 0.0) for i in range(count)]
    if wide:
        extra = [max(extra[i], char_width) if i in wide else 0.0 for i in range(count)]
    if not any(extra):
        extra = base[:]
    weight = sum(extra)
    return [b + rest * e / weight for b, e in zip(base, extra, strict=True)]


def balanced_title(title: str) -> str:
    """A title too long for one line, broken into lines of even length (GB/T 9704 §7.3.1: 回行时
    排列对称), so no line holds a lone character."""
    per_line = int(BODY_WIDTH_MM * MM_PT // (CHAR_PITCH_PT * TITLE_PT / BODY_PT))
    units = text_units(title)
    if units <= per_line or "\n" in title:
        return title
    lines = -(-int(units) // per_line)
    # the break before character i whose running width is nearest to k/lines of the whole
    running, widths = [0.0], []
    for char in title:
        widths.append(1.0 if is_wide(char) else 0.5)
        running.append(running[-1] + widths[-1])
    breaks = set()
    for k in range(1, lines):
        goal = units * k / lines
        candidates = [i for i in range(1, len(title)) if title[i] not in _CLOSING]
        breaks.add(min(candidates, key=lambda i: (abs(running[i] - goal), i)))
    return "".join(("\n" if i in breaks else "") + char for i, char in enumerate(title))


def signature_offsets(signature: str, signed_on: str, seal: bool) -> tuple[float, float]:
    """Left offsets (in characters) of the 署名 and the date inside a 28-character line, §7.3.5:
    with a seal the date stands four characters in from the right and the 署名 is centred over
    it; without, the 署名 stands two in from the right and the date starts two characters
    right of the 署名's first character (or, when longer, two in from the right, the 署名 centred)."""
    sign_w, date_w = text_units(signature), text_units(signed_on)
    if seal:
        date_at = CHARS_PER_LINE - 4 - date_w
        sign_at = date_at + (date_w - sign_w) / 2
    else:
        sign_at = CHARS_PER_LINE - 2 - sign_w
        date_at = sign_at + 2
        if date_at + date_w > CHARS_PER_LINE - 2:
            date_at = CHARS_PER_LINE - 2 - date_w
            sign_at = date_at + (date_w - sign_w) / 2
    return max(sign_at, 0.0), max(date_at, 0.0)


# --------------------------------------------------------------------------- PDF

_CLOSING = set("，。、；：？！）》」』”’〕】%,.;:?!)")
_TOKEN_RE = re.compile(r"[A-Za-z0-9.%/:\-+_]+|.", re.S)


def _em_baseline(font: str, size: float, em_top: float) -> float:
    """The baseline that puts the character's em box top at ``em_top`` (PDF y, upwards)."""
    from reportlab.pdfbase import pdfmetrics

    _ascent, descent = pdfmetrics.getAscentDescent(font, size)
    return em_top - size - descent


@lru_cache(maxsize=1)
def _grid_paragraph_class():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.platypus import Flowable

    class GridParagraph(Flowable):
        """Text on the 28 × 22 grid: full-width characters at the grid pitch, lines at the line
        pitch, Latin words and numbers kept whole, closing punctuation never starting a line."""

        def __init__(self, text: str, font: str, size: float = BODY_PT, *, first_indent: float = 0.0,
                     left: float | None = None, align: str = "left", leading: float = LINE_PITCH_PT,
                     color=(0, 0, 0), lines: list | None = None) -> None:
            super().__init__()
            self.text, self.font, self.size = text, font, size
            self.first_indent, self.left, self.align = first_indent, left, align
            self.leading, self.color = leading, color
            self.pitch = CHAR_PITCH_PT * size / BODY_PT
            self._lines = lines
            self._width = 0.0

        def _advance(self, token: str) -> float:
            if len(token) == 1 and is_wide(token):
                return self.pitch
            return pdfmetrics.stringWidth(token, self.font, self.size)

        def _layout(self, width: float) -> list[list[tuple[str, float]]]:
            lines: list[list[tuple[str, float]]] = []
            line: list[tuple[str, float]] = []
            used = self.first_indent + (self.left or 0.0)
            tokens = []
            for token in _TOKEN_RE.findall(self.text):
                # a Latin word or number longer than the line (a link, a code) breaks anywhere
                if len(token) > 1 and self._advance(token) > width - (self.left or 0.0):
                    tokens.extend(token)
                else:
                    tokens.append(token)
            for token in tokens:
                if token == "\n":
                    lines.append(line)
                    line, used = [], self.left or 0.0
                    continue
                advance = self._advance(token)
                closing = len(token) == 1 and token in _CLOSING
                if used + advance > width + 0.01 and line:
                    if closing and used <= width + 0.01:
                        pass  # one closing mark hangs in the margin rather than start a line
                    elif closing and len(line) > 1:
                        # a second closing mark: the marks before it and the character they close
                        # go down with it, so the next line starts with that character
                        carry = [line.pop()]
                        while len(line) > 1 and carry[0][0] in _CLOSING:
                            carry.insert(0, line.pop())
                        lines.append(line)
                        line, used = carry, (self.left or 0.0) + sum(a for _t, a in carry)
                    else:
                        lines.append(line)
                        line, used = [], self.left or 0.0
                line.append((token, advance))
                used += advance
            lines.append(line)
            return lines

        def wrap(self, avail_width, avail_height):
            self._width = avail_width
            if self._lines is None:
                self._lines = self._layout(avail_width)
            return avail_width, self.leading * len(self._lines)

        def split(self, avail_width, avail_height):
            self.wrap(avail_width, avail_height)
            fit = int((avail_height + 0.01) // self.leading)
            if fit <= 0 or fit >= len(self._lines):
                return [] if fit <= 0 else [self]
            first = GridParagraph(self.text, self.font, self.size, first_indent=self.first_indent, left=self.left,
                                  align=self.align, leading=self.leading, color=self.color, lines=self._lines[:fit])
            rest = GridParagraph(self.text, self.font, self.size, first_indent=0.0, left=self.left,
                                 align=self.align, leading=self.leading, color=self.color, lines=self._lines[fit:])
            return [first, rest]

        def draw(self):
            canvas = self.canv
            canvas.setFillColorRGB(*self.color)
            canvas.setFont(self.font, self.size)
            height = self.leading * len(self._lines)
            for number, line in enumerate(self._lines):
                line_top = height - number * self.leading
                baseline = _em_baseline(self.font, self.size, line_top - (self.leading - self.size) / 2)
                width = sum(a for _t, a in line)
                if self.align == "center":
                    x = (self._width - width) / 2
                elif self.align == "right":
                    x = self._width - width
                else:
                    x = (self.left or 0.0) + (self.first_indent if number == 0 else 0.0)
                for token, advance in line:
                    canvas.drawString(x + (advance - pdfmetrics.stringWidth(token, self.font, self.size)) / 2
                                      if len(token) == 1 and is_wide(token) else x, baseline, token)
                    x += advance

    return GridParagraph


@lru_cache(maxsize=1)
def _header_class():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.platypus import Flowable

    class RedHeader(Flowable):
        """版头: the red issuing-office mark, the 发文字号 and the red rule, measured from the top of
        the 版心; its height ends where the title's blank lines end."""

        def __init__(self, mark: str, number: str, mark_font: str, number_font: str) -> None:
            super().__init__()
            self.mark, self.number = mark, number
            self.mark_font, self.number_font = mark_font, number_font
            width_at_1pt = pdfmetrics.stringWidth(mark, mark_font, 1) or 1.0
            self.mark_pt = min(MARK_MAX_PT, 0.96 * BODY_WIDTH_MM * MM_PT / width_at_1pt)
            self.mark_top = MARK_TOP_MM * MM_PT
            self.number_line_top = self.mark_top + self.mark_pt + NUMBER_GAP_LINES * LINE_PITCH_PT
            self.number_em_top = self.number_line_top + (LINE_PITCH_PT - BODY_PT) / 2
            self.rule_y = self.number_em_top + BODY_PT + RULE_GAP_MM * MM_PT
            self.height = self.rule_y + TITLE_GAP_LINES * LINE_PITCH_PT

        def wrap(self, avail_width, avail_height):
            self.width = avail_width
            return avail_width, self.height

        def draw(self):
            canvas, top = self.canv, self.height
            canvas.setFillColorRGB(*RED)
            canvas.setFont(self.mark_font, self.mark_pt)
            canvas.drawCentredString(self.width / 2, _em_baseline(self.mark_font, self.mark_pt, top - self.mark_top),
                                     self.mark)
            canvas.setFillColorRGB(0, 0, 0)
            canvas.setFont(self.number_font, BODY_PT)
            canvas.drawCentredString(self.width / 2, _em_baseline(self.number_font, BODY_PT,
                                                                  top - self.number_em_top), self.number)
            canvas.setStrokeColorRGB(*RED)
            canvas.setLineWidth(RULE_THICKNESS_PT)
            y = top - self.rule_y
            canvas.line((self.width - RULE_WIDTH_MM * MM_PT) / 2, y, (self.width + RULE_WIDTH_MM * MM_PT) / 2, y)

    return RedHeader


@lru_cache(maxsize=1)
def _colophon_class():
    from reportlab.platypus import Flowable

    class Colophon(Flowable):
        """版记 at the foot of the last page: 抄送, then 印发机关 and 印发日期, between rules."""

        def __init__(self, copy_to: str, printer: str, printed_on: str, font: str) -> None:
            super().__init__()
            self.copy_to, self.printer, self.printed_on, self.font = copy_to, printer, printed_on, font
            self.rows = (1 if copy_to else 0) + (1 if printer else 0)
            self.own = self.rows * LINE_PITCH_PT + 4

        def wrap(self, avail_width, avail_height):
            self.width = avail_width
            self.height = max(self.own, avail_height) if self.own <= avail_height else self.own
            return avail_width, self.height

        def draw(self):
            from reportlab.pdfbase import pdfmetrics

            canvas, char = self.canv, COLOPHON_PT
            canvas.setFillColorRGB(0, 0, 0)
            canvas.setStrokeColorRGB(0, 0, 0)
            canvas.setFont(self.font, COLOPHON_PT)
            y = 0.0
            canvas.setLineWidth(0.35 * MM_PT)
            canvas.line(0, y, self.width, y)
            lines = []
            if self.printer:
                lines.append(("printer", self.printer, f"{self.printed_on}印发"))
            if self.copy_to:
                lines.append(("copy", f"抄送：{self.copy_to}。", ""))
            for number, (_kind, left, right) in enumerate(lines):
                baseline = _em_baseline(self.font, COLOPHON_PT, y + LINE_PITCH_PT - (LINE_PITCH_PT - COLOPHON_PT) / 2)
                canvas.drawString(char, baseline, left)
                if right:
                    canvas.drawString(self.width - char - pdfmetrics.stringWidth(right, self.font, COLOPHON_PT),
                                      baseline, right)
                y += LINE_PITCH_PT
                thick = number == len(lines) - 1
                canvas.setLineWidth((0.35 if thick else 0.25) * MM_PT)
                canvas.line(0, y, self.width, y)

    return Colophon


def _draw_page_number(canvas, doc) -> None:
    from reportlab.pdfbase import pdfmetrics

    from tracker import fonts

    font = fonts.pdf_font("song")
    number = canvas.getPageNumber()
    text = f"— {number} —"
    width = pdfmetrics.stringWidth(text, font, PAGE_NUMBER_PT)
    em_top = (BOTTOM_MM - PAGE_NUMBER_GAP_MM) * MM_PT
    if number % 2:
        x = (LEFT_MM + BODY_WIDTH_MM) * MM_PT - PAGE_NUMBER_INSET_PT - width
    else:
        x = LEFT_MM * MM_PT + PAGE_NUMBER_INSET_PT
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(font, PAGE_NUMBER_PT)
    canvas.drawString(x, _em_baseline(font, PAGE_NUMBER_PT, em_top), text)
    canvas.restoreState()


def render_pdf(document: OfficialDocument) -> bytes:
    """The document as PDF bytes: A4, the 版心 as the only frame, fonts embedded as subsets."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import BaseDocTemplate, Frame, KeepTogether, PageTemplate, Spacer, TableStyle
    from reportlab.platypus import Paragraph as RLParagraph
    from reportlab.platypus import Table as RLTable

    from tracker import fonts

    grid = _grid_paragraph_class()
    font = {role: fonts.pdf_font(role) for role in fonts.FAMILIES}
    body_width = BODY_WIDTH_MM * MM_PT
    story: list = [_header_class()(document.mark, document.number, font["xiaobiaosong"], font["fangsong"]),
                   grid(balanced_title(document.title), font["xiaobiaosong"], TITLE_PT, align="center"),
                   Spacer(1, LINE_PITCH_PT)]
    if document.addressee:
        story.append(grid(f"{document.addressee}：", font["fangsong"]))
    cell = ParagraphStyle("cell", fontName=font["fangsong"], fontSize=TABLE_PT, leading=TABLE_PT * 1.35,
                          wordWrap="CJK")
    head = ParagraphStyle("head", parent=cell, fontName=font["heiti"], alignment=1)
    group = ParagraphStyle("group", parent=cell, fontName=font["kaiti"])

    last_block = None
    for block in document.blocks:
        if isinstance(block, Table):
            widths = column_widths(block.header, block.rows, body_width, TABLE_PT + 0.5, block.wide)
            data = [[RLParagraph(escape(h), head) for h in block.header]]
            spans = []
            for index, row in enumerate(block.rows):
                if index in block.groups:
                    spans.append(("SPAN", (0, len(data)), (-1, len(data))))
                    data.append([RLParagraph(escape(block.groups[index]), group)] + [""] * (len(row) - 1))
                data.append([RLParagraph(escape(str(v)).replace("\n", "<br/>"), cell) for v in row])
            table = RLTable(data, colWidths=widths, repeatRows=1, hAlign="CENTER")
            table.setStyle(TableStyle(spans + [("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                       ("FONT", (0, 0), (-1, -1), font["fangsong"], TABLE_PT),
                                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                       ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                                       ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]))
            story += [Spacer(1, 4), table, Spacer(1, 4)]
            last_block = None
        else:
            role = LEVEL_FONTS.get(block.level, "fangsong")
            last_block = grid(block.text, font[role], first_indent=2 * CHAR_PITCH_PT if block.indent else 0.0)
            story.append(last_block)
    closing: list = []
    if document.signature or document.signed_on:
        signed = cn_date(document.signed_on) if document.signed_on else ""
        sign_at, date_at = signature_offsets(document.signature, signed, document.seal)
        closing.append(Spacer(1, LINE_PITCH_PT * (3 if document.seal else 1)))
        if document.signature:
            closing.append(grid(document.signature, font["fangsong"], left=sign_at * CHAR_PITCH_PT))
        if signed:
            closing.append(grid(signed, font["fangsong"], left=date_at * CHAR_PITCH_PT))
    if closing:
        # the 落款 never stands alone: it goes to the next page with the text's last paragraph
        if last_block is not None and story and story[-1] is last_block:
            story[-1] = KeepTogether([last_block, *closing])
        else:
            story.append(KeepTogether(closing))
    if document.has_colophon:
        printed = cn_date(document.printed_on) if document.printed_on else ""
        story.append(_colophon_class()(document.copy_to, document.printer, printed, font["fangsong"]))

    buffer = io.BytesIO()
    frame = Frame(LEFT_MM * MM_PT, BOTTOM_MM * MM_PT, body_width, BODY_HEIGHT_MM * MM_PT,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    template = BaseDocTemplate(buffer, pagesize=(PAGE_WIDTH_MM * MM_PT, PAGE_HEIGHT_MM * MM_PT),
                               title=document.number or document.title, author=document.author,
                               subject=document.title, initialFontName=font["fangsong"],
                               pageTemplates=[PageTemplate("page", [frame],
                                                                                   onPage=_draw_page_number)])
    template.build(story)
    return buffer.getvalue()


# --------------------------------------------------------------------------- Word

def _docx():
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls, qn
    from docx.shared import Mm, Pt, RGBColor

    return Document, WD_TABLE_ALIGNMENT, WD_ALIGN_PARAGRAPH, parse_xml, nsdecls, qn, Mm, Pt, RGBColor


@lru_cache(maxsize=64)
def _run_properties(role: str, size: float, bold: bool, color: str | None):
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    name, alternative = DOCX_FONTS[role]
    half_points = int(round(size * 2))
    color_xml = f'<w:color w:val="{color}"/>' if color else ""
    return parse_xml(
        f'<w:rPr {nsdecls("w")}><w:rFonts w:ascii="{name}" w:hAnsi="{name}" w:eastAsia="{name}" w:cs="{alternative}"'
        f' w:hint="eastAsia"/>{"<w:b/>" if bold else ""}'
        f'{color_xml}'
        f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/><w:lang w:eastAsia="zh-CN"/></w:rPr>')


def set_run_font(run, role: str = "fangsong", size: float = BODY_PT, bold: bool = False,
                 color: str | None = None) -> None:
    """Font of a run, the East Asian one included: Word ignores the Latin name for Chinese text."""
    element = run._element
    if element.rPr is not None:
        element.remove(element.rPr)
    element.insert(0, deepcopy(_run_properties(role, size, bold, color)))


_PPR_AFTER_AUTOSPACE = ("w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
                        "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
                        "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
                        "w:sectPr", "w:pPrChange")
_PPR_AFTER_SNAP = ("w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                   "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                   "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _off_grid(paragraph) -> None:
    """Lay a paragraph out by its own font (w:snapToGrid off): the 28 × 22 document grid is for the
    3号 body text; the mark, title, tables and footers would be spread out by it."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    ppr = paragraph._p.get_or_add_pPr()
    ppr.insert_element_before(parse_xml(f'<w:snapToGrid {nsdecls("w")} w:val="0"/>'), *_PPR_AFTER_SNAP)


class _WordWriter:
    """Appends GB/T 9704 paragraphs to a python-docx document."""

    def __init__(self, template: bytes | None = None) -> None:
        Document, _ta, align, parse_xml, nsdecls, qn, Mm, Pt, _rgb = _docx()
        self.parse_xml, self.nsdecls, self.qn, self.Mm, self.Pt, self.align = parse_xml, nsdecls, qn, Mm, Pt, align
        if template is not None:
            # the page, grid, styles and footers are set once (``_template``): each document reopens them
            self.doc = Document(io.BytesIO(template))
            return
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
        section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
        section.left_margin, section.right_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
        section.header_distance = Mm(15)
        # the page number's top 7 mm below the 版心: its line (exactly one 4号 high) ends one line lower
        section.footer_distance = Mm(BOTTOM_MM - PAGE_NUMBER_GAP_MM) - Pt(PAGE_NUMBER_PT)
        sect = section._sectPr
        for old in sect.findall(qn("w:docGrid")):
            sect.remove(old)
        # 22 lines: a line grid; 28 characters: the body font condensed to the grid pitch (below),
        # which Word, WPS and LibreOffice all honour (a character grid narrower than the font is
        # compressed by Word but spread over two cells by LibreOffice)
        sect.append(parse_xml(f'<w:docGrid {nsdecls("w")} w:type="lines" w:linePitch="{int(LINE_PITCH_PT * 20)}"/>'))
        # the grid's character pitch counts from the default font size: 3号 everywhere
        defaults = self.doc.styles.element.find(qn("w:docDefaults"))
        default_rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")) if defaults is not None else None
        if default_rpr is not None:
            for tag in ("w:sz", "w:szCs"):
                for old in default_rpr.findall(qn(tag)):
                    default_rpr.remove(old)
            default_rpr.append(parse_xml(f'<w:sz {nsdecls("w")} w:val="{int(BODY_PT * 2)}"/>'))
            default_rpr.append(parse_xml(f'<w:szCs {nsdecls("w")} w:val="{int(BODY_PT * 2)}"/>'))
        normal = self.doc.styles["Normal"]
        normal.font.size = Pt(BODY_PT)
        normal.element.get_or_add_rPr()
        rpr = normal.element.rPr
        rfonts = rpr.get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
            rfonts.set(qn(attr), DOCX_FONTS["fangsong"][0])
        rfonts.set(qn("w:cs"), DOCX_FONTS["fangsong"][1])
        rpr.insert_element_before(
            parse_xml(f'<w:spacing {nsdecls("w")} w:val="{CHAR_CONDENSE_TWIPS}"/>'),
            "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd",
            "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout")
        fmt = normal.paragraph_format
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.line_spacing = Pt(LINE_PITCH_PT)
        fmt.widow_control = True
        # no extra space between Chinese and Latin letters or digits: 2026年12月6日 as typeset
        normal.element.get_or_add_pPr().insert_element_before(
            parse_xml(f'<w:autoSpaceDE {nsdecls("w")} w:val="0"/>'), *_PPR_AFTER_AUTOSPACE)
        normal.element.pPr.insert_element_before(
            parse_xml(f'<w:autoSpaceDN {nsdecls("w")} w:val="0"/>'), *_PPR_AFTER_AUTOSPACE[1:])
        self._page_numbers(section)

    def _page_numbers(self, section) -> None:
        qn, parse_xml, nsdecls = self.qn, self.parse_xml, self.nsdecls
        self.doc.settings.odd_and_even_pages_header_footer = True
        for footer, align in ((section.footer, self.align.RIGHT), (section.even_page_footer, self.align.LEFT)):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
            paragraph.alignment = align
            paragraph.paragraph_format.line_spacing = self.Pt(PAGE_NUMBER_PT)
            _off_grid(paragraph)
            inset = self.Pt(PAGE_NUMBER_INSET_PT)
            if align == self.align.RIGHT:
                paragraph.paragraph_format.right_indent = inset
            else:
                paragraph.paragraph_format.left_indent = inset
            set_run_font(paragraph.add_run("— "), "song", PAGE_NUMBER_PT)
            field_run = paragraph.add_run()
            set_run_font(field_run, "song", PAGE_NUMBER_PT)
            paragraph._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE "><w:r><w:t>1</w:t></w:r>'
                                          f'</w:fldSimple>'))
            paragraph._p.remove(field_run._element)
            set_run_font(paragraph.add_run(" —"), "song", PAGE_NUMBER_PT)
            # the field's run takes the page-number font too
            for run in paragraph._p.iter(qn("w:r")):
                if run.find(qn("w:rPr")) is None:
                    run.insert(0, deepcopy(_run_properties("song", PAGE_NUMBER_PT, False, None)))

    def paragraph(self, text: str, *, role: str = "fangsong", size: float = BODY_PT, bold: bool = False,
                  align=None, indent_chars: float = 0.0, left_chars: float = 0.0, color: str | None = None,
                  keep_with_next: bool = False, line: float = LINE_PITCH_PT, grid: bool = True):
        paragraph = self.doc.add_paragraph()
        if not grid:
            _off_grid(paragraph)
        fmt = paragraph.paragraph_format
        if align is not None:
            paragraph.alignment = align
        fmt.line_spacing = self.Pt(line)
        fmt.space_before = fmt.space_after = self.Pt(0)
        if indent_chars:
            fmt.first_line_indent = self.Pt(indent_chars * BODY_PT)
            ind = paragraph._p.get_or_add_pPr().find(self.qn("w:ind"))
            ind.set(self.qn("w:firstLineChars"), str(int(indent_chars * 100)))
        if left_chars:
            fmt.left_indent = self.Pt(left_chars * CHAR_PITCH_PT)
        fmt.keep_with_next = keep_with_next or None
        if text:
            set_run_font(paragraph.add_run(text), role, size, bold, color)
        return paragraph

    def header(self, mark: str, number: str) -> None:
        mark_pt = min(MARK_MAX_PT, 0.96 * BODY_WIDTH_MM * MM_PT / max(text_units(mark), 1.0))
        first = self.paragraph(mark, role="xiaobiaosong", size=mark_pt, align=self.align.CENTER, color=RED_HEX,
                               line=mark_pt, grid=False)
        first.paragraph_format.space_before = self.Mm(MARK_TOP_MM)
        for _blank in range(NUMBER_GAP_LINES):
            self.paragraph("")
        numbered = self.paragraph(number, align=self.align.CENTER, grid=False)
        border = self.parse_xml(
            f'<w:pBdr {self.nsdecls("w")}><w:bottom w:val="single" w:sz="{int(RULE_THICKNESS_PT * 8)}" '
            f'w:space="{int(round(RULE_GAP_MM * MM_PT))}" w:color="{RED_HEX}"/></w:pBdr>')
        ppr = numbered._p.get_or_add_pPr()
        ppr.insert_element_before(border, "w:spacing", "w:ind", "w:jc", "w:rPr")
        for _blank in range(TITLE_GAP_LINES):
            self.paragraph("")

    def table(self, block: Table) -> None:
        _d, table_align, _a, parse_xml, nsdecls, qn, Mm, Pt, _rgb = _docx()
        widths = column_widths(block.header, block.rows, BODY_WIDTH_MM * MM_PT, TABLE_PT + 0.5, block.wide)
        table = self.doc.add_table(rows=1, cols=len(block.header))
        table.style = "Table Grid"
        table.alignment = table_align.CENTER
        table.autofit = False
        # autofit off is w:tblLayout fixed: Word keeps the widths below
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Pt(width)
        header_row = table.rows[0]
        header_row._tr.get_or_add_trPr().append(parse_xml(f'<w:tblHeader {nsdecls("w")}/>'))
        for cell, text, width in zip(header_row.cells, block.header, widths, strict=True):
            cell.width = Pt(width)
            cell.paragraphs[0].alignment = self.align.CENTER
            cell.paragraphs[0].paragraph_format.line_spacing = Pt(TABLE_PT * 1.35)
            _off_grid(cell.paragraphs[0])
            set_run_font(cell.paragraphs[0].add_run(text), "heiti", TABLE_PT)
        for index, values in enumerate(block.rows):
            if index in block.groups:
                caption = table.add_row()
                merged = caption.cells[0].merge(caption.cells[-1])
                merged.paragraphs[0].paragraph_format.line_spacing = Pt(TABLE_PT * 1.35)
                _off_grid(merged.paragraphs[0])
                set_run_font(merged.paragraphs[0].add_run(block.groups[index]), "kaiti", TABLE_PT)
            row = table.add_row()
            for cell, text, width in zip(row.cells, values, widths, strict=True):
                cell.width = Pt(width)
                cell.paragraphs[0].paragraph_format.line_spacing = Pt(TABLE_PT * 1.35)
                _off_grid(cell.paragraphs[0])
                set_run_font(cell.paragraphs[0].add_run(str(text)), "fangsong", TABLE_PT)

    def colophon(self, copy_to: str, printer: str, printed_on: str) -> None:
        _d, _ta, _a, parse_xml, nsdecls, _qn, _Mm, Pt, _rgb = _docx()
        lines = []
        if copy_to:
            lines.append((f"抄送：{copy_to}。", ""))
        if printer:
            lines.append((printer, f"{printed_on}印发"))
        table = self.doc.add_table(rows=len(lines), cols=2)
        table.autofit = False
        # floating at the foot of the 版心 of the page it falls on, as the 版记 stands in print
        table._tbl.tblPr.insert_element_before(parse_xml(
            f'<w:tblpPr {nsdecls("w")} w:leftFromText="0" w:rightFromText="0" w:vertAnchor="margin" '
            f'w:horzAnchor="margin" w:tblpYSpec="bottom"/>'),
            "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize", "w:tblStyleColBandSize", "w:tblW", "w:jc",
            "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")
        # in the schema's order inside w:tblPr (Word rejects a file whose elements are out of order)
        table._tbl.tblPr.insert_element_before(parse_xml(
            f'<w:tblBorders {nsdecls("w")}><w:top w:val="single" w:sz="8"/><w:bottom w:val="single" w:sz="8"/>'
            f'<w:insideH w:val="single" w:sz="6"/></w:tblBorders>'),
            "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")
        for row, (left, right) in zip(table.rows, lines, strict=True):
            cells = row.cells
            for cell in cells:
                cell.width = Pt(BODY_WIDTH_MM * MM_PT / 2)
            if not right:
                # 抄送 takes the whole line
                cells = [cells[0].merge(cells[1])]
            for cell, text, align in zip(cells, (left, right), (self.align.LEFT, self.align.RIGHT), strict=False):
                paragraph = cell.paragraphs[0]
                paragraph.alignment = align
                _off_grid(paragraph)
                if align == self.align.LEFT:
                    paragraph.paragraph_format.left_indent = Pt(COLOPHON_PT)
                else:
                    paragraph.paragraph_format.right_indent = Pt(COLOPHON_PT)
                if text:
                    set_run_font(paragraph.add_run(text), "fangsong", COLOPHON_PT)


@lru_cache(maxsize=1)
def _template() -> bytes:
    """An empty document with the page, grid, styles and page-number footers of GB/T 9704."""
    out = io.BytesIO()
    _WordWriter().doc.save(out)
    return out.getvalue()


def render_docx(document: OfficialDocument) -> bytes:
    """The document as .docx bytes, editable in Word and WPS."""
    writer = _WordWriter(_template())
    center = writer.align.CENTER
    writer.header(document.mark, document.number)
    title = writer.paragraph("", role="xiaobiaosong", size=TITLE_PT, align=center, grid=False)
    for number, line in enumerate(balanced_title(document.title).split("\n")):
        if number:
            title.add_run().add_break()
        set_run_font(title.add_run(line), "xiaobiaosong", TITLE_PT)
    writer.paragraph("")
    if document.addressee:
        writer.paragraph(f"{document.addressee}：")
    last = None
    for block in document.blocks:
        if isinstance(block, Table):
            writer.table(block)
            last = None
        else:
            last = writer.paragraph(block.text, role=LEVEL_FONTS.get(block.level, "fangsong"),
                                    indent_chars=2 if block.indent else 0)
    if document.signature or document.signed_on:
        # the 落款 stays with the text's last paragraph (keep with next down the chain)
        if last is not None:
            last.paragraph_format.keep_with_next = True
        signed = cn_date(document.signed_on) if document.signed_on else ""
        sign_at, date_at = signature_offsets(document.signature, signed, document.seal)
        for _blank in range(3 if document.seal else 1):
            writer.paragraph("", keep_with_next=True)
        if document.signature:
            writer.paragraph(document.signature, left_chars=sign_at, keep_with_next=bool(signed))
        if signed:
            writer.paragraph(signed, left_chars=date_at)
    if document.has_colophon:
        writer.paragraph("")
        printed = cn_date(document.printed_on) if document.printed_on else ""
        writer.colophon(document.copy_to, document.printer, printed)
        # a floating table is anchored to the paragraph after it
        writer.paragraph("")
    core = writer.doc.core_properties
    core.title, core.author, core.subject = document.number or document.title, document.author, document.title
    out = io.BytesIO()
    writer.doc.save(out)
    return out.getvalue()
