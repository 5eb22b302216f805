"""Read a plan's lines into an outline of numbered items.

Real plans arrive damaged: sentences hard-wrapped at a fixed width, numbers cut
in two by a line break (``110、1`` + ``19、120电话``), page numbers and running
headers between the lines, two items on one line, several plans in one file.
The parser therefore decides every line from what it can see nearby: whether
the previous line ended a sentence, whether it looks cut at the wrap width,
and whether a number fits the sequence the document is counting.

Levels come from the order in which a document uses its numbering styles (the
first style seen is level 1, a new style nests under the current item, a style
seen before pops back to its level), not from a fixed table: 1、 is level 2 in
one plan and level 3 in the next.

One pass over the lines, constant work per line apart from the line's own
length, so a file of any size parses in linear time.
"""

from __future__ import annotations

import datetime as _dt
import gc
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from . import metadata as _metadata
from .errors import PlanInputError
from .numbering import (
    Marker,
    cn_to_int,
    find_inline,
    find_next_in_line,
    fold_char,
    fold_width,
    match_marker,
)
from .outline import Heading, Item, Outline, PlanOutline
from .patterns import lazy
from .readers.blocks import Block
from .readers.flat import table_regions, text_with_tables
from .slotted import factory, slotted

TYPE_CHECKING = False  # not typing's: the CLI's start is mostly imports
if TYPE_CHECKING:
    from typing import Any

__all__ = ["parse_blocks", "parse_lines", "parse_text"]

# ---------------------------------------------------------------------------
# line classes

_STRIP = " \t\u3000\u00a0\ufeff\u200b\u200c\u200d\u2060\r\x0b\x0c"

_TERMINAL = frozenset("。!?！？;；…:：")
_CLOSERS = frozenset("”’\"'）)】」』》〉]")
_MID_PUNCT = frozenset("，,、（(“‘《〈【[—-–~～/")
_LEADING_CLOSERS = frozenset("，,。.、；;：:）)”’》〉】!！?？%％‰")

_PAGE_NUMBER = lazy(
    r"^(?:[-—–－~～_]{1,3}\s*\d{1,4}\s*[-—–－~～_]{1,3}"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|共\s*\d{1,4}\s*页\s*[,，/]?\s*第\s*\d{1,4}\s*页"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?:page|Page|PAGE)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?"
    r"|\d{1,3})$"
)
_NAVIGATION = lazy(
    r"^(?:(?:当前位置|您的位置|您现在的位置|所在位置)\s*[:：]"
    r"|上一篇\s*[:：]|下一篇\s*[:：]"
    r"|首页\s*[>＞»›/]"
    r"|(?:返回顶部|打印本页|关闭窗口|【\s*打印\s*】|【\s*关闭\s*】)"
    r"|【?\s*字[体号]\s*[:：]"
    r"|分享到\s*[:：]?)"
)
_BREADCRUMB = lazy(r"^[^>＞»›]{1,12}(?:\s*[>＞»›]\s*[^>＞»›]{1,20}){2,}$")

_DATE_LINE = lazy(
    r"^[(\[]?\s*(?:(?:发布|印发|成文|更新)?(?:时间|日期)\s*[:：]\s*)?"
    r"(?P<y>(?:19|20)\d{2})\s*(?:年|[-./])\s*(?P<m>\d{1,2})\s*(?:月|[-./])\s*(?P<d>\d{1,2})\s*日?"
    r"\s*[)\]]?$"
)
_CN_DATE_LINE = lazy(
    r"^[(\[]?\s*(?P<y>[〇零一二三四五六七八九]{4})\s*年\s*(?P<m>[一二三四五六七八九十]{1,3})\s*月"
    r"\s*(?P<d>[一二三四五六七八九十]{1,3})\s*日\s*[)\]]?$"
)
_DOC_NUMBER = lazy(
    r"[\u4e00-\u9fff]{1,12}\s*[〔\[【(（［]\s*(?:19|20)\d{2}\s*[〕\]】)）］]\s*第?\s*\d{1,4}\s*号"
)

_TITLE_TAIL = (r"(?:计划|方案|要点|规划|意见|通知|办法|细则|纲要|总结|报告|分解表|任务表|清单|台账"
               # the same words in traditional characters (a Big5 file from Taiwan or Hong Kong)
               r"|計劃|計畫|要點|規劃|意見|辦法|細則|綱要|總結|報告|任務表|清單|台賬|臺賬"
               r"|第[0-9一二三四五六七八九十百]{1,4}篇)")
_TITLE_NOTE = r"(?:[(（][^)）]{1,24}[)）])?"
_TITLE = lazy(rf"^[^，。；！？,;!?：:]{{4,60}}{_TITLE_TAIL}{_TITLE_NOTE}$")
_STRONG_TITLE = lazy(
    rf"(?:第[0-9一二三四五六七八九十百]{{1,4}}篇"
    rf"|^关于.{{2,60}}的(?:通知|意见|决定|实施方案|工作方案|方案|计划|办法|实施意见|工作要点)){_TITLE_NOTE}$"
)
_BRACKET_HEADING = lazy(r"^(?:【[^】]{1,40}】|〖[^〗]{1,40}〗|\[[^\]]{1,40}\])$")
_LABEL_HEADING = lazy(
    r"^(?:总体思路|指导思想|工作思路|总体要求|总体目标|工作目标|主要目标|目标任务|基本原则|主要任务"
    r"|重点任务|工作重点|工作任务|保障措施|工作要求|实施步骤|主要作法|主要做法|工作措施|具体措施"
    r"|组织领导|工作安排|实施范围|适用范围)\s*[:：]"
)
_SENTENCE_PUNCT = lazy(r"[，,。；;！!？?：:]")
_ISSUER_WORDS = ("人民政府|政府|办公室|办公厅|委员会|局|厅|委|部|中心|学校|小学|中学|大学|学院|幼儿园|公司|集团"
                 "|党委|党组|党支部|支部|街道|街道办事处|镇|乡|社区|院|所|处|科|室|队")
