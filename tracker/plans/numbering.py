"""Chinese outline numbers: recognise a number token and tell its style and value.

Plans number their parts in many ways (一、 （一） 1. （1） ① 第一条 1.2.1 …), typed in
full- or half-width forms. This module only knows what a number looks like; which
level it stands for is decided by the parser from the order a document uses its
styles, because no fixed table holds across documents.
"""

from __future__ import annotations

import re

from .patterns import lazy
from .slotted import slotted

# Full-width ASCII → ASCII, one character for one, so offsets in the folded text
# are offsets in the original line. (str.translate is slow on Chinese text: it
# looks up every character; the regex finds the few that need folding.)
_FOLD_CHAR = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
_FOLD_CHAR["\u3000"] = " "  # ideographic space
_FOLD_CHAR["\u00a0"] = " "
_NEEDS_FOLD = lazy("[\uff01-\uff5e\u3000\u00a0]")


def _fold_match(m: re.Match[str]) -> str:
    return _FOLD_CHAR[m.group()]


def fold_width(text: str) -> str:
    """Fold full-width letters, digits and brackets to ASCII (same length)."""
    if _NEEDS_FOLD.search(text) is None:
        return text
    return _NEEDS_FOLD.sub(_fold_match, text)


def fold_char(ch: str) -> str:
    """fold_width for one character."""
    return _FOLD_CHAR.get(ch, ch)


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100}


def cn_to_int(text: str) -> int | None:
    """'十二' → 12, '一百零三' → 103; None for anything that is not a plain numeral."""
    if not text:
        return None
    total, digit, last_unit = 0, None, 1000
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0:
                return None  # two digits in a row: 一一 is not a number
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit >= last_unit:
                return None
            total += (digit if digit else 1) * unit
            digit, last_unit = None, unit
        else:
            return None
    return total + (digit or 0)


_CIRCLED_RANGES = (
    (0x2460, 0x2473, 1),   # ① .. ⑳
    (0x3251, 0x325F, 21),  # ㉑ .. ㉟
    (0x32B1, 0x32BF, 36),  # ㊱ .. ㊿
    (0x2776, 0x277F, 1),   # ❶ .. ❿
    (0x2780, 0x2789, 1),   # ➀ .. ➉
    (0x278A, 0x2793, 1),   # ➊ .. ➓
)
_PAREN_DIGITS = (0x2474, 0x2487)  # ⑴ .. ⒇
_ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"


def circled_value(ch: str) -> int | None:
    code = ord(ch)
    for first, last, base in _CIRCLED_RANGES:
        if first <= code <= last:
            return code - first + base
    return None


def _circled_class() -> str:
    return "".join(f"{chr(a)}-{chr(b)}" for a, b, _ in _CIRCLED_RANGES)


#: style key → kind of numeral; styles of one kind may stand in for each other
#: when a document switches style in the middle of a list (1、 … 3. …).
STYLE_KIND = {
    "di_part": "di_part", "di_volume": "di_volume", "di_chapter": "di_chapter",
    "di_section": "di_section", "di_article": "di_article",
    "cn_paren": "cn", "cn_dun": "cn", "cn_dot": "cn",
    "arabic_paren": "arabic", "arabic_dun": "arabic", "arabic_dot": "arabic",
    "arabic_rparen": "arabic", "arabic_space": "arabic",
    "circled": "circled", "roman": "roman",
    # 1.2 and 1.2.1: each depth is a level of its own
    "decimal2": "decimal2", "decimal3": "decimal3", "decimal4": "decimal4",
    # A. B. / a) b) / (a) (b): letters, a level of their own in each case
    "latin_upper": "latin_upper", "latin_upper_rparen": "latin_upper", "latin_upper_paren": "latin_upper",
    "latin_lower": "latin_lower", "latin_lower_rparen": "latin_lower", "latin_lower_paren": "latin_lower",
    "inline_shi": "inline", "inline_di": "inline", "inline_paren": "inline", "inline_circled": "inline",
    "table_row": "row",
}

#: styles so explicit (第三条) that any value is believable at the start of a line
STRONG_STYLES = frozenset({"di_part", "di_volume", "di_chapter", "di_section", "di_article"})

_DI_UNITS = {"部分": "di_part", "编": "di_volume", "章": "di_chapter", "节": "di_section",
             "条": "di_article"}

