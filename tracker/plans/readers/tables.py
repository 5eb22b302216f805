"""Task-breakdown tables (重点工作任务分解表, 责任清单): one reader that every format feeds.

A table arrives as a grid of ``(identity, text)`` cells, one list per table row; a merged cell
repeats its identity across the cells it spans. Word, Excel, CSV, Markdown and every shape of
table flattened into text (see :mod:`.flat`) are turned into such a grid first, so the rules
below are the same whatever the source:

- the header is recognised by an open vocabulary (序号, 重点任务/工作内容/民生实事, 牵头单位,
  配合单位, 责任领导, 完成时限 …), or, where it is missing or unfamiliar, each column's role is
  inferred from what its cells hold (row numbers, unit names, date phrases, person names, long text);
- a row becomes one block whose ``row`` holds the row's number, its task text and its other cells
  as suggestions; section rows (一、…) become items of their own that the rows nest under;
- a task whose cells repeat on every row of its measures (filled down) is read once, with the
  measures under it; numbered sub-rows become children, unnumbered continuation rows are added
  to the row above.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from ..metadata import looks_like_deadline, strong_unit, unit_like
from ..numbering import cn_to_int, fold_width, match_marker
from ..patterns import lazy
from ..slotted import factory, slotted
from .blocks import Block

TYPE_CHECKING = False  # not typing's: the CLI's start is mostly imports
if TYPE_CHECKING:
    from typing import Any

#: a table's header row is one of its first rows (titles may stand above it)
HEADER_SEARCH_ROWS = 10

Grid = list[list[tuple[object, str]]]

# ---------------------------------------------------------------------------
# the header's vocabulary

NUMBER = "number"
TEXT = "text"
LEAD = "lead_units"
UNITS = "units"
SUPPORT = "support_units"
LEADERS = "leaders"
OWNERS = "owners"
DEADLINE = "deadline_text"
PERIOD = "period_text"
WHEN = "when"  # a time of day or a date that is not a deadline (时间 6点50分)
NOTE = "note"  # description, remarks, progress: kept as the item's body
UNIT_ROLES = (LEAD, UNITS, SUPPORT)
PEOPLE_ROLES = (LEADERS, OWNERS)

_NUMBER_NAMES = frozenset({"序号", "编号", "序", "号", "no", "no.", "项次", "序列", "排序", "顺序"})
# checked in order: the first pattern that a header contains names its role
_ROLE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (NOTE, lazy("备注|说明|进展|进度情况|完成情况|存在问题|问题|打算|评价|得分|分值|考核|本月|下月|佐证|成效|"
                      "落实情况|办理情况|推进情况")),
    (LEADERS, lazy("领导|分管|包保|包联|挂帅|联系县|负责同志")),
    (OWNERS, lazy("责任人|联系人|经办人|负责人|填报人|联络员|具体负责")),
    (PERIOD, lazy("周期|频次|频率|报送时间|报送要求")),
    (DEADLINE, lazy("时限|期限|截止|节点|完成时间|办结时间|完成日期|进度安排|时间安排|时间要求|完成年限|"
                          "计划完成|完成时间|进度要求|时间进度")),
    (LEAD, lazy("牵头|主责|主办")),
    (SUPPORT, lazy("配合|协办|协助|参与|协同")),
    (UNITS, lazy("单位|部门|主体|处室|科室|承办|责任方|实施方|责任科|责任处|县区|乡镇|街道|责任主体")),
    (WHEN, lazy("^(?:时间|日期|时段|时间段|月份|年度)$")),
)
# the task column, most specific first: when a table has several, the others are sections or notes
TASK_WORDS = (
    "具体措施", "工作措施", "主要措施", "推进措施", "具体任务", "任务内容", "工作内容", "具体工作",
    "工作任务", "主要任务", "重点任务", "目标任务", "主要目标任务", "民生实事", "实事项目", "项目名称",
    "任务名称", "工作事项", "任务事项", "工作要点", "重点工作", "工作目标", "主要内容", "建设内容",
    "项目内容", "工作举措", "具体举措", "举措", "内容", "项目", "要点", "事项", "任务", "措施", "工作",
    "目标", "要求",
)
_NOTE_LIKE_TASKS = ("要求", "目标")  # a task column only when no better one exists
_HEADER_SPACE_RE = lazy(r"[\s\u3000*＊:：]+")
HEADER_MAX = 16


@functools.lru_cache(maxsize=4096)
def header_role(cell: str) -> tuple[str, int] | None:
    """The role a header cell names, with a rank for task columns (lower is more specific)."""
    name = _HEADER_SPACE_RE.sub("", cell or "")
    if not name or len(name) > HEADER_MAX:
        return None
    if name.lower() in _NUMBER_NAMES:
        return NUMBER, 0
    for role, pattern in _ROLE_PATTERNS:
        if pattern.search(name):
            return role, 0
    for rank, word in enumerate(TASK_WORDS):
        if name == word:
            return TEXT, rank
    for rank, word in enumerate(TASK_WORDS):
        if word in name:
            return TEXT, rank + len(TASK_WORDS)
    return None


@slotted
class Columns:
    """What each column of a table holds."""

    roles: dict[int, str]
    #: task-like columns, best first (the first one is the task unless the rows say otherwise)
    text: list[int]
    #: the header was recognised by its words (not inferred from the cells)
    named: bool = True

    def first(self, role: str) -> int | None:
        for col, found in sorted(self.roles.items()):
            if found == role:
                return col
        return None


def header_columns(cells: Sequence[str]) -> Columns | None:
    """Column roles if this row is a task-table header: a task column and one more known column."""
    roles: dict[int, str] = {}
    task: list[tuple[int, int]] = []
    seen: set[str] = set()
    known = 0
    for index, cell in enumerate(cells):
        cell = (cell or "").strip()
        if not cell or cell in seen:
            continue  # horizontally merged header cells repeat
        seen.add(cell)
        found = header_role(cell)
        if found is None:
            if len(cell) > HEADER_MAX or re.search(r"[。；;，,]", cell):
                return None  # a sentence: a data row, not a header
            continue
        role, rank = found
        known += 1
        if role == TEXT:
            if any(word == _HEADER_SPACE_RE.sub("", cell) for word in _NOTE_LIKE_TASKS):
                rank += 2 * len(TASK_WORDS)
            task.append((rank, index))
        roles.setdefault(index, role)
    if not task or known < 2:
        return None
    if not any(role in (NUMBER, *UNIT_ROLES, DEADLINE, *PEOPLE_ROLES) for role in roles.values()) and len(task) < 2:
        return None
    task.sort()
    return Columns(roles=roles, text=[index for _, index in task])


# ---------------------------------------------------------------------------
# what a cell holds

_ROW_NUMBER_RE = lazy(r"^(?:\d{1,5}|[一二三四五六七八九十]{1,3})[、.．]?$")
# a time of day or a date: what is left after taking these out is at most a word or two
_TIME_TOKEN_RE = lazy(
    r"[上下中早晚]午|全天|晚上|早上|凌晨|每[天日周月]|周[一二三四五六日末]|星期[一二三四五六日天]|"
    r"\d{1,4}\s*(?:[点:：时月年日号.\-/]\s*)?\d{0,2}\s*分?|[-—–~～至到、，,\s]|前|后|左右|以前|以后|之前|开始|截止"
)
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文"
    "牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲"
    "翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫"
    "米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝芮"
)
_PERSON_SPLIT_RE = lazy(r"[、，,；;/／\n\s]+")
_TITLE_SUFFIX_RE = lazy(r"(?:同志|书记|主任|局长|县长|区长|市长|部长|经理|总监|校长|院长|组长|副.{1,3})$")


def is_row_number(text: str) -> bool:
    return bool(_ROW_NUMBER_RE.match(fold_width(text.strip())))


def row_number_value(text: str) -> int | None:
    folded = fold_width(text.strip()).rstrip("、.．").strip("()（）")
    if folded.isdigit():
        return int(folded)
    return cn_to_int(folded)


@functools.lru_cache(maxsize=4096)
def looks_like_time(text: str) -> bool:
    text = fold_width(text.strip())
    if not text or len(text) > 40 or not re.search(r"\d|午|全天|晚上|早上|凌晨|每[天日]|周|星期", text):
        return False
    return len(_TIME_TOKEN_RE.sub("", text)) <= 1


@functools.lru_cache(maxsize=4096)
def looks_like_people(text: str) -> bool:
    """2–4 character names led by a common surname (夏晓峰、曹勇奇), optionally with a title."""
    parts = [p for p in _PERSON_SPLIT_RE.split(text.strip()) if p]
    if not parts or len(parts) > 8:
        return False
    for part in parts:
        part = _TITLE_SUFFIX_RE.sub("", part)
        if not (2 <= len(part) <= 4 and part[0] in _SURNAMES and all("\u4e00" <= ch <= "\u9fff" for ch in part)):
            return False
        if unit_like(part):
            return False
    return True


_SENTENCE_VERB_RE = lazy(r"建设|建成|新建|迁建|改造|启动|开工|开展|推进|完成|实施|提升|加强|增加|促进|"
                               r"优化|保障|提供|组织|举办|打造|\d+[个座所户家条项名人]")


@functools.lru_cache(maxsize=4096)
def looks_like_units(text: str) -> bool:
    """A unit cell: names of organisations, perhaps with their roles (教学处牵头，年段落实).

    A sentence (it ends with 。, or does something: 建成县残疾人综合服务中心) is not one.
    """
    text = text.strip()
    if not text or len(text) > 120 or text.endswith(("。", "！", "？")):
        return False
    if _SENTENCE_VERB_RE.search(text) and not re.search("牵头|配合|负责|协办|落实", text):
        return False
    return unit_share(text) >= 0.6


def unit_share(text: str, names: list[tuple[str, str | None]] | None = None) -> float:
    """The share of a cell's names that end as an organisation's (局, 处, 中心 …): 离校 is no unit."""
    names = split_units(text) if names is None else names
    if not names:
        return 0.0
    strong = [strong_unit(name) or name.startswith("各") for name, _ in names]
    # a weaker name (年段) counts beside a sure one (体育组、年段) or with a role word (年段落实)
    return sum(1 for (name, hint), sure in zip(names, strong, strict=True)
               if sure or (unit_like(name) and (hint or any(strong)))) / len(names)


# ---------------------------------------------------------------------------
# unit cells

_ROLE_BY_WORD = {
    "牵头": LEAD, "负责": LEAD, "主责": LEAD, "主办": LEAD, "牵头单位": LEAD, "主责单位": LEAD, "牵头部门": LEAD,
    "责任单位": UNITS, "责任部门": UNITS, "承办单位": UNITS,
    "配合": SUPPORT, "协办": SUPPORT, "协助": SUPPORT, "协同": SUPPORT, "参与": SUPPORT,
    "配合单位": SUPPORT, "配合部门": SUPPORT, "协办单位": SUPPORT,
}
_CELL_LABEL_RE = lazy(
    r"^(牵头单位|牵头部门|主责单位|责任单位|责任部门|承办单位|配合单位|配合部门|协办单位|牵头|配合|协办)[：:]")
# a role prefix that is not a unit role (老师：党政办；学生：德育处): the names after it count
_OTHER_LABEL_RE = lazy(r"^[\u4e00-\u9fff]{1,6}[：:]")
_MARKED_RE = lazy(r"^(?P<name>.+?)[（(]\s*(?P<word>牵头|负责|主责|配合|协办|协助)\s*[)）]$")
# 教学处牵头 / 年段落实 / 体育组整体负责 / 各年段负责年段学生: the name, then what it does
_VERB_TAIL_RE = lazy(
    r"^(?P<name>.+?)(?:整体|具体|共同|分别|负责)?(?P<word>牵头|负责|主责|配合|协办|协助|落实|实施|参与|抓落实|督促)"
    r"(?P<rest>.*)$")
_PART_SPLIT_RE = lazy(r"[；;\n]+")
_NAME_SPLIT_RE = lazy(r"[、，,/／\t]+|\s+")
_EMPTY_NAMES = frozenset({"无", "—", "-", "/", "／", "——", "暂无", "待定"})


def _split_outside_brackets(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Split on ``pattern`` except inside brackets: 各县(市、区)政府 stays one name."""
    if not any(ch in text for ch in "（(〔[【"):
        return pattern.split(text)
    out: list[str] = []
    depth = 0
    start = 0
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch in "（(〔[【":
            depth += 1
        elif ch in "）)〕]】":
            depth = max(0, depth - 1)
        elif depth == 0:
            m = pattern.match(text, pos)
            if m and m.end() > pos:
                out.append(text[start:pos])
                start = pos = m.end()
                continue
        pos += 1
    out.append(text[start:])
    return out