_ISSUER = lazy(rf"^[\u4e00-\u9fffA-Za-z0-9（）()·]{{2,30}}?(?:{_ISSUER_WORDS})$")
#: the last characters an issuer line can end with (``$`` also allows a final newline): a line ending
#: otherwise is not weighed, and the pattern is not compiled for it
_ISSUER_LAST = frozenset(word[-1] for word in _ISSUER_WORDS.split("|")) | {"\n"}
_HEADER_FILE = lazy(r"^(?P<org>[\u4e00-\u9fff（）()]{2,30}?)文件$")
_TITLE_ISSUER = lazy(
    r"^(?P<org>[\u4e00-\u9fff（）()]{2,30}?(?:人民政府|政府|办公室|办公厅|委员会|局|厅|委|部|中心|学校|小学|中学"
    r"|大学|学院|幼儿园|公司|集团|党委|党组|街道|镇|乡|社区|院|所))(?:关于)?(?:(?:19|20)\d{2}|二〇)"
)
_YEAR = lazy(r"((?:19|20)\d{2})\s*(?:年|-20\d{2}|—20\d{2}|学年)")
_MD_HEADING = lazy(r"^#{1,6}\s+")

_LETTER_KINDS = frozenset({"latin_upper", "latin_lower"})
_CHAPTER = lazy(r"(\d{1,2})[ \u3000]+(?=[^\s\d])")
#: how a sentence, never a running header, ends
_SENTENCE_END = frozenset("。；;，,！!？?")
# a plan run into one paragraph: where its items may begin, and which numbers may begin them
_RUN_IN_POINT = lazy(r"[。；;！!？?：:]\s*")
# a cheap look before the scan: a split point with something number-like after it
_RUN_IN_CANDIDATE = lazy(r"[。；;！!？?：:]\s*[（(]?\s*[一二三四五六七八九十0-9０-９]")
_RUN_IN_STYLES = frozenset({"cn_dun", "cn_paren", "cn_dot", "arabic_dot", "arabic_dun"})
_SHORT_HEADING_MAX = 20
_TAIL_MAX = 12
_FULL_CAP = 50  # a line this long that stops mid-sentence was cut by a wrap
_SPLIT_RESTART_MAX = 2  # a title starts a new plan when the next number restarts at 1 or 2


def _parent_number(item: Item) -> str:
    """For a decimal item (1.2.1) the number of the item it belongs to (1.2); else ''."""
    if not item.style.startswith("decimal"):
        return ""
    return fold_width(item.number).rsplit(".", 1)[0]


def _clean(line: str) -> str:
    line = line.strip(_STRIP)
    if line.startswith("#"):
        line = _MD_HEADING.sub("", line)
    return line


def _last_char(line: str) -> str:
    """The line's last character that is not a closing quote or bracket."""
    i = len(line) - 1
    while i > 0 and line[i] in _CLOSERS:
        i -= 1
    return line[i] if i >= 0 else ""


def _ends_closed(line: str) -> bool:
    """Whether a line ends a sentence (or a heading with a colon), so the next line is new."""
    i = len(line) - 1
    while i > 0 and line[i] in _CLOSERS:
        i -= 1
    ch = line[i]
    if ch in _TERMINAL:
        return True
    if ch in ".．":  # 86. at the end of a line is a number cut by the wrap, not a full stop
        return not (i > 0 and fold_char(line[i - 1]).isdigit())
    return False


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _glue(left: str, right: str) -> str:
    """Join a hard-wrapped line back on: no space in Chinese, a space between Latin words."""
    if not left:
        return right
    if not right:
        return left
    a, b = fold_char(left[-1]), fold_char(right[0])
    if a.isascii() and (a.isalpha() or a in ",;:!?)") and b.isascii() and b.isalpha():
        return left + " " + right
    return left + right


_CN_YEAR_DIGITS = {c: n for n, c in enumerate("〇一二三四五六七八九")} | {"零": 0}


def _parse_date(line: str) -> _dt.date | None:
    if len(line) > 40:
        return None
    folded = fold_width(line)
    m = _DATE_LINE.match(folded)
    try:
        if m:
            return _dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
        m = _CN_DATE_LINE.match(folded)
        if m:
            year = int("".join(str(_CN_YEAR_DIGITS[c]) for c in m["y"]))
            month, day = cn_to_int(m["m"]), cn_to_int(m["d"])
            if month and day:
                return _dt.date(year, month, day)
    except ValueError:
        return None
    return None


