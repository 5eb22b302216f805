"""Suggestions for assignment found in an item's own text.

``extract_metadata(text, plan_date)`` reads who leads or helps (牵头单位 /
责任单位 / 配合单位), by when (完成时限), how often (每季度…) and the
quantities a measure promises (880册, 95%). Everything is a suggestion the
supervisor confirms, so the rules prefer missing a value to inventing one:
a date is a deadline only next to a deadline cue, and a unit name must look
like an organisation.

It runs on every item of a document, so each rule sits behind a cheap
substring check and all patterns are compiled once.
"""

from __future__ import annotations

import datetime
import functools
import re

from .patterns import lazy

TYPE_CHECKING = False  # not typing's: the CLI's start is mostly imports
if TYPE_CHECKING:
    from typing import Any

__all__ = ["PERIODS", "extract_metadata", "resolve_deadline", "split_unit_names"]

PERIODS = ("daily", "weekly", "monthly", "quarterly", "half-yearly", "yearly")


def extract_metadata(text: str, plan_date: datetime.date | None, *, units: bool = True,
                     deadline: bool = True) -> dict[str, Any]:
    """Units, deadline, period and quantities stated in ``text``; only the keys found are returned.

    ``plan_date`` gives the year that 6月底前 or 年底前 belong to; without it a
    deadline with no year of its own keeps only its ``deadline_text``.
    """
    out: dict[str, Any] = {}
    if not text:
        return out
    text = text.replace("\n", "")
    if units:
        _extract_units(text, out)
    found, deadline_text = _find_deadline(text, plan_date, need_cue=True) if deadline else (None, None)
    if deadline_text:
        out["deadline_text"] = deadline_text
        if found is not None:
            out["deadline"] = found
            if _aimed(text, deadline_text):
                out.setdefault("doubtful", []).append("deadline")
    period = _find_period(text)
    if period:
        out["period"] = period
        if _PERIOD_RE.search(text) is None:
            out.setdefault("doubtful", []).append("period")  # only 年度考核 and the like: once a year?
    quantities = _find_quantities(text)
    if quantities:
        out["quantities"] = quantities
    return out


@functools.lru_cache(maxsize=4096)
def resolve_deadline(
    text: str, plan_date: datetime.date | None
) -> tuple[datetime.date | None, str | None]:
    """Read a 完成时限 cell (2024年6月底, 三季度, 长期坚持) where no deadline cue is needed.

    Returns ``(deadline, deadline_text)``; the date is None when the text
    names no day (长期坚持) or the year is unknown.
    """
    if not text or not text.strip():
        return None, None
    text = text.strip()
    deadline, words = _find_deadline(text, plan_date, need_cue=False)
    if words is None and _ONGOING_ANY_RE.search(text):
        return None, text
    return deadline, words


# ---------------------------------------------------------------------------
# units

#: the last characters of an organisation's name
_UNIT_SUFFIXES = (
    "局", "委", "办", "部", "处", "科", "室", "中心", "院", "所", "队", "站", "会", "厅", "署",
    "公司", "政府", "街道", "乡", "镇", "县", "区", "市", "校", "学校", "小学", "中学", "班", "组",
    "门", "单位", "集团", "馆", "台", "社", "团", "联", "协", "行", "关", "厂", "园", "场", "村",
    "司", "府", "处室", "科室", "办事处", "分局", "支队", "大队", "中队", "企业", "机构", "地",
    "省", "州", "盟", "旗", "庭", "口", "片", "系", "库", "段", "点", "所属单位",
)
_UNIT_END_RE = lazy(
    "(?:" + "|".join(sorted(map(re.escape, _UNIT_SUFFIXES), key=len, reverse=True)) + ")$"
)
# words that mark a phrase, not a name ("加强与区教育局", "请家长积极")
_NOT_NAME_RE = lazy(
    r"加强|积极|做好|开展|进行|实施|推进|组织实施|落实|按照|根据|通过|及时|认真|协调|负责|牵头|配合|"
    r"要求|确保|建立|健全|完善|召开|参加|参与|提高|提升|本人|"
    r"[要将把对向请让使的是在为与并于从被由给以其此该这那我你他她它们等]"
)
# 和 inside a name: 住房和城乡建设局, 人力资源和社会保障局, 发展和改革委员会
_NAME_AND_RE = lazy(r"和(?=城乡|社会|信息|旅游|规划|改革|计划|科技|技术|体育|宣传|统战|广播|国有)")
_LIST_SPLIT_RE = lazy(r"[、，,/／；;\s]+")
_CONJ_RE = lazy(r"[和及与]")