def split_units(cell: str) -> list[tuple[str, str | None]]:
    """Split a unit cell into names, each with the role the cell marks (X（牵头）, 配合：Y, X牵头).

    A line break inside one name (农产品流通工作⏎专班) is joined back: a piece that is no name
    on its own but completes the one before it.
    """
    return list(_split_units(cell)) if cell else []


@functools.lru_cache(maxsize=4096)
def _split_units(cell: str) -> tuple[tuple[str, str | None], ...]:
    """The names of a unit cell; unit cells repeat down a table (各部门), so each is read once."""
    out: list[tuple[str, str | None]] = []
    current: str | None = None
    pieces = _join_wrapped_names([p.strip() for p in _split_outside_brackets(cell, _PART_SPLIT_RE)])
    for part in pieces:
        part = part.strip()
        label = _CELL_LABEL_RE.match(part)
        if label:
            current = _ROLE_BY_WORD[label.group(1)]
            part = part[label.end():]
        else:
            other = _OTHER_LABEL_RE.match(part)
            if other and not unit_like(other.group()[:-1]):
                part = part[other.end():]
        for name in _split_outside_brackets(part, _NAME_SPLIT_RE):
            name = name.strip(" 。.：:")
            if not name:
                continue
            hint = current
            marked = _MARKED_RE.match(name)
            if marked:
                name, hint = marked.group("name").strip(), _ROLE_BY_WORD[marked.group("word")]
            else:
                verb = _VERB_TAIL_RE.match(name)
                if verb and unit_like(verb.group("name")):
                    name = verb.group("name")
                    word = verb.group("word")
                    hint = _ROLE_BY_WORD.get(word, UNITS) if word in ("牵头", "主责", "配合", "协办", "协助") else (
                        hint or UNITS)
            if name.endswith("等") and len(name) > 2:
                name = name[:-1]
            if name and name not in _EMPTY_NAMES and all(name != seen for seen, _ in out):
                out.append((name, hint))
    return tuple(out)