_CN_NUM = "[一二三四五六七八九十][一二三四五六七八九十百零〇]{0,3}"
#: what follows a decimal quantity, not a number like 1.2 (1.5万件, 2.3%, 0.5亿元, 1.2 公里); only
#: units that begin no common heading, since 1.1台账管理, 1.2人才队伍 and 1.3项目管理 are numbers
#: (the parser weighs the rest: a decimal must fit its parent and its siblings exactly)
_QUANTITY_UNITS = ("%|‰|万|亿|千|元|倍|吨|亩|公里|千米|平方米|平方公里|立方米|公顷|公斤|千克|千瓦|兆瓦|小时|分钟"
                   "|个百分点|百分点|个月|个工作日|人次|km|kg|m²")
#: what follows a letter that classifies (A类, B级, C档), not a letter that numbers
_LETTER_CLASS = "类级档型等"

# Applied with .match() to width-folded text, at the start of a line or of a
# candidate position inside one.
_LEADING = lazy(
    rf"""
    (?P<di>第[ ]?(?P<di_num>{_CN_NUM}|\d{{1,3}})[ ]?(?P<di_unit>部分|编|章|节|条))
    (?P<di_tail>[ ]*[、.:,]?)
  | (?P<paren>\([ ]?(?P<paren_num>{_CN_NUM}|\d{{1,3}})[ ]?\))(?P<paren_tail>[ ]*[、.:,]?)
  | (?P<pdig>[{chr(_PAREN_DIGITS[0])}-{chr(_PAREN_DIGITS[1])}])(?P<pdig_tail>[ ]*[、.:,]?)
  | (?P<circ>[{_circled_class()}])(?P<circ_tail>[ ]*[、.:,]?)
  | (?P<roman>[{_ROMAN}])(?P<roman_tail>[ ]*[、.])
  | (?P<cn>{_CN_NUM})[ ]?(?P<cn_delim>、|\.(?![\d.]))
  | (?P<dec>\d{{1,2}}(?:\.\d{{1,2}}){{1,3}})(?!\d|\.\d|[ ]?(?:{_QUANTITY_UNITS}))(?P<dec_tail>[ ]*[、.:,]?)
  | (?P<ar>\d{{1,3}})[ ]?(?P<ar_delim>、|\.(?![\d.])|\))
  | \([ ]?(?P<lp>[A-Za-z])[ ]?\)(?P<lp_tail>[ ]*(?![A-Za-z{_LETTER_CLASS}]))
  | (?P<lt>[A-Za-z])(?P<lt_delim>、|\.|\))(?![A-Za-z0-9.{_LETTER_CLASS}])
    """,
    re.X,
)
_START_CHARS = frozenset(
    "0123456789０１２３４５６７８９第(（一二三四五六七八九十" + _ROMAN
    + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    + "".join(chr(c) for c in range(0xFF21, 0xFF3B)) + "".join(chr(c) for c in range(0xFF41, 0xFF5B))
    + "".join(chr(c) for a, b, _ in _CIRCLED_RANGES for c in range(a, b + 1))
    + "".join(chr(c) for c in range(_PAREN_DIGITS[0], _PAREN_DIGITS[1] + 1))
)
_SPACES = lazy(r"[ \t\u3000]*")
_WINDOW = 24


@slotted(frozen=True)
class Marker:
    """A number token found in a line: ``text[start:end]`` is the token and its delimiter."""

    style: str
    number: str  # as written, without the trailing 、 . ： (brackets kept)
    value: int
    start: int
    end: int  # where the item's own text begins (after the delimiter and spaces)
    #: for a decimal number (1.2.1) the number of the item it belongs to ("1.2")
    parent: str = ""

    @property
    def kind(self) -> str:
        return STYLE_KIND.get(self.style, self.style)

    @property
    def strong(self) -> bool:
        return self.style in STRONG_STYLES