def unit_like(name: str) -> bool:
    """Whether a short phrase reads as an organisation's name (ends like one, no verbs in it);
    a note in brackets at its end (各乡镇（街道）, 高新园(邹区镇)) is part of the name."""
    if name[-1:] in "）)" and len(name) > 3:
        name = _TRAILING_NOTE_RE.sub("", name) or name
    return 2 <= len(name) <= 24 and bool(_UNIT_END_RE.search(name)) and not _NOT_NAME_RE.search(name)


_TRAILING_NOTE_RE = lazy(r"[（(][^（()）]{1,12}[)）]$")


_unit_like = unit_like


def split_unit_names(value: str, *, strict: bool = True) -> list[str]:
    """Split a list of units (A、B和C) into names as written.

    With ``strict`` every name must look like an organisation or the whole
    list is rejected (it was a phrase, not a list); labelled lists
    (责任单位：…) are read without that check.
    """
    names: list[str] = []
    for part in _split_list(value):
        for name in _split_conjunctions(part.strip()):
            name = _strip_unbalanced(name.strip(" 。.：:"))
            if name.endswith("等") and len(name) > 2:
                name = name[:-1]
            if not name:
                continue
            if strict and not _unit_like(name):
                return []
            if name not in names:
                names.append(name)
    return names


def _split_list(value: str) -> list[str]:
    """Split a list on 、，,；/ and spaces, never inside brackets: 各县(市、区)政府 is one name."""
    if not any(ch in value for ch in "（(〔"):
        return _LIST_SPLIT_RE.split(value)
    parts: list[str] = []
    depth = start = 0
    for index, char in enumerate(value):
        if char in "（(〔":
            depth += 1
        elif char in "）)〕":
            depth = max(0, depth - 1)
        elif depth == 0 and _LIST_SPLIT_RE.match(char):
            parts.append(value[start:index])
            start = index + 1
    parts.append(value[start:])
    return parts


def _strip_unbalanced(name: str) -> str:
    """Drop a bracket left over from the text around a list, keep 区发改委（牵头）."""
    if name[:1] in "（(" and not any(ch in name for ch in "）)"):
        name = name[1:]
    if name[-1:] in "）)" and not any(ch in name for ch in "（("):
        name = name[:-1]
    return name.strip()


def _split_conjunctions(part: str) -> list[str]:
    """Split on 和/及/与 only where the left side is already a whole unit name."""
    if not _CONJ_RE.search(part):
        return [part]
    out: list[str] = []
    start = 0
    for match in _CONJ_RE.finditer(part):
        if match.group() == "和" and _NAME_AND_RE.match(part, match.start()):
            continue
        left = part[start:match.start()]
        if left and _UNIT_END_RE.search(left):
            out.append(left)
            start = match.end()
    out.append(part[start:])
    return out