def _join_wrapped_names(pieces: list[str]) -> list[str]:
    """农产品流通工作⏎专班, “十五五”规划编制⏎领导小组办公室: a first piece that is no name on its own
    and makes one with the next is one name wrapped over two lines."""
    out: list[str] = []
    for piece in pieces:
        joined = out[-1] + piece if out else ""
        if out and piece and not unit_like(out[-1]) and unit_like(joined) and len(joined) <= 24 \
                and (len(out[-1]) >= 4 or not unit_like(piece)) and not re.search(r"[、，,：:]", joined):
            out[-1] = joined
        else:
            out.append(piece)
    return out


# ---------------------------------------------------------------------------
# columns inferred from their cells


def infer_columns(rows: Sequence[Sequence[str]]) -> Columns | None:
    """Column roles for a table without a header, from what most of each column's cells hold.

    Rows with one value (a title, a section row merged across the table) say nothing of the columns.
    """
    rows = [row for row in rows if len({cell.strip() for cell in row if cell.strip()}) >= 2]
    width = max((len(row) for row in rows), default=0)
    if width < 2 or len(rows) < 2:
        return None
    roles: dict[int, str] = {}
    lengths: dict[int, float] = {}
    for col in range(width):
        cells = [row[col].strip() for row in rows if col < len(row) and row[col].strip()]
        if not cells:
            continue
        share = 0.6 * len(cells)
        lengths[col] = sum(len(c) for c in cells) / len(cells)
        if col == 0 and sum(is_row_number(c) for c in cells) >= share:
            roles[col] = NUMBER
        elif sum(looks_like_deadline(c) for c in cells) >= share and lengths[col] <= 20:
            roles[col] = DEADLINE
        elif sum(looks_like_people(c) for c in cells) >= share:
            roles[col] = LEADERS
        elif sum(looks_like_units(c) for c in cells) >= share:
            roles[col] = UNITS
        elif sum(looks_like_time(c) for c in cells) >= share and lengths[col] <= 20:
            roles[col] = WHEN
    candidates = sorted((col for col in lengths if col not in roles), key=lambda col: -lengths[col])
    if not candidates:
        return None
    text_col = candidates[0]
    if lengths[text_col] < 4:
        return None
    if not any(role in (NUMBER, *UNIT_ROLES, DEADLINE, LEADERS) for role in roles.values()):
        return None
    roles[text_col] = TEXT
    for col in candidates[1:]:
        roles[col] = NOTE
    unit_cols = [col for col, role in sorted(roles.items()) if role == UNITS]
    if len(unit_cols) == 2:  # two unit columns side by side: 牵头 then 配合
        roles[unit_cols[0]], roles[unit_cols[1]] = LEAD, SUPPORT
    return Columns(roles=roles, text=[text_col], named=False)