_DATE_IN_TEXT = lazy(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


def _date_in_note(line: str) -> _dt.date | None:
    """（2024年4月16日区政府第12次常务会议审议通过）under a title dates the plan."""
    m = _DATE_IN_TEXT.search(fold_width(line))
    if m is None:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _title_text(line: str) -> str:
    if line.startswith("《") and line.endswith("》"):
        return line[1:-1]
    return line


# ---------------------------------------------------------------------------
# parser state


@slotted
class _Frame:
    """An item being read: its text arrives line by line until it is closed."""

    item: Item
    value: int
    kind: str
    parts: list[tuple[str, int, bool]] = factory(list)  # (text, line, new paragraph)
    body_from: int = -1  # index in parts where the body paragraphs begin
    last_char: str = ""
    row: dict | None = None
    year: int | None = None


@slotted
class _Plan:
    outline: PlanOutline
    stack: list[_Frame] = factory(list)
    memory: dict[str, int] = factory(dict)  # style → level it was last used at
    last_value: dict[str, int] = factory(dict)  # style → last value seen
    has_items: bool = False
    date_weak: bool = False  # the date came from a page line before the title
    year: int | None = None  # year the plan is about (title or a heading like 【2011年工作思路】)
    frames: list[_Frame] = factory(list)


@slotted
class _Pending:
    """A title line that starts a new plan if the numbering restarts after it."""

    title: str
    line: int
    strong: bool
    headings: list[Heading] = factory(list)
    date: _dt.date | None = None
    doc_number: str | None = None
    issuer: str | None = None


@slotted
class _Source:
    texts: list[str]
    rows: list[dict | None]
    heading_levels: list[int | None]
    #: the line's number comes from Word's automatic numbering (no need to weigh it)
    numbered: list[bool] | None = None
    #: the source line of each block, where blocks and lines are not one to one (text tables)
    source_lines: list[int] | None = None
    #: a table's caption: the title of the plan the table is
    titles: list[bool] | None = None


class _Parser:
    def __init__(self, source: _Source, plan_date: _dt.date | None, default_title: str) -> None:
        self.src = source
        self.plan_date = plan_date
        self.default_title = default_title
        n = len(source.texts)
        self.lines = [_clean(t) for t in source.texts]
        self.noise = [False] * n
        self._find_noise()
        self._measure()
        self.plans: list[_Plan] = [self._new_plan("", None)]
        self.pending: _Pending | None = None
        self.prev: str | None = None  # last content line, for deciding the next one
        self.prev_kind = ""  # "item", "text", "title", "heading", "issuer", "date"
        self.target: _Frame | None = None  # where a continuation line goes
        self.target_empty = False  # the item line held only its number
        self.blank = False
        self.after_noise = False
        self.table_closed = False  # a table read from text has ended: what follows is outside it

    # -- pre-pass ---------------------------------------------------------

    def _find_noise(self) -> None:
        """Page numbers, navigation lines and running headers: not part of any plan."""
        lines, noise = self.lines, self.noise
        page_lines: list[int] = []
        for i, line in enumerate(lines):
            if not line or self.src.rows[i] is not None:
                continue
            if len(line) <= 24 and _PAGE_NUMBER.match(fold_width(line)):
                noise[i] = True
                page_lines.append(i)
            elif _NAVIGATION.match(line) or _BREADCRUMB.match(line):
                noise[i] = True
        if not page_lines:
            return
        # A running header repeats next to the page numbers (just before or after them), at more
        # than one page break: the same line twice around a single break may be two items' equal
        # text. A header is a title: it has words and does not end a sentence (a wrapped sentence's
        # last "优化。" may also repeat there).
        near = bytearray(len(lines))
        for p in page_lines:
            for j in range(max(0, p - 2), min(len(lines), p + 4)):
                near[j] = 1
        breaks: dict[str, set[int]] = {}
        for i, line in enumerate(lines):
            if (near[i] and line and not noise[i] and len(line) <= 40 and sum(ch.isalnum() for ch in line) >= 2
                    and line[-1] not in _SENTENCE_END and match_marker(line) is None):
                k = bisect_right(page_lines, i)
                nearest = min(page_lines[max(k - 1, 0):k + 1], key=lambda p: abs(p - i))
                breaks.setdefault(line, set()).add(nearest)
        repeated = {line for line, seen in breaks.items() if len(seen) >= 2}
        if repeated:
            for i, line in enumerate(lines):
                if near[i] and line in repeated:
                    noise[i] = True

    def _measure(self) -> None:
        """How long a line cut by the wrap is, and whether blank lines separate paragraphs."""
        lengths = []
        followed_by_blank = 0
        content = 0
        lines = self.lines
        for i, line in enumerate(lines):
            if not line or self.noise[i]:
                continue
            lengths.append(len(line))
            content += 1
            if i + 1 < len(lines) and not lines[i + 1]:
                followed_by_blank += 1
        if lengths:
            lengths.sort()
            p90 = lengths[min(len(lengths) - 1, int(len(lengths) * 0.9))]
        else:
            p90 = 0
        self.full_len = max(2.0, min(0.8 * p90, float(_FULL_CAP)))
        # In a double-spaced page (a blank after every line) a blank line says nothing.
        self.double_spaced = content > 0 and followed_by_blank >= 0.6 * content

    # -- plans ------------------------------------------------------------

    def _new_plan(self, title: str, line: int | None) -> _Plan:
        plan = _Plan(PlanOutline(title=title, start_line=line))
        m = _YEAR.search(title) if title else None
        if m:
            plan.year = int(m.group(1))
        return plan

    @property
    def plan(self) -> _Plan:
        return self.plans[-1]

    def _close_plan(self, plan: _Plan) -> None:
        while plan.stack:
            self._finish(plan.stack.pop())
        # the plan's date is known by now; its items are still in the cache
        self._add_metadata(plan)
        plan.frames.clear()

    def _set_title(self, plan: _Plan, title: str, line: int) -> None:
        plan.outline.title = title
        plan.outline.start_line = line
        m = _YEAR.search(title)
        if m:
            plan.year = int(m.group(1))
        # the pattern ends in a year (19xx, 20xx or 二〇…)
        im = _TITLE_ISSUER.match(title) if "19" in title or "20" in title or "二〇" in title else None
        if im and not plan.outline.issuer:
            plan.outline.issuer = im.group("org")

    def _resolve_pending(self, marker_value: int | None) -> None:
        """A title was seen: start a new plan if the numbering restarts, else keep it as a heading."""
        pending = self.pending
        if pending is None:
            return
        self.pending = None
        plan = self.plan
        if marker_value is not None and (marker_value <= _SPLIT_RESTART_MAX or pending.strong):
            self._close_plan(plan)
            new = self._new_plan("", pending.line)
            self._set_title(new, pending.title, pending.line)
            new.outline.headings.extend(pending.headings)
            new.outline.date = pending.date
            new.outline.doc_number = pending.doc_number
            if pending.issuer:
                new.outline.issuer = pending.issuer
            if not plan.has_items:
                # a covering notice with no items of its own carries the table it attaches
                new.outline.date = new.outline.date or plan.outline.date
                new.outline.doc_number = new.outline.doc_number or plan.outline.doc_number
                new.outline.issuer = new.outline.issuer or plan.outline.issuer
            self.plans.append(new)
            return
        plan.outline.headings.append(Heading(pending.title, pending.line))
        plan.outline.headings.extend(pending.headings)
        if plan.outline.date is None:
            plan.outline.date = pending.date
        if plan.outline.doc_number is None:
            plan.outline.doc_number = pending.doc_number
        if plan.outline.issuer is None:
            plan.outline.issuer = pending.issuer
        m = _YEAR.search(pending.title)
        if m:
            plan.year = int(m.group(1))

    def _reset_stack(self) -> None:
        """An unnumbered heading closes the open items: what follows starts at the top again."""
        plan = self.plan
        while plan.stack:
            self._finish(plan.stack.pop())

    # -- main loop --------------------------------------------------------

    def run(self) -> Outline:
        src = self.src
        for i, line in enumerate(self.lines):
            row = src.rows[i]
            if row is not None:
                self._row(i, row)
                continue
            if not line:
                self.blank = True
                continue
            if self.noise[i]:
                self.after_noise = True
                continue
            if self.table_closed:
                self.table_closed = False
                self._reset_stack()
                self.target, self.prev, self.prev_kind = None, None, ""
            blank = self.blank and not self.after_noise
            self.blank = self.after_noise = False
            if src.titles is not None and src.titles[i] and match_marker(line) is None:
                self._on_title(i, _title_text(line), True)
                self.prev, self.prev_kind = line, "title"
                continue
            self._line(i, line, blank, src.heading_levels[i])
        self._resolve_pending(None)
        for plan in self.plans:
            self._close_plan(plan)
        outline = Outline([p.outline for p in self.plans if p.has_items])
        if not outline.plans:
            raise PlanInputError("no_items")
        last_line = len(self.lines) - 1
        for k, plan in enumerate(outline.plans):
            nxt = outline.plans[k + 1].start_line if k + 1 < len(outline.plans) else None
            plan.end_line = (nxt - 1) if nxt is not None else last_line
            if not plan.title:
                plan.title = self.default_title
        return outline

    def _line(self, i: int, line: str, blank: bool, heading_level: int | None) -> None:
        """One source line; a plan run into one paragraph (一、…。（一）…。1.…2.…) is cut into its items."""
        cuts = self._run_in_cuts(line) if len(line) > 6 else []
        if not cuts:
            self._line_start(i, line, blank, heading_level)
            return
        head = line[:cuts[0]].rstrip(_STRIP)
        if head:
            self._line_start(i, head, blank, heading_level)
        for start, stop in zip(cuts, cuts[1:] + [len(line)], strict=True):
            segment = line[start:stop].rstrip(_STRIP)
            marker = match_marker(segment)
            if marker is not None:
                self._open_items(i, segment, marker)

    def _run_in_cuts(self, line: str) -> list[int]:
        """Where items begin inside a line: after a sentence end, a number that continues an open
        level (its next value) or opens a new one below the item being read (its first value).
        Numbers inside sentences stay text, and the inline enumerations (一是, （1）, ①) are left
        to the item that holds them."""
        if _RUN_IN_CANDIDATE.search(line) is None:
            return []
        plan = self.plan
        stack = [(frame.item.style, frame.value) for frame in plan.stack]
        lead = match_marker(line)
        start = 0
        if lead is not None:
            start = lead.end
            k = next((j for j in range(len(stack) - 1, -1, -1) if stack[j][0] == lead.style), None)
            if k is not None:
                del stack[k:]
            stack.append((lead.style, lead.value))
        candidates: list[tuple[int, Marker]] = []
        for point in _RUN_IN_POINT.finditer(line, start):
            pos = point.end()
            if pos >= len(line):
                break
            marker = match_marker(line, pos)
            if marker is not None and marker.style in _RUN_IN_STYLES:
                candidates.append((pos, marker))
        cuts: list[int] = []
        for pos, marker in candidates:
            k = next((j for j in range(len(stack) - 1, -1, -1) if stack[j][0] == marker.style), None)
            if k is not None:
                if marker.value != stack[k][1] + 1:
                    continue
                del stack[k:]
            elif marker.value != 1:
                continue
            stack.append((marker.style, marker.value))
            cuts.append(pos)
        return cuts

    def _line_start(self, i: int, line: str, blank: bool, heading_level: int | None) -> None:
        first = fold_char(line[0])
        marker = match_marker(line)
        rejected = False
        if marker is None:
            marker = self._chapter_number(i, line)
            if marker is not None:
                self._open_items(i, line, marker)
                return
        if marker is not None:
            numbered = self.src.numbered is not None and self.src.numbered[i]
            if numbered or self._accept(marker, first):
                self._open_items(i, line, marker)
                return
            rejected = True
        if self._continues(line, first, blank, rejected):
            self._continue(i, line)
            return
        self._unnumbered(i, line, heading_level)

    # -- deciding about a number -------------------------------------------

    def _chapter_number(self, i: int, line: str) -> Marker | None:
        """"3 建设方案": a number, a space and a name, as standards-style documents write their
        chapters, is a number only when the next line is its first section (3.1)."""
        m = _CHAPTER.match(fold_width(line[:8]))
        if m is None:
            return None
        for j in range(i + 1, len(self.lines)):
            following = self.lines[j]
            if not following or self.noise[j]:
                continue
            section = match_marker(following)
            if section is None or section.parent != m.group(1) or section.value != 1:
                return None
            return Marker(style="arabic_space", number=line[:len(m.group(1))], value=int(m.group(1)), start=0,
                          end=m.end())
        return None

    def _find_frame(self, style: str) -> int | None:
        stack = self.plan.stack
        for k in range(len(stack) - 1, -1, -1):
            if stack[k].item.style == style:
                return k
        return None

    def _continuity_frame(self, marker: Marker) -> int | None:
        """A new style that continues an open level's count is that level with its style changed."""
        value = marker.value
        if value < 2:
            return None
        plan = self.plan
        last = plan.last_value.get(marker.style)
        if last is not None and last + 1 == value:
            return None  # it continues its own earlier sequence: it nests
        remembered = plan.memory.get(marker.style)
        stack = plan.stack
        for k in range(len(stack) - 1, -1, -1):
            frame = stack[k]
            if frame.value + 1 != value or frame.last_char in ":：":
                continue
            if frame.kind == marker.kind or remembered == k + 1:
                return k
        return None

    def _plausible(self, marker: Marker) -> tuple[bool, bool]:
        """(fits the count exactly, is believable at all) for a number at the start of a line."""
        plan = self.plan
        value = marker.value
        k = self._find_frame(marker.style)
        if k is not None:
            last = plan.stack[k].value
            strict = value == last + 1 or value == 1
            loose = strict or 1 <= value <= last + 10
        else:
            last = plan.last_value.get(marker.style)
            strict = value == 1 or (last is not None and value == last + 1) \
                or self._continuity_frame(marker) is not None
            loose = strict or value <= 10 or (last is not None and last < value <= last + 10)
        if marker.strong:
            loose = True
        if marker.parent or marker.kind in _LETTER_KINDS:
            # a decimal names its place: it fits its parent, and continues its siblings (a gap of a
            # number or two where the line may begin an item), or it is a figure (2.5公里, 3.5前)
            # that a wrap put at the start of a line; letters count the same way
            if marker.parent and not self._decimal_fits(marker, k):
                return False, False
            return strict, strict or (k is not None and plan.stack[k].value < value <= plan.stack[k].value + 3)
        return strict, loose

    def _decimal_fits(self, marker: Marker, k: int | None) -> bool:
        """A decimal number (2.3, 2.3.1) names the item it belongs to: 2.3.1 goes under 2.3, and 2.1
        under the second item of the level above (二、 or 2.); a mismatch is text, not a number."""
        stack = self.plan.stack
        holder = stack[k - 1] if k else (stack[-1] if k is None and stack else None)
        if holder is None:
            return True
        if holder.item.style.startswith("decimal"):
            return fold_width(holder.item.number) == marker.parent
        if marker.parent.count(".") and k is None:
            return False  # 1.2.1 with no 1.2 open
        return holder.value == int(marker.parent.rsplit(".", 1)[-1])

    def _is_full(self, line: str) -> bool:
        return len(line) >= self.full_len

    def _accept(self, marker: Marker, first: str) -> bool:
        """Whether a number at the start of a line begins an item or is text cut by a wrap."""
        if self.pending is not None and marker.value <= _SPLIT_RESTART_MAX:
            # after a title a new plan may begin, though not with a letter, and with a decimal only
            # as its first item (1.1); other numbers are weighed as usual below
            if (not marker.parent and marker.kind not in _LETTER_KINDS) or fold_width(marker.number) == "1.1":
                return True
        strict, loose = self._plausible(marker)
        prev = self.prev
        if prev is None or self.prev_kind in ("title", "heading", "date", "issuer", "row") or _ends_closed(prev):
            return loose
        last = _last_char(prev)
        if first.isdigit():
            lf = fold_char(last)
            if lf == "." and len(prev) > 1 and fold_char(prev[-2]).isdigit():
                return False  # 86. + 55、…: a decimal cut in two
            if lf.isascii() and lf.isalnum():
                return strict  # 110、1 + 19、…, G + 3、…
        if last in _MID_PUNCT:
            return strict
        if self._is_full(prev):
            return strict
        return loose

    # -- continuation lines -------------------------------------------------

    def _continues(self, line: str, first: str, blank: bool, rejected: bool) -> bool:
        prev = self.prev
        if prev is None or self.prev_kind in ("title", "heading", "date", "issuer", "row"):
            return False
        if _ends_closed(prev):
            return False
        if _STRONG_TITLE.search(line):
            return False
        if rejected or self.target_empty:
            return True
        last = _last_char(prev)
        if first in _LEADING_CLOSERS:
            return True
        if last in _MID_PUNCT:
            return True
        if _is_ascii_alnum(fold_char(last)) and _is_ascii_alnum(first):
            return True
        if len(line) <= _TAIL_MAX and _ends_closed(line) and not _SENTENCE_PUNCT.search(line[:-1]):
            return True  # "…邀请副校长到校讲座" + "1次以上。": the tail of a cut sentence
        if self._is_full(prev):
            if blank and not self.double_spaced:
                return False
            if blank and _TITLE.match(line):
                return False
            return True
        return False

    def _continue(self, i: int, line: str) -> None:
        frame = self.target
        self.prev = line
        self.target_empty = False
        if frame is None:
            return
        # Two items on one line may also follow a wrap: "…为重点 (2)家庭…"
        if frame.body_from < 0 and self.plan.stack and self.plan.stack[-1] is frame:
            nxt = find_next_in_line(line, frame.item.style, frame.value + 1, 0, _parent_number(frame.item))
            if nxt is not None:
                head = line[:nxt.start].rstrip(_STRIP)
                self._append(frame, head, i, False)
                rest = line[nxt.start:]
                marker = match_marker(rest)
                if marker is not None:
                    self._open_items(i, rest, marker)
                    return
        self._append(frame, line, i, False)

    def _append(self, frame: _Frame, text: str, i: int, new_paragraph: bool) -> None:
        if not text:
            return
        if new_paragraph and frame.body_from < 0:
            frame.body_from = len(frame.parts)
        frame.parts.append((text, i, new_paragraph))
        frame.item.end_line = i
        if frame.body_from < 0:
            frame.last_char = _last_char(text)

    # -- items --------------------------------------------------------------

    def _open_items(self, i: int, line: str, marker: Marker) -> None:
        """Open the item at the start of ``line`` and any that follow it on the same line."""
        while True:
            frame = self._open(i, marker)
            nxt = find_next_in_line(line, marker.style, marker.value + 1, marker.end, marker.parent)
            if nxt is None:
                text = line[marker.end:].rstrip(_STRIP)
                self._append(frame, text, i, False)
                self.target_empty = not text
                self.prev = line
                self.prev_kind = "item"
                self.target = frame
                return
            self._append(frame, line[marker.end:nxt.start].rstrip(_STRIP), i, False)
            line = line[nxt.start:]
            marker = match_marker(line)
            if marker is None:  # pragma: no cover - find_next_in_line matched there
                return

    def _open(self, i: int, marker: Marker, number: str | None = None) -> _Frame:
        self._resolve_pending(marker.value)
        plan = self.plan
        stack = plan.stack
        k = self._find_frame(marker.style)
        if k is None:
            k = self._continuity_frame(marker)
        if k is not None:
            while len(stack) > k:
                self._finish(stack.pop())
        level = len(stack) + 1
        item = Item(number=number if number is not None else marker.number, text="", level=level,
                    style=marker.style, start_line=i, end_line=i)
        frame = _Frame(item=item, value=marker.value, kind=marker.kind, year=plan.year)
        if stack:
            stack[-1].item.children.append(item)
        else:
            plan.outline.items.append(item)
        stack.append(frame)
        plan.frames.append(frame)
        plan.memory[marker.style] = level
        plan.last_value[marker.style] = marker.value
        plan.has_items = True
        return frame

    def _row(self, i: int, row: dict) -> None:
        """A task-table row is an item of its own, numbered by its 序号 cell.

        A 序号 written like a heading number (（二）) is that style, so section rows nest the rows
        under them; a bare 1, 2, 3 is the table's own; a measure under a task row (``sub``) is one
        level further down.
        """
        self.blank = self.after_noise = False
        if row.get("table_start"):
            self._reset_stack()
        number = str(row.get("number") or "").strip()
        sub = bool(row.get("sub"))
        style = "table_subrow" if sub else "table_row"
        folded = fold_width(number).strip("、.:：)） ").lstrip("(（")
        value = int(folded) if folded.isdigit() else (cn_to_int(folded) or 0)
        if not value:
            value = self.plan.last_value.get(style, 0) + 1
        written = None
        if number and not sub and not folded.isdigit():
            written = match_marker(number) or match_marker(number + "、")
        if written is not None and written.end >= len(number) and written.kind != "arabic":
            marker = written
            number = written.number  # 一、 in a 序号 cell is the number 一, as everywhere else
        else:
            marker = Marker(style=style, number=number, value=value, start=0, end=0)
        if sub and not any(frame.item.style == "table_row" for frame in self.plan.stack):
            sub_of_nothing = True
        else:
            sub_of_nothing = False
        frame = self._open(i, marker, number=number or str(value))
        if sub_of_nothing:
            frame.item.doubtful.append("item")
        frame.row = row
        text = str(row.get("text") or "").strip()
        self._append(frame, text, i, False)
        body = str(row.get("body") or "").strip()
        if body:
            self._append(frame, body, i, True)
        last = row.get("last_line")
        if isinstance(last, int) and last > i:
            frame.item.end_line = last
        self.prev = text or number
        self.prev_kind = "row"  # a table's cell ends where the cell ends: no line wraps on from it
        self.target = frame
        self.target_empty = False
        self.table_closed = bool(row.get("table_end"))

    def _finish(self, frame: _Frame) -> None:
        """Join the item's lines into its text and body; read its inline enumeration."""
        item = frame.item
        parts = frame.parts
        header = ""
        paragraphs: list[str] = []
        offsets: list[int] = []  # start offset of each part in the full text
        lines: list[int] = []
        full = ""
        for n, (text, line, new_paragraph) in enumerate(parts):
            if new_paragraph or n == 0:
                if full:
                    full += "\n"
                offsets.append(len(full))
                full += text
                if new_paragraph:
                    paragraphs.append(text)
                else:
                    header = text
            else:
                glued = _glue(full, text)
                offsets.append(len(glued) - len(text))
                full = glued
                if frame.body_from >= 0 and n >= frame.body_from:
                    paragraphs[-1] = _glue(paragraphs[-1], text)
                else:
                    header = _glue(header, text)
            lines.append(line)
        item.text = header.strip()
        item.body = "\n".join(p.strip() for p in paragraphs)
        inline = find_inline(full)
        if not inline:
            return
        children = []
        for n, marker in enumerate(inline):
            stop = full.find("\n", marker.end)
            if stop < 0:
                stop = len(full)
            if n + 1 < len(inline) and inline[n + 1].start < stop:
                stop = inline[n + 1].start
            text = full[marker.end:stop].strip()
            first = lines[max(0, bisect_right(offsets, marker.start) - 1)]
            last = lines[max(0, bisect_right(offsets, max(marker.start, stop - 1)) - 1)]
            child = Item(number=marker.number, text=text, level=item.level + 1, inline=True,
                         style=marker.style, start_line=first, end_line=last)
            children.append(child)
        item.children[0:0] = children

    # -- unnumbered lines -------------------------------------------------------

    def _unnumbered(self, i: int, line: str, heading_level: int | None) -> None:
        plan = self.plan
        self.target_empty = False
        date = _parse_date(line)
        if date is None and self.prev_kind == "title" and line[0] in "(（" and len(line) <= 60:
            date = _date_in_note(line)
        if date is not None:
            self._on_date(date)
            self.prev, self.prev_kind = line, "date"
            return
        if len(line) <= 40 and "号" in line:
            dm = _DOC_NUMBER.search(line)
            if dm and len(line) - len(dm.group(0)) <= 6:
                number = dm.group(0).replace(" ", "")
                if self.pending is not None:
                    self.pending.doc_number = self.pending.doc_number or number
                elif plan.outline.doc_number is None:
                    plan.outline.doc_number = number
                self.prev, self.prev_kind = line, "date"
                return
        header = _HEADER_FILE.match(line) if "文件" in line else None
        if header:
            self._on_issuer(header.group("org"))
            self.prev, self.prev_kind = line, "issuer"
            return
        if self._extends_title(i, line):
            self.prev, self.prev_kind = line, "title"
            return
        strong = _STRONG_TITLE.search(line) is not None
        if strong or _TITLE.match(line) or (heading_level == 1 and not plan.has_items
                                           and not plan.outline.title and len(line) <= 60):
            self._on_title(i, _title_text(line), strong)
            self.prev, self.prev_kind = line, "title"
            return
        if _BRACKET_HEADING.match(line) or heading_level is not None:
            self._on_heading(i, line, reset=True)
            self.prev, self.prev_kind = line, "heading"
            return
        if _LABEL_HEADING.match(line):
            # 总体思路：…  labels the part it sits in; the items around it keep their levels
            self._on_heading(i, line, reset=False)
            self.prev, self.prev_kind = line, "heading"
            return
        if len(line) <= 30 and line[-1:] in _ISSUER_LAST and _ISSUER.match(line) and self._date_follows(i):
            self._on_issuer(line)
            self.prev, self.prev_kind = line, "issuer"
            return
        if len(line) <= _SHORT_HEADING_MAX and not _SENTENCE_PUNCT.search(line):
            self._on_heading(i, line, reset=True)
            self.prev, self.prev_kind = line, "heading"
            return
        # a body paragraph of the innermost open item (or of no item)
        frame = plan.stack[-1] if plan.stack and self.pending is None else None
        if frame is not None:
            self._append(frame, line, i, True)
        self.target = frame
        self.prev, self.prev_kind = line, "text"

    def _extends_title(self, i: int, line: str) -> bool:
        """A title wrapped over two lines: "关于进一步加强……工作的" + "实施方案"."""
        if self.prev_kind not in ("title", "heading") or self.prev is None or len(line) > 30:
            return False
        if i == 0 or self.lines[i - 1] != self.prev or _SENTENCE_PUNCT.search(self.prev):
            return False
        joined = _title_text(self.prev + line)
        strong = _STRONG_TITLE.search(joined) is not None
        if not strong and not _TITLE.match(joined):
            return False
        plan = self.plan
        pending = self.pending
        if self.prev_kind == "title":
            if pending is not None and pending.line == i - 1:
                pending.title, pending.strong = joined, pending.strong or strong
            elif pending is None and plan.outline.start_line == i - 1 and not plan.has_items:
                self._set_title(plan, joined, i - 1)
            else:
                return False
            return True
        headings = pending.headings if pending is not None else plan.outline.headings
        if not headings or headings[-1].line != i - 1:
            return False
        headings.pop()
        self._on_title(i - 1, joined, strong)
        return True

    def _date_follows(self, i: int) -> bool:
        lines = self.lines
        for j in range(i + 1, min(len(lines), i + 4)):
            if lines[j] and not self.noise[j]:
                return _parse_date(lines[j]) is not None
        return False

    def _on_date(self, date: _dt.date) -> None:
        plan = self.plan
        after_title = self.prev_kind in ("title", "issuer")
        if self.pending is not None:
            if self.pending.date is None:
                self.pending.date = date
            return
        if plan.outline.date is None:
            plan.outline.date = date
            # A date before any title is the page's, unless a title follows it with no items between.
            plan.date_weak = not plan.has_items and not after_title and not plan.outline.title
        elif plan.date_weak and after_title:
            plan.outline.date = date
            plan.date_weak = False

    def _on_issuer(self, issuer: str) -> None:
        if self.pending is not None:
            self.pending.issuer = self.pending.issuer or issuer
        elif not self.plan.outline.issuer:
            self.plan.outline.issuer = issuer

    def _on_title(self, i: int, title: str, strong: bool) -> None:
        plan = self.plan
        self._reset_stack()
        self.target = None
        if not plan.has_items and self.pending is None:
            if plan.date_weak:
                plan.outline.date = None
                plan.date_weak = False
            # what came before the title (a page's own heading) belongs to no plan
            plan.outline.headings.clear()
            self._set_title(plan, title, i)
            return
        if self.pending is not None:
            # the earlier candidate was not followed by items: it is a heading
            self.pending.headings.append(Heading(self.pending.title, self.pending.line))
            self.pending.title, self.pending.line = title, i
            self.pending.strong = self.pending.strong or strong
            return
        self.pending = _Pending(title=title, line=i, strong=strong)

    def _on_heading(self, i: int, text: str, *, reset: bool) -> None:
        heading = Heading(text, i)
        if self.pending is not None:
            self.pending.headings.append(heading)
        else:
            self.plan.outline.headings.append(heading)
            m = _YEAR.search(text)
            if m:
                self.plan.year = int(m.group(1))
        if reset:
            self._reset_stack()
            self.target = None

    # -- metadata -----------------------------------------------------------

    def _add_metadata(self, plan: _Plan) -> None:
        """Suggestions (units, deadline, period) from each item's text, resolved against the plan's year."""
        extract = getattr(_metadata, "extract_metadata", None)
        if extract is None or not plan.frames:
            return
        resolve = getattr(_metadata, "resolve_deadline", None)
        plan_date = plan.outline.date or self.plan_date
        for frame in plan.frames:
            ref = plan_date
            year = frame.year or plan.year
            if year is not None and (ref is None or ref.year != year):
                ref = _dt.date(year, 1, 1)
            item = frame.item
            text = _own_text(item) + ("\n" + item.body if item.body else "")
            row = frame.row
            # a row's unit columns say who does it: its words need not be searched for units
            units = row is None or not (row.get("lead_units") or row.get("units") or row.get("support_units"))
            # and its 完成时限 cell says when: the task's words are not searched for a date either
            _apply(item, extract(text, ref, units=units, deadline=row is None or not row.get("deadline_text")))
            if frame.row is not None:
                _apply_row(item, frame.row, ref, resolve)
            for child in item.children:
                if child.inline:
                    _apply(child, extract(child.text, ref))
        for frame in plan.frames:
            if frame.row is None and frame.item.children:
                _hand_down_units(frame.item)


def _hand_down_units(item: Item) -> None:
    """A section heading that names its units (一、推进城乡建设（牵头单位：县住建局）) covers the
    measures under it that name none of their own."""
    if not (item.lead_units or item.units or item.support_units):
        return
    for child in item.children:
        if not (child.lead_units or child.units or child.support_units):
            child.lead_units, child.units = list(item.lead_units), list(item.units)
            child.support_units = list(item.support_units)
            _hand_down_units(child)


def _own_text(item: Item) -> str:
    """An item's words before the inline enumeration it holds: what 一是… says is the child's."""
    if not item.children or not item.children[0].inline:
        return item.text  # an item's inline enumeration stands first among its children
    first = item.children[0]
    at = item.text.find(first.number + first.text[:6]) if first.text else -1
    return item.text[:at] if at > 0 else item.text


def _apply(item: Item, found: dict[str, Any]) -> None:
    for key in ("lead_units", "units", "support_units", "quantities"):
        value = found.get(key)
        if value:
            setattr(item, key, list(value))
    for key in ("deadline", "deadline_text", "period"):
        value = found.get(key)
        if value:
            setattr(item, key, value)
    for key in found.get("doubtful", ()):
        if key not in item.doubtful:
            item.doubtful.append(key)


def _apply_row(item: Item, row: dict, ref: _dt.date | None, resolve: Any) -> None:
    """A task table states units, leaders and deadline in their own columns: they win over the text."""
    for key in ("lead_units", "units", "support_units", "leaders"):
        value = row.get(key)
        if value:
            setattr(item, key, [str(v) for v in value])
    if row.get("lead_units") or row.get("units") or row.get("support_units"):
        # names found in the task's own words are not the table's: the unit columns say who
        for key in ("lead_units", "units", "support_units"):
            if not row.get(key):
                setattr(item, key, [])
        item.doubtful = [key for key in item.doubtful if not key.endswith("units")]
    deadline_text = row.get("deadline_text")
    for text in (row.get("period_text"), deadline_text):
        if text:
            # a 完成时限 cell may state a rhythm (每季度) rather than a date
            period = _metadata.find_period(str(text))
            if period:
                item.period = period
                break
    if deadline_text:
        item.deadline_text = str(deadline_text)
        item.deadline = None
        if resolve is not None:
            deadline, _text = resolve(str(deadline_text), ref)
            item.deadline = deadline
            if deadline is None and not _metadata.looks_like_deadline(str(deadline_text)):
                item.doubtful.append("deadline")
    confidence = row.get("confidence")
    if isinstance(confidence, (int, float)):
        item.confidence = min(item.confidence, float(confidence))
    for key in row.get("doubtful") or ():
        if key not in item.doubtful:
            item.doubtful.append(key)


# ---------------------------------------------------------------------------
# entry points


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector while parsing.

    The parser builds a tree without reference cycles, so the collector finds
    nothing to free; on a large file its passes over the growing heap cost a
    third of the parse and grow faster than the input.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _source_from_blocks(blocks: Iterable[Any]) -> _Source:
    texts: list[str] = []
    rows: list[dict | None] = []
    levels: list[int | None] = []
    numbered: list[bool] = []
    lines: list[int] = []
    titles: list[bool] = []
    moved = False
    for index, block in enumerate(blocks):
        if type(block) is Block:  # the readers' own blocks: no need to ask for each attribute
            text, row, level, is_numbered, line, title = (block.text, block.row, block.heading_level,
                                                          block.numbered, block.line, block.title)
        else:
            text, row, level = getattr(block, "text", ""), getattr(block, "row", None), \
                getattr(block, "heading_level", None)
            is_numbered, line = getattr(block, "numbered", False), getattr(block, "line", None)
            title = getattr(block, "title", False)
        texts.append(str(text or ""))
        rows.append(row)
        levels.append(level)
        numbered.append(bool(is_numbered))
        titles.append(bool(title))
        lines.append(index if line is None else line)
        moved = moved or (line is not None and line != index)
    return _Source(texts, rows, levels, numbered, lines if moved else None, titles if any(titles) else None)


def _to_source_lines(outline: Outline, lines: list[int]) -> Outline:
    """Block indexes to source line numbers, for the lines a preview highlights."""
    last = len(lines) - 1

    def at(index: int | None) -> int | None:
        return None if index is None else lines[min(max(index, 0), last)]

    for plan in outline.plans:
        plan.start_line, plan.end_line = at(plan.start_line), at(plan.end_line)
        for heading in plan.headings:
            heading.line = at(heading.line)
        for item in plan.walk():
            item.start_line, item.end_line = at(item.start_line), at(item.end_line)
    return outline


def _parse_source(source: _Source, plan_date: _dt.date | None, default_title: str) -> Outline:
    with no_cycle_collection():
        outline = _Parser(source, plan_date, default_title).run()
    if source.source_lines is not None:
        _to_source_lines(outline, source.source_lines)
    return outline


def parse_lines(lines: list[str], *, plan_date: _dt.date | None = None, default_title: str = "") -> Outline:
    """Parse a list of text lines (index = source line number); task tables among them are read as tables."""
    with no_cycle_collection():  # the tables' records and blocks are no cycles either
        regions = table_regions(lines)
        if not regions:
            source = _Source(list(lines), [None] * len(lines), [None] * len(lines))  # prose: the lines as they are
        else:
            source = _source_from_blocks(text_with_tables(lines, regions=regions))
        return _parse_source(source, plan_date, default_title)


def parse_text(text: str, *, plan_date: _dt.date | None = None, default_title: str = "") -> Outline:
    """Parse plan text into an outline; raise PlanInputError("no_items") if nothing is numbered.

    ``plan_date`` is used when the document states no date of its own.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return parse_lines(lines, plan_date=plan_date, default_title=default_title)


def parse_blocks(
    blocks: Iterable[Any], *, plan_date: _dt.date | None = None, default_title: str = ""
) -> Outline:
    """Parse reader blocks (anything with ``text``, ``heading_level`` and ``row``)."""
    return _parse_source(_source_from_blocks(blocks), plan_date, default_title)