_ROLE_WORD_RE = lazy("(?=[牵负责配协承主参])(?:牵头|负责|责任|配合|协办|协助|承办|主办|主责|参与)")
_LABEL_RE = lazy(
    r"(?P<label>牵头单位|牵头部门|主责单位|主责部门|牵头|责任单位|责任部门|承办单位|主办单位|实施单位|"
    r"配合单位|配合部门|协办单位|协办部门|协助单位|参与单位|配合)"
    r"\s*(?:[：:]|为|是)\s*"
)
_LABEL_ROLE = {
    "牵头单位": "lead_units", "牵头部门": "lead_units", "主责单位": "lead_units", "主责部门": "lead_units",
    "牵头": "lead_units",
    "责任单位": "units", "责任部门": "units", "承办单位": "units", "主办单位": "units", "实施单位": "units",
    "配合单位": "support_units", "配合部门": "support_units", "协办单位": "support_units",
    "协办部门": "support_units", "协助单位": "support_units", "参与单位": "support_units",
    "配合": "support_units",
}
# 由X牵头 / 由X负责 / 由X、Y配合
# a note in brackets inside a name or a list: 各县（市、区）, 高新园(邹区镇)
_NAME_NOTE = r"[（(][^（()）。；;]{1,8}[)）]"
_BY_RE = lazy(
    r"(?=由)(?<![理经])由(?!于|此|衷|来|近及远)(?P<value>(?:[^由。；;，,：:（()）\n]|" + _NAME_NOTE + r"){2,60}?)"
    r"(?P<verb>牵头|负责(?!人)|主责|承办|主办|组织实施|具体实施|配合|协助|协办|共同负责)"
)
# X牵头，… / （X负责） / Y、Z配合 at the start of a clause
_CLAUSE_RE = lazy(
    r"(?:^|(?<=[。；;，,：:（(〔]))\s*(?P<value>(?:[^由。；;，,：:（()）\n]|" + _NAME_NOTE + r"){2,60}?)"
    r"(?P<verb>牵头|负责(?!人)|主责|配合|协助|协办)"
    r"(?=$|[，,。；;）)、\s]|抓|落实|实施|组织|推进|做好|开展|完成|指导|督促)"
)
_VERB_ROLE = {
    "牵头": "lead_units", "负责": "lead_units", "主责": "lead_units", "承办": "lead_units",
    "主办": "lead_units", "组织实施": "lead_units", "具体实施": "lead_units", "共同负责": "lead_units",
    "配合": "support_units", "协助": "support_units", "协办": "support_units",
}
# a unit list in brackets at the very end: …（市发改委、市财政局）
_TRAILING_LIST_RE = lazy(r"[（(](?P<value>[^（()）]{2,80})[)）][。；;]?$")
_TRAILING_STOP_RE = lazy(r"^(?:含|包括|如|即|指|见|详见|不含|以上|以下|其中|注)")


def _extract_units(text: str, out: dict[str, Any]) -> None:
    has_role_word = _ROLE_WORD_RE.search(text) is not None
    found: dict[str, list[str]] = {"lead_units": [], "units": [], "support_units": []}

    def add(role: str, names: list[str]) -> None:
        for name in names:
            if all(name not in found[r] for r in found):
                found[role].append(name)

    if has_role_word:
        labels = list(_LABEL_RE.finditer(text))
        for index, match in enumerate(labels):
            role = _LABEL_ROLE[match.group("label")]
            # a labelled list ends at the next label (牵头单位：A，配合单位：B) or the clause end
            stop = labels[index + 1].start() if index + 1 < len(labels) else len(text)
            value = _label_value(text, match.end(), stop)
            add(role, _labelled_names(value, role, add))
        for match in _BY_RE.finditer(text):
            _add_verb_list(match.group("value"), match.group("verb"), add)
        for match in _CLAUSE_RE.finditer(text):
            _add_verb_list(match.group("value"), match.group("verb"), add)
    guessed = False
    if not any(found.values()):
        # 做好, 抓好, 落实好 or 负责 must follow the subject
        subject = _SUBJECT_RE.match(text) if "好" in text or "负责" in text else None
        if subject and _strong_unit(subject.group("name")):
            add("units", [subject.group("name")])
            guessed = True  # the sentence's subject, not a stated responsibility
    if text.endswith(("）", ")", "）。", ")。", "）；", ");")):
        trailing = _TRAILING_LIST_RE.search(text)
        value = trailing.group("value") if trailing else ""
        # a labelled list in brackets (（责任单位：A）) was read above, label and all
        if value and not _TRAILING_STOP_RE.match(value) and not _LABEL_RE.search(value):
            names = split_unit_names(value)
            add("units", names)
            guessed = guessed or bool(names)  # names in brackets, with no word of their role
    for role, names in found.items():
        if names:
            out[role] = names
    if guessed and found["units"]:
        out.setdefault("doubtful", []).append("units")


# a sentence whose subject is the unit that does it: 信息处做好智能化服务保障工作
_SUBJECT_RE = lazy(r"^(?P<name>[\u4e00-\u9fff]{2,12}?)(?:要|应|须|负责)?(?:做好|抓好|负责|落实好)")
_STRONG_UNIT_RE = lazy(
    r"(?:局|委|办|处|科|室|中心|政府|公司|街道|部|院|所|队|站|组|厅|署|馆|分局|大队|支队|办公室|委员会|学校|中学|小学)$")


def _strong_unit(name: str) -> bool:
    """A name that ends as only an organisation's does (局, 处, 中心, 街道 …)."""
    return unit_like(name) and bool(_STRONG_UNIT_RE.search(name))