# ---------------------------------------------------------------------------
# rows


@slotted
class Record:
    """One item read from a table: a task row, a section row or a sub-row."""

    number: str
    text: str
    lead_units: list[str] = factory(list)
    units: list[str] = factory(list)
    support_units: list[str] = factory(list)
    leaders: list[str] = factory(list)
    owners: list[str] = factory(list)
    deadline_text: str | None = None
    period_text: str | None = None
    notes: list[str] = factory(list)
    sub: bool = False  # a measure under the task of the row above
    section: bool = False
    title: bool = False  # the table's caption
    confidence: float = 1.0
    doubtful: list[str] = factory(list)
    line: int | None = None  # the source line (text shapes)
    last_line: int | None = None

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "number": self.number, "text": self.text, "lead_units": self.lead_units, "units": self.units,
            "support_units": self.support_units, "leaders": self.leaders, "owners": self.owners,
            "deadline_text": self.deadline_text, "period_text": self.period_text,
            "body": "\n".join(n for n in self.notes if n),
        }
        if self.sub:
            row["sub"] = True
        if self.section:
            row["section"] = True
        if self.confidence < 1.0:
            row["confidence"] = round(self.confidence, 2)
        if self.doubtful:
            row["doubtful"] = list(dict.fromkeys(self.doubtful))
        if self.last_line is not None:
            row["last_line"] = self.last_line
        return row


