"""Word (.docx): paragraphs with automatic numbers rendered as Word shows them, and tables."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..patterns import lazy
from .blocks import Block
from .tables import HEADER_SEARCH_ROWS, table_rows_to_blocks
from .text import normalize_text

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"


@functools.cache
def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


W_P, W_TBL, W_TR, W_TC, W_SDT, W_SDTCONTENT = (_w(t) for t in ("p", "tbl", "tr", "tc", "sdt", "sdtContent"))
W_VAL = _w("val")
_TEXT_SKIP = {
    _w("pPr"), _w("rPr"), _w("del"), _w("moveFrom"), _w("drawing"), _w("pict"), _w("object"),
    _w("instrText"), _w("delText"), _w("footnoteReference"), _w("endnoteReference"),
    _w("commentReference"), _w("txbxContent"), f"{{{MC_NS}}}AlternateContent",
}
_HEADING_NAME_RE = lazy(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_TOC_NAME_RE = lazy(r"^(?:toc|目录)\s*\d", re.IGNORECASE)


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = ""
    suffix: str = "tab"
    restart: int | None = None  # lvlRestart: 0 = never restart
    legal: bool = False
    style: str | None = None


@dataclass
class _Style:
    name: str = ""
    based_on: str | None = None
    num_id: str | None = None
    ilvl: int | None = None
    outline: int | None = None


class _Numbering:
    """Word's automatic numbering: list definitions from numbering.xml and the running counters."""

    def __init__(self, numbering_el: Any | None, styles: dict[str, _Style]) -> None:
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.abstract_style_link: dict[str, str] = {}
        self.nums: dict[str, tuple[str, dict[int, _Level | None], dict[int, int]]] = {}
        self.counters: dict[str, list[int | None]] = {}
        self.styles = styles
        if numbering_el is None:
            return
        for abstract in numbering_el.iterchildren(_w("abstractNum")):
            aid = abstract.get(_w("abstractNumId"))
            levels = {}
            for lvl in abstract.iterchildren(_w("lvl")):
                level = _parse_level(lvl)
                levels[int(lvl.get(_w("ilvl"), "0"))] = level
            self.abstract[aid] = levels
            link = abstract.find(_w("numStyleLink"))
            if link is not None and link.get(W_VAL):
                self.abstract_style_link[aid] = link.get(W_VAL)
        for num in numbering_el.iterchildren(_w("num")):
            num_id = num.get(_w("numId"))
            aid_el = num.find(_w("abstractNumId"))
            if num_id is None or aid_el is None:
                continue
            level_overrides: dict[int, _Level | None] = {}
            start_overrides: dict[int, int] = {}
            for override in num.iterchildren(_w("lvlOverride")):
                ilvl = int(override.get(_w("ilvl"), "0"))
                start = override.find(_w("startOverride"))
                if start is not None and _int(start.get(W_VAL)) is not None:
                    start_overrides[ilvl] = _int(start.get(W_VAL)) or 0
                lvl = override.find(_w("lvl"))
                level_overrides[ilvl] = _parse_level(lvl) if lvl is not None else None
            self.nums[num_id] = (aid_el.get(W_VAL), level_overrides, start_overrides)

    def _levels(self, num_id: str) -> tuple[str, dict[int, _Level]] | None:
        entry = self.nums.get(num_id)
        if entry is None:
            return None
        aid, level_overrides, start_overrides = entry
        linked = self.abstract_style_link.get(aid)
        if linked and linked in self.styles and self.styles[linked].num_id not in (None, num_id):
            linked_num = self.nums.get(self.styles[linked].num_id or "")
            if linked_num:
                aid = linked_num[0]
        levels = dict(self.abstract.get(aid, {}))
        for ilvl, level in level_overrides.items():
            if level is not None:
                levels[ilvl] = level
        for ilvl, start in start_overrides.items():
            base = levels.get(ilvl, _Level())
            levels[ilvl] = _Level(
                start, base.fmt, base.text, base.suffix, base.restart, base.legal, base.style
            )
        # Lists that only point at the same definition continue one another, as in Word;
        # a num with overrides is a list of its own (Word's "restart numbering").
        key = f"num:{num_id}" if (level_overrides or start_overrides) else f"abstract:{aid}"
        return key, levels

    def render(self, num_id: str | None, ilvl: int | None, style_id: str | None) -> str:
        """Advance the list counter for one paragraph and return its number as Word shows it."""
        if not num_id or num_id == "0":
            return ""
        resolved = self._levels(num_id)
        if resolved is None:
            return ""
        key, levels = resolved
        if ilvl is None:
            ilvl = 0
            for index, level in levels.items():
                if style_id and level.style == style_id:
                    ilvl = index
                    break
        ilvl = max(0, min(ilvl, 8))
        level = levels.get(ilvl)
        if level is None:
            return ""
        counters = self.counters.setdefault(key, [None] * 9)
        counters[ilvl] = level.start if counters[ilvl] is None else (counters[ilvl] or 0) + 1
        for deeper in range(ilvl + 1, 9):
            deeper_level = levels.get(deeper)
            if deeper_level is None or deeper_level.restart != 0:
                counters[deeper] = None
        if level.fmt in ("bullet", "none") or not level.text:
            return ""

        def substitute(match: re.Match[str]) -> str:
            index = int(match.group(1)) - 1
            ref = levels.get(index, _Level())
            value = counters[index] if counters[index] is not None else ref.start
            fmt = "decimal" if level.legal and index < ilvl else ref.fmt
            return format_number(value or 0, fmt)

        rendered = re.sub(r"%([1-9])", substitute, level.text)
        if not rendered.strip():
            return ""
        return rendered + ("" if level.suffix == "nothing" else " ")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _parse_level(lvl: Any) -> _Level:
    def val(tag: str) -> str | None:
        el = lvl.find(_w(tag))
        return el.get(W_VAL) if el is not None else None

    start = _int(val("start"))
    legal_el = lvl.find(_w("isLgl"))
    return _Level(
        start=1 if start is None else start,
        fmt=val("numFmt") or "decimal",
        text=val("lvlText") or "",
        suffix=val("suff") or "tab",
        restart=_int(val("lvlRestart")),
        legal=legal_el is not None and legal_el.get(W_VAL, "1") not in ("0", "false", "off"),
        style=val("pStyle"),
    )