def strong_unit(name: str) -> bool:
    return _strong_unit(name)


def _label_value(text: str, start: int, stop: int) -> str:
    """The list after a label, up to the clause end; a bracket opened inside it (A（牵头）) is kept."""
    depth = 0
    for index in range(start, stop):
        char = text[index]
        if char in "（(〔":
            depth += 1
        elif char in "）)〕":
            if depth == 0:
                return text[start:index]
            depth -= 1
        elif char in "；;。\n】":
            return text[start:index]
    return text[start:stop]


_MARKED_RE = lazy(r"^(?P<name>.+?)[（(](?P<word>牵头|负责|配合|协办|协助)[)）]$")


def _labelled_names(value: str, role: str, add: Any) -> list[str]:
    """Names after a label, honouring a per-name role mark: A（牵头）、B."""
    names: list[str] = []
    for name in split_unit_names(value.strip(), strict=False):
        marked = _MARKED_RE.match(name)
        if marked:
            add(_VERB_ROLE[marked.group("word")], [marked.group("name")])
            continue
        if len(name) > 30:
            continue  # a sentence, not a name
        names.append(name)
    return names


def _add_verb_list(value: str, verb: str, add: Any) -> None:
    value = value.strip()
    for prefix in ("此项工作", "该项工作", "本项工作", "具体", "分别", "统一"):
        if value.startswith(prefix):
            value = value[len(prefix):]
    names = split_unit_names(value)
    if names:
        add(_VERB_ROLE[verb], names)


# ---------------------------------------------------------------------------
# deadlines


@functools.lru_cache(maxsize=4096)
def looks_like_deadline(text: str) -> bool:
    """A short phrase that states when (12月底前, 2026年6月, 长期坚持, 每季度): a 完成时限 cell."""
    text = text.strip()
    if not text or len(text) > 30:
        return False
    deadline, words = resolve_deadline(text, datetime.date(2000, 1, 1))
    if words:
        return len(words) >= 0.4 * len(text) or len(text) <= 12
    return _find_period(text) is not None and len(text) <= 12

_CN_NUM = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9, "十": 10}


def _cn_to_int(value: str) -> int | None:
    """Arabic or Chinese digits (6, 十二, 二〇二四) to int."""
    if value.isdigit():
        return int(value)
    if all(ch in _CN_NUM and ch != "十" for ch in value):
        return int("".join(str(_CN_NUM[ch]) for ch in value))
    if "十" in value:
        tens, _, ones = value.partition("十")
        return (_CN_NUM.get(tens, 0) if tens else 1) * 10 + (_CN_NUM.get(ones, 0) if ones else 0)
    return None


_YEAR = r"(?<!\d)(?P<year>(?:19|20)\d{2}|\d{2}|[〇零一二三四五六七八九]{4}|今|本|明|次|当|下一|来)年"
_MONTH_NUM = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DATE_RE = lazy(
    r"(?=[\d〇零一二三四五六七八九十两今本明次当下来第上年])(?:"
    # 2024年6月30日 / 6月底 / 10月中旬 / 3—5月 / 6月10日至20日
    r"(?:" + _YEAR + r"(?:度)?)?"
    r"(?<![\d个])(?:(?P<m_from>" + _MONTH_NUM + r")(?:月份?)?[-—–~～至到])?"
    r"(?P<month>" + _MONTH_NUM + r")月份?"
    r"(?:(?P<day>3[01]|[12]\d|0?[1-9])[日号](?:[-—–~～至到](?P<day_to>3[01]|[12]\d|0?[1-9])[日号])?"
    r"|(?P<part>上旬|中旬|下旬|底|末|初|中))?"
    # 2024年第三季度 / 四季度末
    r"|(?:" + _YEAR.replace("?P<year>", "?P<qyear>") + r")?"
    r"(?<![每按各逐分])第?(?P<quarter>[一二三四1-4])季度?"
    r"(?P<qpart>末|底)?"
    # 上半年 / 下半年
    r"|(?:" + _YEAR.replace("?P<year>", "?P<hyear>") + r")?"
    r"(?<![每按])(?P<half>上半年|下半年)(?P<hpart>末|底)?"
    # 2025年 / 年底 / 年内
    r"|(?:" + _YEAR.replace("?P<year>", "?P<yyear>")
    + r"|(?<![每全当\d〇零一二三四五六七八九十两半几多个余青学同周年老新少成])年)"
    r"(?P<ypart>底|末|内(?![部容外涵])|度内)?"
    r")"
)
_CUE_AFTER_RE = lazy(r"\s*(?:前|以前|之前|底前|末前|内|以内|期间|完成|止|为止|截止|办结"
                           # a year's goal: 2026年新增…, 2021年计划投资…, 2021年二期计划投资…
                           r"|(?<=年)(?:新增|[^，,。；;\d]{0,3}计划))")