@slotted
class _Group:
    """The rows of one numbered table row: the row itself, its filled-down copies and sub-rows."""

    number: str
    rows: list[list[str]]
    lines: list[int | None]


_LEADING_MARKER_RE = lazy(r"^\s*(?P<num>\d{1,2}|[一二三四五六七八九十]{1,3})\s*[.．、]\s*(?=\D|\d{4})|"
                                r"^\s*[（(]\s*(?P<par>\d{1,2}|[一二三四五六七八九十]{1,3})\s*[)）]\s*")


def leading_marker(text: str) -> tuple[str, int, str] | None:
    """(number, value, rest) for a cell that starts with its own number: "1.及时下达…", "7.2026年…"."""
    m = _LEADING_MARKER_RE.match(text)
    if not m:
        return None
    token = m.group("num") or m.group("par")
    value = int(token) if token.isdigit() else cn_to_int(token)
    if not value:
        return None
    rest = text[m.end():].strip()
    if not rest:
        return None
    number = token if m.group("num") else text[:m.end()].strip()
    return number, value, rest


def grid_records(grid: Grid, columns: Columns, *, lines: Sequence[int | None] | None = None,
                 header_texts: Sequence[str] | None = None) -> list[Record]:
    """The items of a table body: grouped by row number, sections and sub-rows resolved."""
    number_col = columns.first(NUMBER)
    groups: list[_Group] = []
    sections: list[tuple[int, Record]] = []  # (index in groups where it stands, record)
    header_texts = [t.strip() for t in header_texts] if header_texts else None
    for r, row in enumerate(grid):
        texts = [text.strip() for _, text in row]
        line = lines[r] if lines is not None and r < len(lines) else None
        if not any(texts):
            continue
        if header_texts is not None and texts[:len(header_texts)] == header_texts[:len(texts)]:
            continue  # the header again after a page break
        if header_texts is None and columns.named and not is_row_number(texts[0]) \
                and header_columns(texts) is not None:
            continue
        distinct = _distinct(row)
        number = texts[number_col] if number_col is not None and number_col < len(texts) else ""
        if len(distinct) == 1 and _is_title_row(row, columns):
            sections.append((len(groups), _section_record(distinct[0], line)))
            continue
        if number and not is_row_number(number) and not match_marker(number):
            # the 序号 column holds words: a continuation that lost its empty first cell, or a section
            if groups and sum(1 for t in texts if t) == 1:
                groups[-1].rows.append([""] * len(texts))
                groups[-1].rows[-1][_task_col(columns)] = number
                groups[-1].lines.append(line)
                continue
            number = ""
        if number and groups and groups[-1].number == number and not _section_since(sections, len(groups)):
            groups[-1].rows.append(texts)  # filled down: the same task, another measure
            groups[-1].lines.append(line)
            continue
        if not number and groups:
            groups[-1].rows.append(texts)
            groups[-1].lines.append(line)
            continue
        groups.append(_Group(number, [texts], [line]))
    task_col, measure_col, category_cols = _choose_columns(groups, columns)
    out: list[Record] = []
    last_category: dict[int, str] = {}
    section_at = 0
    for g, group in enumerate(groups):
        while section_at < len(sections) and sections[section_at][0] <= g:
            out.append(sections[section_at][1])
            last_category.clear()
            section_at += 1
        for col in category_cols:
            value = _cell(group.rows[0], col)
            if value and value != last_category.get(col):
                out.append(_section_record(value, group.lines[0]))
                last_category[col] = value
        out.extend(_group_records(group, columns, task_col, measure_col, category_cols))
    out.extend(record for _, record in sections[section_at:])
    return out