_CN_DIGITS = "〇一二三四五六七八九"
_CN_LEGAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def _chinese_count(n: int, digits: str = _CN_DIGITS, units: str = "十百千") -> str:
    """1..9999 in Chinese counting: 十, 十一, 二十, 一百〇一 (Word's chineseCountingThousand)."""
    if n <= 0 or n >= 10000:
        return str(n)
    if n < 10:
        return digits[n]
    if n < 20 and digits is _CN_DIGITS:
        return units[0] + (digits[n % 10] if n % 10 else "")
    parts: list[str] = []
    zero = False
    for power, unit in ((1000, units[2]), (100, units[1]), (10, units[0]), (1, "")):
        digit = n // power % 10
        if digit:
            if zero and parts:
                parts.append(digits[0])
            parts.append(digits[digit] + unit)
            zero = False
        elif parts:
            zero = True
    return "".join(parts)


def format_number(n: int, fmt: str) -> str:
    """Render a list counter in one of Word's number formats (ST_NumberFormat)."""
    if fmt in ("decimal", "decimalHalfWidth", "ordinal", "cardinalText", "ordinalText"):
        return str(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
               "koreanCounting", "japaneseDigitalTenThousand"):
        return _chinese_count(n)
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional", "japaneseLegal"):
        return _chinese_count(n, _CN_LEGAL_DIGITS, "拾佰仟")
    if fmt in ("ideographDigital", "taiwaneseDigital", "koreanDigital"):
        return "".join(_CN_DIGITS[int(d)] for d in str(n))
    if fmt == "ideographTraditional":
        return _STEMS[n - 1] if 1 <= n <= 10 else str(n)
    if fmt == "ideographZodiac":
        return _BRANCHES[n - 1] if 1 <= n <= 12 else str(n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese", "ideographEnclosedCircle"):
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt == "decimalEnclosedParen":
        return chr(0x2474 + n - 1) if 1 <= n <= 20 else f"({n})"
    if fmt == "decimalEnclosedFullstop":
        return chr(0x2488 + n - 1) if 1 <= n <= 20 else f"{n}."
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return "".join(chr(0xFF10 + int(d)) for d in str(n))
    if fmt in ("upperLetter", "lowerLetter"):
        if n <= 0:
            return str(n)
        letter = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        if n <= 0 or n >= 4000:
            return str(n)
        out = ""
        for value, numeral in _ROMAN:
            while n >= value:
                out += numeral
                n -= value
        return out if fmt == "upperRoman" else out.lower()
    if fmt in ("bullet", "none"):
        return ""
    return str(n)


def _read_styles(document: Any) -> dict[str, _Style]:
    try:
        styles_el = document.part._styles_part.element  # noqa: SLF001 - python-docx has no public accessor
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    styles: dict[str, _Style] = {}
    for style in styles_el.iterchildren(_w("style")):
        if style.get(_w("type")) not in (None, "paragraph", "numbering"):
            continue
        style_id = style.get(_w("styleId"))
        if not style_id:
            continue
        name_el = style.find(_w("name"))
        based = style.find(_w("basedOn"))
        entry = _Style(
            name=(name_el.get(W_VAL) if name_el is not None else "") or "",
            based_on=based.get(W_VAL) if based is not None else None,
        )
        ppr = style.find(_w("pPr"))
        if ppr is not None:
            num_pr = ppr.find(_w("numPr"))
            if num_pr is not None:
                num_el, ilvl_el = num_pr.find(_w("numId")), num_pr.find(_w("ilvl"))
                entry.num_id = num_el.get(W_VAL) if num_el is not None else None
                entry.ilvl = _int(ilvl_el.get(W_VAL)) if ilvl_el is not None else None
            outline = ppr.find(_w("outlineLvl"))
            if outline is not None:
                entry.outline = _int(outline.get(W_VAL))
        styles[style_id] = entry
    return styles


class _DocxReader:
    def __init__(self, document: Any) -> None:
        self.styles = _read_styles(document)
        try:
            numbering_el = document.part.part_related_by(_RT_NUMBERING).element
        except (KeyError, AttributeError):
            numbering_el = None
        self.numbering = _Numbering(numbering_el, self.styles)
        # python-docx wraps every element in a proxy class; walking a plain lxml copy of the body
        # is several times faster and reads the same XML
        from lxml import etree

        plain = etree.XMLParser(resolve_entities=False, huge_tree=True, remove_blank_text=False)
        self.body = etree.fromstring(etree.tostring(document.element.body), plain)
        self._resolved: dict[str, tuple[str, int | None, str | None, int | None, bool]] = {}

    def _style_info(self, style_id: str) -> tuple[str, int | None, str | None, int | None, bool]:
        """(name, heading level, numId, ilvl, is toc) for a paragraph style, following basedOn."""
        cached = self._resolved.get(style_id)
        if cached is not None:
            return cached
        name, heading, num_id, ilvl = "", None, None, None
        seen: set[str] = set()
        current: str | None = style_id
        while current and current not in seen and current in self.styles:
            seen.add(current)
            style = self.styles[current]
            if not name:
                name = style.name
            match = _HEADING_NAME_RE.match(style.name.strip())
            if heading is None and match:
                heading = int(match.group(1))
            if heading is None and style.outline is not None and 0 <= style.outline <= 8:
                heading = style.outline + 1
            if num_id is None and style.num_id is not None:
                num_id, ilvl = style.num_id, style.ilvl
            current = style.based_on
        result = (name, heading, num_id, ilvl, bool(_TOC_NAME_RE.match(name.strip())))
        self._resolved[style_id] = result
        return result

    def blocks(self) -> list[Block]:
        out: list[Block] = []
        for child in _body_children(self.body):
            if child.tag == W_P:
                out.extend(self.paragraph_blocks(child))
            elif child.tag == W_TBL:
                out.extend(self.table_blocks(child))
        return out

    def paragraph_blocks(self, p: Any, *, keep_empty_number: bool = False) -> list[Block]:
        ppr = p.find(_w("pPr"))
        style_id = None
        num_id = ilvl = None
        outline = None
        if ppr is not None:
            style_el = ppr.find(_w("pStyle"))
            style_id = style_el.get(W_VAL) if style_el is not None else None
            num_pr = ppr.find(_w("numPr"))
            if num_pr is not None:
                num_el, ilvl_el = num_pr.find(_w("numId")), num_pr.find(_w("ilvl"))
                num_id = num_el.get(W_VAL) if num_el is not None else None
                ilvl = _int(ilvl_el.get(W_VAL)) if ilvl_el is not None else None
                if num_id is None:
                    num_id = ""  # ilvl only: the list comes from the style
            outline_el = ppr.find(_w("outlineLvl"))
            if outline_el is not None:
                outline = _int(outline_el.get(W_VAL))
        name, heading, style_num, style_ilvl, is_toc = self._style_info(style_id) if style_id else (
            "", None, None, None, False)
        if is_toc:
            return []
        if outline is not None and 0 <= outline <= 8:
            heading = outline + 1
        if num_id is None or num_id == "":
            if style_num is not None:
                num_id = style_num
                ilvl = style_ilvl if ilvl is None else ilvl
        text = normalize_text(_paragraph_text(p))
        if not text.strip() and not keep_empty_number:
            # Word skips nothing here: an empty numbered paragraph still takes a number
            if num_id:
                self.numbering.render(num_id, ilvl, style_id)
            return []
        number = self.numbering.render(num_id, ilvl, style_id) if num_id else ""
        lines = [line.strip() for line in text.split("\n")]
        lines = [line for line in lines if line]
        numbered = bool(number.strip())
        if not lines:
            return [Block(number.strip(), heading_level=heading, numbered=True)] if numbered else []
        blocks = [Block(number + lines[0], heading_level=heading, numbered=numbered)]
        blocks.extend(Block(line, heading_level=None) for line in lines[1:])
        return blocks

    def cell_text(self, tc: Any) -> str:
        lines: list[str] = []
        for child in tc.iterchildren():
            if child.tag == W_P:
                lines.extend(block.text for block in self.paragraph_blocks(child, keep_empty_number=True))
            elif child.tag == W_TBL:
                for tr in child.iter(W_TR):
                    for inner in tr.iterchildren(W_TC):
                        value = self.cell_text(inner)
                        if value:
                            lines.append(value)
            elif child.tag == W_SDT:
                content = child.find(W_SDTCONTENT)
                if content is not None:
                    lines.append(self.cell_text(content))
        return "\n".join(line for line in lines if line)

    def table_blocks(self, tbl: Any) -> list[Block]:
        grid: list[list[tuple[Any, str]]] = []
        above: dict[int, tuple[Any, str]] = {}
        for tr in _table_rows(tbl):
            row: list[tuple[Any, str]] = []
            col = 0
            grid_before = tr.find(f"{_w('trPr')}/{_w('gridBefore')}")
            if grid_before is not None:
                col += _int(grid_before.get(W_VAL)) or 0
                row.extend((("skip", tr, i), "") for i in range(col))
            for tc in _row_cells(tr):
                tcpr = tc.find(_w("tcPr"))
                span = 1
                merge = None
                if tcpr is not None:
                    span_el = tcpr.find(_w("gridSpan"))
                    span = max(1, _int(span_el.get(W_VAL)) if span_el is not None else 1) or 1
                    vmerge = tcpr.find(_w("vMerge"))
                    if vmerge is not None:
                        merge = vmerge.get(W_VAL) or "continue"
                if merge == "continue" and col in above:
                    cell = above[col]
                else:
                    cell = (tc, self.cell_text(tc))  # the element itself: an id() may be reused once it is freed
                for offset in range(span):
                    above[col + offset] = cell
                    row.append(cell)
                col += span
            grid.append(row)

        blocks = table_rows_to_blocks(grid, HEADER_SEARCH_ROWS)
        if blocks is not None:
            return blocks
        # not a task table: read it as text, each distinct cell once, paragraph by paragraph
        out: list[Block] = []
        seen: set[Any] = set()
        for row in grid:
            for identity, text in row:
                if identity in seen or not text:
                    continue
                seen.add(identity)
                out.extend(Block(line) for line in text.split("\n") if line.strip())
        return out


_RT_NUMBERING = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"


def _body_children(body: Any) -> Iterator[Any]:
    """Paragraphs and tables of the body in order, looking inside content controls."""
    for child in body.iterchildren():
        if child.tag in (W_P, W_TBL):
            yield child
        elif child.tag == W_SDT:
            content = child.find(W_SDTCONTENT)
            if content is not None:
                yield from _body_children(content)
        elif child.tag in (_w("customXml"), _w("ins"), _w("moveTo")):
            yield from _body_children(child)


def _table_rows(tbl: Any) -> Iterator[Any]:
    for child in tbl.iterchildren():
        if child.tag == W_TR:
            yield child
        elif child.tag in (W_SDT, _w("customXml")):
            content = child.find(W_SDTCONTENT) if child.tag == W_SDT else child
            if content is not None:
                yield from _table_rows(content)


def _row_cells(tr: Any) -> Iterator[Any]:
    for child in tr.iterchildren():
        if child.tag == W_TC:
            yield child
        elif child.tag in (W_SDT, _w("customXml")):
            content = child.find(W_SDTCONTENT) if child.tag == W_SDT else child
            if content is not None:
                yield from _row_cells(content)


def _paragraph_text(p: Any) -> str:
    parts: list[str] = []
    _collect_text(p, parts)
    return "".join(parts)


_T, _TAB, _BR, _CR, _NBH = _w("t"), _w("tab"), _w("br"), _w("cr"), _w("noBreakHyphen")
_R, _RPR, _VANISH = _w("r"), _w("rPr"), _w("vanish")


def _is_hidden(run: Any) -> bool:
    rpr = run.find(_RPR)
    if rpr is None:
        return False
    vanish = rpr.find(_VANISH)
    return vanish is not None and vanish.get(W_VAL, "true") not in ("0", "false", "off")


def _collect_text(element: Any, parts: list[str]) -> None:
    for child in element.iterchildren():
        tag = child.tag
        if tag == _R and _is_hidden(child):
            continue  # hidden text (w:vanish) is not displayed
        if tag == _T:
            parts.append(child.text or "")
        elif tag == _TAB:
            parts.append("\t")
        elif tag in (_BR, _CR):
            parts.append("\n")
        elif tag == _NBH:
            parts.append("-")
        elif tag in _TEXT_SKIP or not isinstance(tag, str):
            continue
        else:
            _collect_text(child, parts)


def read_docx(data: bytes) -> list[Block]:
    import docx  # python-docx; imported here so text uploads never pay for it

    document = docx.Document(io.BytesIO(data))
    return _DocxReader(document).blocks()