# 截至 (as of) reports a state, 截止 (closing) sets a limit
_CUE_BEFORE_RE = lazy(
    r"(?:截止|截止到|截止于|(?<!截)至|到|不晚于|完成时限|时限要求|办结时限|时限|完成时间|时间节点|完成期限"
    # an aim with its date: 力争2021年7月1日开馆, 争取三季度挂牌, 计划于下半年举办
    r"|力争于?|争取于?|计划于|计划在|预计于?)[：:为是]?\s*$"
)
def _aimed(text: str, words: str) -> bool:
    """A date that is an aim (力争…, 2026年计划…) rather than a set deadline: worth a second look."""
    at = text.find(words)
    before = text[max(0, at - 6):at] if at >= 0 else ""
    return bool(_AIM_RE.search(before) or _AIM_RE.search(words) or words.endswith("新增"))


_TITLE_QUOTE_RE = lazy(r"《[^《》]{0,60}》")
_AIM_RE = lazy(r"力争|争取|计划|预计")
_SINCE_RE = lazy(r"(?:即日起|即日|从现在起|自即日起|自发文之日起|现在起)[至到]$")
_ONGOING_RE = lazy(
    r"(?=[长持常])(?<!没有)(?<![未不没])长期坚持|长期推进|长期开展|常态化推进|常态化开展|持续推进(?=[。；;）)]|$)|长期(?=[。；;）)]|$)"
    r"|常态化(?=[。；;）)]|$)"
)
_ONGOING_ANY_RE = lazy(r"长期|持续|常态化|每[年月季周日天]|长效")
_ANCHOR_RE = lazy("[月年季]")
#: a deadline needs one of these nearby (前, 底, 内, 完成, 截止, 至, a dash in 3—5月)
_CUE_CHAR_RE = lazy("[前底末内期完止截办至到限晚争计新\\-—–~～]")
#: no date expression reaches further than this from its 年/月/季
_DATE_REACH = 12


def _date_matches(text: str):
    """Date expressions in order; the full pattern only runs in small windows around 年/月/季."""
    pos = 0
    length = len(text)
    while True:
        anchor = _ANCHOR_RE.search(text, pos)
        if anchor is None:
            return
        start = max(pos, anchor.start() - _DATE_REACH)
        window_end = min(length, anchor.end() + 2 * _DATE_REACH)
        match = _DATE_RE.search(text, start, window_end)
        if match is None:
            pos = anchor.end()
            continue
        if match.end() >= window_end - _DATE_REACH:
            match = _DATE_RE.match(text, match.start()) or match  # the window may have cut it short
        yield match
        pos = max(match.end(), start + 1)


def _days_in_month(year: int, month: int) -> int:
    """What ``calendar.monthrange`` gives, without loading calendar (and locale) for one number."""
    if month == 12:
        return 31
    return (datetime.date(year, month + 1, 1) - datetime.date(year, month, 1)).days


def _last_day(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, _days_in_month(year, month))