def _section_since(sections: list[tuple[int, Record]], index: int) -> bool:
    """A section row stands between the last group and this row: the same 序号 starts a new task."""
    return bool(sections) and sections[-1][0] == index


def _task_col(columns: Columns) -> int:
    return columns.text[0]


def _choose_columns(groups: list[_Group], columns: Columns) -> tuple[int, int | None, list[int]]:
    """The task column, the column of measures filled down beside it (if any), and category columns.

    A task cell is the same on every row of its group; a measure cell changes from row to row;
    a category (重点工作) is shared by several tasks in a row.
    """
    candidates = list(columns.text)
    multi = [g for g in groups if len(g.rows) > 1]

    def varies(col: int) -> bool:
        return any(len({_cell(row, col) for row in g.rows if _cell(row, col)}) > 1 for g in multi)

    def distinct_share(col: int) -> float:
        values = [_cell(g.rows[0], col) for g in groups if _cell(g.rows[0], col)]
        return len(set(values)) / len(groups) if groups else 0.0

    def filled(col: int) -> bool:
        return sum(1 for g in groups if _cell(g.rows[0], col)) >= 0.5 * len(groups)

    usable = [col for col in candidates if filled(col)] or candidates
    task = usable[0]
    measure = None
    numbered_groups = sum(1 for g in groups if g.number)
    if multi and numbered_groups >= 2:
        steady = [col for col in usable if not varies(col) and distinct_share(col) >= 0.5]
        moving = [col for col in usable if varies(col)]
        if steady and moving:
            task = steady[0]
            measure = moving[0]
    categories = []
    if len(groups) >= 2:
        for col in usable:
            if col in (task, measure) or col > task:
                continue
            if not varies(col) and _runs(groups, col):
                categories.append(col)
    return task, measure, categories


def _runs(groups: list[_Group], col: int) -> bool:
    """The same value on consecutive rows: a category spanning tasks, not a second task column."""
    values = [_cell(g.rows[0], col) for g in groups]
    return any(a and a == b for a, b in zip(values, values[1:], strict=False))