def _value(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return cn_to_int(token)


def match_marker(line: str, pos: int = 0) -> Marker | None:
    """The number token at ``pos`` of ``line`` (no spaces before it), or None.

    Only a short window is width-folded: a number token is never long, and
    folding whole lines would cost more than all the matching.
    """
    if pos >= len(line) or line[pos] not in _START_CHARS:
        return None
    window = fold_width(line[pos:pos + _WINDOW])
    m = _LEADING.match(window)
    if m is None:
        return None
    group = m.lastgroup
    if group is None:  # pragma: no cover - every branch ends in a named group
        return None
    if group == "di_tail":
        style = _DI_UNITS[m.group("di_unit")]
        value = _value(m.group("di_num"))
        number = line[pos + m.start("di"):pos + m.end("di")].replace(" ", "").replace("\u3000", "")
    elif group == "paren_tail":
        token = m.group("paren_num")
        style = "arabic_paren" if token.isdigit() else "cn_paren"
        value = _value(token)
        number = line[pos + m.start("paren"):pos + m.end("paren")].replace(" ", "").replace("\u3000", "")
    elif group == "pdig_tail":
        style = "arabic_paren"
        value = ord(m.group("pdig")) - _PAREN_DIGITS[0] + 1
        number = m.group("pdig")
    elif group == "circ_tail":
        style = "circled"
        value = circled_value(m.group("circ"))
        number = m.group("circ")
    elif group == "roman_tail":
        style = "roman"
        value = _ROMAN.index(m.group("roman")) + 1
        number = m.group("roman")
    elif group in ("lp_tail", "lt_delim"):
        letter = m.group("lp") or m.group("lt")
        case = "upper" if letter.isupper() else "lower"
        if group == "lp_tail":
            style = f"latin_{case}_paren"
            number = line[pos:pos + m.end("lp") + 1].replace(" ", "").replace("\u3000", "")
        else:
            delim = m.group("lt_delim")
            style = f"latin_{case}_rparen" if delim == ")" else f"latin_{case}"
            number = line[pos:pos + m.end("lt_delim" if delim == ")" else "lt")]
        value = ord(letter.upper()) - ord("A") + 1
    elif group == "dec_tail":
        parts = m.group("dec").split(".")
        style = f"decimal{len(parts)}"
        value = int(parts[-1])
        number = line[pos + m.start("dec"):pos + m.end("dec")]
        parent = ".".join(parts[:-1])
        if not value:
            return None
        end = _SPACES.match(line, pos + m.end()).end()
        return Marker(style=style, number=number, value=value, start=pos, end=end, parent=parent)
    elif group == "cn_delim":
        style = "cn_dun" if m.group("cn_delim") == "、" else "cn_dot"
        value = _value(m.group("cn"))
        number = line[pos + m.start("cn"):pos + m.end("cn")]
    else:  # ar_delim
        delim = m.group("ar_delim")
        style = {"、": "arabic_dun", ".": "arabic_dot", ")": "arabic_rparen"}[delim]
        value = _value(m.group("ar"))
        # 1) keeps its bracket, like (1); 1、 and 1. drop the delimiter
        number = line[pos + m.start("ar"):pos + m.end("ar_delim" if delim == ")" else "ar")]
    if not value:
        return None
    end = _SPACES.match(line, pos + m.end()).end()
    return Marker(style=style, number=number, value=value, start=pos, end=end)


def render(style: str, value: int) -> str:
    """The marker a style writes for ``value`` (used by tests and examples)."""
    cn = int_to_cn(value)
    return {
        "di_part": f"第{cn}部分 ", "di_volume": f"第{cn}编 ", "di_chapter": f"第{cn}章 ",
        "di_section": f"第{cn}节 ", "di_article": f"第{cn}条 ",
        "cn_paren": f"（{cn}）", "cn_dun": f"{cn}、", "cn_dot": f"{cn}．",
        "arabic_paren": f"（{value}）", "arabic_dun": f"{value}、", "arabic_dot": f"{value}.",
        "arabic_rparen": f"{value}）",
        "circled": chr(0x2460 + value - 1) if value <= 20 else f"{value}、",
        "decimal2": f"1.{value} ", "decimal3": f"1.1.{value} ", "decimal4": f"1.1.1.{value} ",
        "latin_upper": f"{chr(64 + value)}.", "latin_upper_rparen": f"{chr(64 + value)}）",
        "latin_upper_paren": f"（{chr(64 + value)}）", "latin_lower": f"{chr(96 + value)}.",
        "latin_lower_rparen": f"{chr(96 + value)}）", "latin_lower_paren": f"（{chr(96 + value)}）",
        "roman": f"{_ROMAN[value - 1]}、" if value <= len(_ROMAN) else f"{value}、",
    }[style]


def int_to_cn(value: int) -> str:
    """12 → '十二', 103 → '一百零三' (for values below 1000)."""
    digits = "零一二三四五六七八九"
    if value < 10:
        return digits[value]
    if value < 20:
        return "十" + (digits[value - 10] if value > 10 else "")
    if value < 100:
        tens, ones = divmod(value, 10)
        return digits[tens] + "十" + (digits[ones] if ones else "")
    hundreds, rest = divmod(value, 100)
    if rest == 0:
        return digits[hundreds] + "百"
    if rest < 10:
        return digits[hundreds] + "百零" + digits[rest]
    tail = int_to_cn(rest)
    return digits[hundreds] + "百" + ("一" + tail if rest < 20 else tail)


# Inline enumerations inside a paragraph: 一是……二是……, 第一，……第二，……, ……：（1）……；（2）……
# Only after punctuation or at the start of a paragraph, so 统一是 / 全省第一 / 第三条(1)款 are not taken.
_INLINE = lazy(
    r"(?P<shi>[一二三四五六七八九十]{1,3})是|第(?P<di>[一二三四五六七八九十]{1,3})(?=[,:、，：])"
    r"|[(（][ ]?(?P<paren>\d{1,2})[ ]?[)）]"
    rf"|(?P<circ>[{chr(0x2460)}-{chr(0x2473)}])"
)
_INLINE_AFTER = frozenset("。;,:!?、)”；，：！？）\n \u3000")
_INLINE_SKIP = lazy(r"[ ,:、，：\u3000]*")
_INLINE_HINTS = ("是", "第", "(", "（") + tuple(chr(c) for c in range(0x2460, 0x2474))
_INLINE_HINT_RE = lazy("[" + "".join(re.escape(h) for h in _INLINE_HINTS) + "]")


@slotted(frozen=True)
class InlineMarker:
    style: str  # inline_shi, inline_di, inline_paren or inline_circled
    number: str  # 一是 / 第一 / （1） / ①, as written
    value: int
    start: int
    end: int  # where its text begins


def find_inline(text: str) -> list[InlineMarker]:
    """The enumeration chains of a paragraph (each starts at 1 and counts up by one).

    A lone 一是 or （1） is not an enumeration; chains of fewer than two members are dropped.
    """
    chains: list[list[InlineMarker]] = []
    open_chain: dict[str, list[InlineMarker]] = {}
    if _INLINE_HINT_RE.search(text) is None:
        return []
    for m in _INLINE.finditer(text):
        if m.start() and text[m.start() - 1] not in _INLINE_AFTER:
            continue
        if m.group("shi") is not None:
            style, value = "inline_shi", cn_to_int(m.group("shi"))
        elif m.group("di") is not None:
            style, value = "inline_di", cn_to_int(m.group("di"))
        elif m.group("paren") is not None:
            style, value = "inline_paren", int(m.group("paren"))
        else:
            style, value = "inline_circled", circled_value(m.group("circ"))
        if not value:
            continue
        chain = open_chain.get(style)
        if value == 1:
            chain = []
            chains.append(chain)
            open_chain[style] = chain
        elif chain is None or chain[-1].value + 1 != value:
            continue
        end = _INLINE_SKIP.match(text, m.end()).end()
        chain.append(InlineMarker(style, text[m.start():m.end()], value, m.start(), end))
    found = [marker for chain in chains if len(chain) >= 2 for marker in chain]
    found.sort(key=lambda marker: marker.start)
    return found


def _may_contain(line: str, style: str, value: int, start: int) -> bool:
    """A cheap test before the scan: is the number's own digit or numeral in the line at all?"""
    if style == "circled":
        return value <= 20 and chr(0x2460 + value - 1) in line
    if style.startswith("latin"):
        return value <= 26 and (chr(64 + value) in line or chr(96 + value) in line
                                or chr(0xFF20 + value) in line or chr(0xFF40 + value) in line)
    if style.startswith(("arabic", "decimal")):
        digits = str(value)
        return digits in line or digits.translate(_FULL_DIGITS) in line or (
            value <= 20 and chr(_PAREN_DIGITS[0] + value - 1) in line)
    if style == "roman":
        return value <= len(_ROMAN) and _ROMAN[value - 1] in line
    return int_to_cn(value) in line


_FULL_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


# Where a second item may begin inside a line: after a sentence end or a space.
_SPLIT_POINT = lazy(r"[。;!?！？；]\s*|\s+")
_SENTENCE_END = lazy(r"[。;!?！？；]")
_WORDS = lazy(r"[\u4e00-\u9fff]*")


def find_next_in_line(line: str, style: str, value: int, start: int = 0, parent: str = "") -> Marker | None:
    """The first marker of ``style`` numbered ``value`` inside ``line`` after ``start``.

    Used for two items written on one line ("③……； ④……"): only the expected next
    number of the item being read counts, and only after a sentence end or a space.
    A decimal number (1.2) needs a sentence end before it and the same ``parent``:
    "全长 1.2 公里" is a length, not the next item.
    """
    if not _may_contain(line, style, value, start):
        return None
    decimal = style.startswith("decimal")
    for point in _SPLIT_POINT.finditer(line, start):
        pos = point.end()
        if pos >= len(line):
            break
        marker = match_marker(line, pos)
        if marker is None or marker.style != style or marker.value != value or marker.parent != parent:
            continue
        if decimal and not _SENTENCE_END.match(point.group()) and len(_WORDS.match(line, marker.end).group()) < 3:
            continue  # after a plain space, "1.2 完善工作机制" is an item, "2.2 个。" a figure
        return marker
    return None