def _resolve_year(raw: str | None, plan_year: int | None, context_year: int | None) -> int | None:
    if raw is None:
        return context_year if context_year is not None else plan_year
    if raw in ("今", "本", "当"):
        return plan_year
    if raw in ("明", "次", "下一", "来"):
        return plan_year + 1 if plan_year is not None else None
    value = _cn_to_int(raw)
    if value is None:
        return None
    if value < 100:
        century = (plan_year // 100) * 100 if plan_year is not None else 2000
        return century + value
    return value if 1990 <= value <= 2100 else None


def _find_deadline(
    text: str, plan_date: datetime.date | None, *, need_cue: bool
) -> tuple[datetime.date | None, str | None]:
    """The deadline that bounds the text, and the words it came from.

    When a text names several dates with a cue, the last one counts: plans
    write the steps of a measure in order (6月底前制定方案，12月底前全面完成),
    so the last is the date the whole measure must be done by. A date with no
    cue (2023年3月召开了…) is an event, not a deadline.
    """
    if "《" in text:
        # a document's title (《2026年内部审计工作计划》) names its year, not a deadline
        text = _TITLE_QUOTE_RE.sub(lambda m: "□" * len(m.group()), text)
    if _ANCHOR_RE.search(text) is None or (need_cue and _CUE_CHAR_RE.search(text) is None):
        ongoing = _ONGOING_RE.search(text)
        return (None, ongoing.group()) if ongoing else (None, None)
    plan_year = plan_date.year if plan_date else None
    context_year: int | None = None
    best: tuple[datetime.date | None, str] | None = None
    previous_start = previous_end = -1
    for match in _date_matches(text):
        parsed = _parse_date_match(match, plan_year, context_year)
        if parsed is None:
            continue
        end, explicit_year, inherent_cue = parsed
        if explicit_year is not None:
            context_year = explicit_year
        start, stop = match.span()
        prior_start, prior_end = previous_start, previous_end
        previous_start, previous_end = start, stop
        after = _CUE_AFTER_RE.match(text, stop)
        before = _CUE_BEFORE_RE.search(text, max(0, start - 8), start)
        if need_cue and not (inherent_cue or after or before or match.group("m_from")
                             or match.group("day_to")):
            continue
        if after:
            stop = after.end()
        since = _SINCE_RE.search(text, max(0, start - 8), start)
        if since:
            start = since.start()
        elif before and not _AIM_RE.match(before.group()):
            # 2024年11月至2025年2月: the range is the words, not only its end
            if before.group().strip() in ("至", "到") and prior_end == before.start():
                start = prior_start
            else:
                start = before.start()
        best = (end, text[start:stop].strip())
    if best is None:
        ongoing = _ONGOING_RE.search(text)
        return (None, ongoing.group()) if ongoing else (None, None)
    return best


def _parse_date_match(
    match: re.Match[str], plan_year: int | None, context_year: int | None
) -> tuple[datetime.date | None, int | None, bool] | None:
    """(last day allowed, the year written, whether the words themselves are a cue) or None."""
    groups = match.groupdict()
    if groups["month"]:
        raw_year = groups["year"]
        year = _resolve_year(raw_year, plan_year, context_year)
        month = _cn_to_int(groups["month"])
        if month is None or not 1 <= month <= 12:
            return None
        explicit = year if raw_year and raw_year.isdigit() else None
        part = groups["part"]
        if year is None:
            return None, explicit, part in ("底", "末")
        last = _days_in_month(year, month)
        day_value = groups["day_to"] or groups["day"]
        if day_value:
            day = min(int(day_value), last)
        elif part == "上旬" or part == "初":
            day = 10
        elif part == "中旬" or part == "中":
            day = 20
        else:
            day = last
        return datetime.date(year, month, day), explicit, part in ("底", "末")
    if groups["quarter"]:
        raw_year = groups["qyear"]
        quarter = _cn_to_int(groups["quarter"])
        if quarter is None or not 1 <= quarter <= 4:
            return None
        year = _resolve_year(raw_year, plan_year, context_year)
        explicit = year if raw_year and raw_year.isdigit() else None
        cue = bool(groups["qpart"])
        return (_last_day(year, quarter * 3) if year else None), explicit, cue
    if groups["half"]:
        raw_year = groups["hyear"]
        year = _resolve_year(raw_year, plan_year, context_year)
        explicit = year if raw_year and raw_year.isdigit() else None
        month = 6 if groups["half"] == "上半年" else 12
        return (_last_day(year, month) if year else None), explicit, bool(groups["hpart"])
    # a year alone: 2025年 / 年底 / 今年年内
    raw_year = groups["yyear"]
    part = groups["ypart"]
    if raw_year is None and not part:
        return None  # a bare 年 (全年, 年度) names no date
    if raw_year and raw_year.isdigit() and len(raw_year) == 2 and part not in ("底", "末"):
        return None  # 10年内 is a span of years, 11年底 a date
    year = _resolve_year(raw_year, plan_year, context_year if raw_year is None else None)
    explicit = year if raw_year and raw_year.isdigit() else None
    if raw_year and not raw_year.isdigit() and raw_year not in ("今", "本", "当", "明", "次", "下一", "来"):
        if _cn_to_int(raw_year) is None:
            return None
    return (datetime.date(year, 12, 31) if year else None), explicit, bool(part)


# ---------------------------------------------------------------------------
# period

# each pattern opens with a lookahead on its possible first characters: the regex engine
# then skips every other position cheaply
_PERIOD_RE = lazy(
    r"(?=[每逐按一半周季月年])"
    r"(?:每个?|逐|按)(?P<every>日|天|星期|周|半年|学期|季度|季|月|学年|年)"
    r"|一(?P<one>日|周|月|季|年)一|半年一|(?P<report>周|月|季|年)报制"
)
_PERIOD_WORDS = {
    "日": "daily", "天": "daily", "星期": "weekly", "周": "weekly", "半年": "half-yearly",
    "学期": "half-yearly", "季度": "quarterly", "季": "quarterly", "月": "monthly", "学年": "yearly",
    "年": "yearly",
}
_RATE_RE = lazy(r"每|\d+(?:\.\d+)?\s*(?:万|亿)?元")
# an annual rating (年度星级营业员评定, 季度考核) is held once a period
_WEAK_PERIOD_RE = lazy(
    r"(?<![\d〇零一二三四五六七八九])(?P<unit>年|季|月)度[^，,。；;]{0,8}?(?:考核|评定|评选|评比|表彰)(?!目标|办法|方案)")
_WEAK_KEYS = {"年": "yearly", "季": "quarterly", "月": "monthly"}


def find_period(text: str) -> str | None:
    """How often a short text (a 完成时限 cell: 每季度) says the work is done or reported."""
    return _find_period(text)


def _find_period(text: str) -> str | None:
    """How often the measure is done or reported: the first 每… the text names."""
    match = _PERIOD_RE.search(text)
    while match is not None and _RATE_RE.match(text, match.end()):
        match = _PERIOD_RE.search(text, match.end())  # 每年每院5万元的标准: a rate, not a rhythm
    if match:
        word = match.group("every") or match.group("one") or match.group("report")
        if word is None:
            return "half-yearly"  # 半年一报
        if word == "年" and match.group().startswith("按"):
            return "yearly"
        return _PERIOD_WORDS[word]
    if "度" in text:
        weak = _WEAK_PERIOD_RE.search(text)
        if weak:
            return _WEAK_KEYS[weak.group("unit")]
    return None


# ---------------------------------------------------------------------------
# quantities

_MEASURE_WORDS = (
    "人次", "人", "次", "个百分点", "个工作日", "个月", "个", "场", "期", "篇", "所", "家", "项", "件",
    "份", "元", "亩", "公里", "千米", "平方米", "平方公里", "户", "名", "天", "小时", "课时", "学时",
    "%", "％", "册", "台", "套", "辆", "座", "条", "张", "本", "棵", "株", "吨", "千瓦", "批", "支",
    "处", "间", "栋", "吨标准煤", "立方米", "公顷", "米", "门", "节", "部", "种", "轮", "岗", "块",
)
_QUANTITY_RE = lazy(
    r"(?=\d)(?<![\d.．:：/\-—年月日第No])"
    r"(?P<q>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?"
    r"(?:余|多)?(?:万|亿|千|百)?(?:余|多)?"
    r"(?:" + "|".join(sorted(map(re.escape, _MEASURE_WORDS), key=len, reverse=True)) + ")"
    r"(?![\d])"
)
_QUANTITY_SKIP_RE = lazy(r"^\d+(?:\.\d+)?(?:个|次|名|期|批|轮|部|门|条|节|项|种|台|本|件)$")


def _find_quantities(text: str) -> list[str]:
    """Numbers with a measure word (880册, 95%, 1000万元), in the order written."""
    out: list[str] = []
    for match in _QUANTITY_RE.finditer(text):
        value = match.group().replace(" ", "")
        nxt = text[match.end(): match.end() + 1]
        # 3、4组 / 1组评审: a list or team number, not an amount; 第3次 is excluded above
        if _QUANTITY_SKIP_RE.match(value) and nxt in ("、", "，", ","):
            continue
        if value not in out:
            out.append(value)
    return out