def _group_records(group: _Group, columns: Columns, task_col: int, measure_col: int | None,
                   category_cols: list[int]) -> list[Record]:
    first = group.rows[0]
    record = Record(number=group.number, text=_cell(first, task_col), line=group.lines[0])
    when = [col for col, role in columns.roles.items() if role == WHEN and col < task_col and _cell(first, col)]
    if when:
        # a schedule (时间 | 内容): the time is part of what the row asks, in the row's order
        record.text = " ".join([_cell(first, col) for col in sorted(when)] + ([record.text] if record.text else []))
    if not columns.named:
        record.confidence = 0.8
        record.doubtful.append("item")
    skip = {task_col, *category_cols}
    children: list[Record] = []
    # a column whose cells start with 1. 2. 3. down the group holds numbered sub-rows
    sub_col = measure_col
    if sub_col is None and len(group.rows) > 1:
        sub_col = _numbered_column(group, columns, task_col)
    if sub_col is not None:
        skip.add(sub_col)
    for k, row in enumerate(group.rows):
        target = record
        if sub_col is not None:
            value = _cell(row, sub_col)
            if value:
                marker = leading_marker(value)
                number, text = (marker[0], marker[2]) if marker else (str(len(children) + 1), value)
                child = Record(number=number, text=text, sub=True, line=group.lines[k])
                children.append(child)
            target = children[-1] if children else record
            if sub_col != measure_col:
                # cells right of a numbered sub-row belong to it; those left of it to the row
                _add_cells(record, row, columns, skip | set(range(sub_col, len(row))), first_row=k == 0)
                _add_cells(target, row, columns, skip | set(range(sub_col)), first_row=True)
                continue
            if k > 0:
                continue  # filled down: the task's own cells were read from its first row
            target = record
        elif k > 0:
            text = _cell(row, task_col)
            if text:
                record.notes.append(text)
        _add_cells(target, row, columns, skip, first_row=k == 0)
        if k and group.lines[k] is not None:
            record.last_line = group.lines[k]
    if not record.text and children and not record.number:
        return children
    return [record, *children]


def _numbered_column(group: _Group, columns: Columns, task_col: int) -> int | None:
    width = max(len(row) for row in group.rows)
    for col in range(width):
        role = columns.roles.get(col)
        if role not in (TEXT, NOTE) or col == task_col:
            continue
        values = [leading_marker(_cell(row, col)) for row in group.rows if _cell(row, col)]
        found = [v[1] for v in values if v]
        if len(found) >= 2 and found == list(range(1, len(found) + 1)) and len(found) == len(values):
            return col
    return None


def _add_cells(record: Record, row: list[str], columns: Columns, skip: set[int], *, first_row: bool) -> None:
    """Read a row's cells other than the task into the record's suggestions and notes."""
    for col, value in enumerate(row):
        value = value.strip()
        if not value or col in skip:
            continue
        role = columns.roles.get(col)
        if role == NUMBER:
            continue
        if role in UNIT_ROLES:
            names = split_units(value)
            if not names:
                continue
            if not all(unit_like(name) for name, _ in names):
                record.doubtful.append(role)
            for name, hint in names:
                target = hint or role
                if hint == UNITS and role != UNITS:
                    target = role  # 教学处负责 in a 牵头单位 column stays a lead
                bucket = getattr(record, target)
                if name not in record.lead_units + record.units + record.support_units:
                    bucket.append(name)
        elif role in PEOPLE_ROLES:
            for name in _PERSON_SPLIT_RE.split(value):
                name = name.strip()
                if name and name not in getattr(record, role):
                    getattr(record, role).append(name)
        elif role == DEADLINE:
            if record.deadline_text is None:
                record.deadline_text = value
            else:
                record.notes.append(value)
        elif role == PERIOD:
            record.period_text = record.period_text or value
        elif role == TEXT and not record.text and first_row:
            record.text = value
        elif role == WHEN and first_row and record.text.startswith(value):
            continue  # already in front of the text
        else:
            record.notes.append(value)


def _section_record(text: str, line: int | None) -> Record:
    """A row that names a part of the table (一、促进就业（3项）) rather than a task."""
    return Record(number="", text=text, section=True, line=line)


def _cell(row: Sequence[str], col: int | None) -> str:
    if col is None or col >= len(row):
        return ""
    return row[col].strip()


def _distinct(row: list[tuple[Any, str]]) -> list[str]:
    seen: set[Any] = set()
    out: list[str] = []
    for identity, text in row:
        if identity in seen or not text.strip():
            continue
        seen.add(identity)
        out.append(text.strip())
    return out


def _is_title_row(row: list[tuple[Any, str]], columns: Columns) -> bool:
    """A row with one value is a section title when it is merged across, or sits outside the task column.

    A lone value in the task column is a measure with nothing else filled in, unless it is
    numbered like a heading (一、促进就业).
    """
    filled = [index for index, (_, text) in enumerate(row) if text.strip()]
    if len(filled) > 1:
        return True
    if not filled:
        return False
    text = row[filled[0]][1].strip()
    if filled[0] == columns.first(NUMBER) and is_row_number(text):
        return False
    marker = match_marker(text)
    if marker is not None and (marker.kind == "cn" or marker.kind.startswith("di_")):
        return True
    return filled[0] not in columns.text


# ---------------------------------------------------------------------------
# records to blocks


def find_header(grid: Grid, search_rows: int = HEADER_SEARCH_ROWS) -> tuple[int, Columns] | None:
    for index, row in enumerate(grid[:search_rows]):
        columns = header_columns([text for _, text in row])
        if columns is not None:
            return index, columns
    return None


def table_rows_to_blocks(grid: Grid, search_rows: int = HEADER_SEARCH_ROWS, *,
                         infer: bool = True) -> list[Block] | None:
    """Blocks for a task table, or None when it is not one (no header and nothing to infer).

    The rows above the header (the table's title) come first as plain blocks.
    """
    found = find_header(grid, search_rows)
    blocks: list[Block] = []
    if found is not None:
        header_at, columns = found
        for row in grid[:header_at]:
            texts = _distinct(row)
            # a date cell near the title (印发日期：2026年3月5日, or a date beside it) is the plan's
            # date, a line of its own: neither part of the title nor a title itself
            dates = [d for d in (date_cell(t) for t in texts) if d]
            texts = [t for t in texts if not date_cell(t) and not _DATE_LABEL_RE.fullmatch(t)]
            if texts:
                blocks.append(Block(" ".join(texts), title=is_caption(" ".join(texts))))
            blocks.extend(Block(d) for d in dates)
        start = header_at + 1
        header_texts = [text for _, text in grid[header_at]]
        # a second header row (责任单位 split into 牵头单位 | 配合单位 under it)
        if start < len(grid):
            sub = [text.strip() for _, text in grid[start]]
            sub_roles = {i: header_role(t) for i, t in enumerate(sub) if t}
            if sub_roles and all(found_role is not None for found_role in sub_roles.values()) \
                    and not any(is_row_number(t) for t in sub if t):
                for i, role in sub_roles.items():
                    if role is None:
                        continue
                    if role[0] == TEXT:
                        if i not in columns.text:
                            columns.text.append(i)
                    else:
                        columns.roles[i] = role[0]
                start += 1
        body = grid[start:]
    else:
        if not infer:
            return None
        texts = [[text for _, text in row] for row in grid]
        columns = infer_columns(texts)
        if columns is None:
            return None
        header_texts = None
        body = grid
    records = grid_records(body, columns, header_texts=header_texts)
    if not records:
        return blocks or None
    blocks.extend(record_blocks(records))
    return blocks


#: a label that may stand before (or in the cell beside) the date of a table's title row
_DATE_LABEL_RE = lazy(r"(?:印发|发文|制表|填报|编制)?(?:日期|时间)[：:]?")
_DATE_CELL_RE = lazy(
    r"(?:(?:印发|发文|制表|填报|编制)?(?:日期|时间)\s*[：:]?\s*)?"
    r"(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})\s*日?")


def date_cell(text: str) -> str | None:
    """The date a cell of a title row holds, written as the parser reads dates (2026年3月5日); None
    for any other text."""
    match = _DATE_CELL_RE.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year}年{month}月{day}日"


_CAPTION_STOP_RE = lazy(r"[。；;！？!?]|^附件\s*\d*[：:]?$|^(?:单位|制表|填报)")


def is_caption(text: str) -> bool:
    """A line above a table that names it (2016年民生实事目标任务分解表), not a sentence or a page line."""
    text = text.strip()
    return 4 <= len(text) <= 60 and not _CAPTION_STOP_RE.search(text) and not is_row_number(text) \
        and header_columns([text]) is None and sum(ch >= "\u4e00" for ch in text) >= 4


def record_blocks(records: Sequence[Record]) -> list[Block]:
    out: list[Block] = []
    for record in records:
        if record.section and not record.number:
            out.append(Block(record.text, title=record.title))
        else:
            out.append(Block(record.text, row=record.as_row()))
    return out
