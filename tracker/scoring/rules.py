"""The kinds of scoring rule, their parameters, and the check every configuration passes.

A kind is one registered function: it reads the facts of a period (``tracker.scoring.queries``)
and yields points, each naming the event or task it comes from. Each kind also has a SQL twin
(``@sql_twin``): aggregates over the same facts grouped by unit, turned into the unit's points and
their number, so a ranking or a what-if of a year of tasks never makes the points one by one; the
points themselves are made for one unit's page, the export and a published snapshot, and a test
holds the two equal. Adding a kind (as 未按时签收 was, once 签收 existed) is one
``@rule_kind`` function and its ``@sql_twin`` here; the rules page, the check, the what-if view,
the export and the snapshots pick it up.

The 2024 rules (整治形式主义为基层减负若干规定) forbid scoring units by photos of work (拍照留痕)
or by counting leaders' instructions: no kind reads such things, and a configuration that names
one is refused with the reason.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.errors import UserError
from tracker.notify import workdays

#: points are kept to two decimals everywhere (the threshold rule makes fractions)
PLACES = 2
MAX_POINTS = 1000.0


class RuleError(UserError):
    """A rule configuration that cannot be used; the message is for the user."""


@dataclass(frozen=True)
class Param:
    name: str
    label: Any
    #: "number" (points, ≥ 0), "percent" (0–100), "days" (whole days ≥ 0), "choice"
    kind: str = "number"
    default: Any = None
    choices: tuple[tuple[str, Any], ...] = ()


class Point(NamedTuple):
    """One addition or deduction, with what it comes from.

    ``entry_id`` is the audit entry of the event (退回, 办结, 督办单 issued) when there is one;
    ``task_id`` the task; ``refs`` the tasks behind a unit-wide point (the threshold rule).
    ``what`` says which fact it is, ``value`` its detail (days late, a period key, a share).
    A tuple: a year of tasks makes hundreds of thousands of them.
    """

    kind: str
    points: float
    unit_id: int
    on: date
    what: str
    task_id: int | None = None
    entry_id: int | None = None
    value: Any = None
    refs: tuple[int, ...] = ()


@dataclass(frozen=True)
class RuleKind:
    key: str
    label: Any
    help: Any
    #: +1 adds points, -1 deducts them (the parameters are always entered as positive numbers)
    sign: int
    params: tuple[Param, ...]
    compute: Callable[[Any, dict[str, Any]], Iterable[Point]] = field(compare=False)


KINDS: dict[str, RuleKind] = {}

CAP = Param("cap", _l("封顶（分，留空不封顶）"), "number", None)

#: kinds the 2024 rules forbid, with what they would have scored
FORBIDDEN_KINDS: dict[str, Any] = {
    "photo": _l("拍照留痕"), "photos": _l("拍照留痕"), "photo_evidence": _l("拍照留痕"),
    "photo_count": _l("拍照留痕"), "leader_instructions": _l("领导批示次数"),
    "instruction_count": _l("领导批示次数"), "leader_instruction_count": _l("领导批示次数"),
}
_FORBIDDEN_PATTERN = re.compile(r"photo|picture|image|拍照|留痕|照片|instruction|批示", re.I)


def rule_kind(key: str, label: Any, help: Any, sign: int, *params: Param) -> Callable:
    """Register a kind: ``compute(facts, params)`` yields its points (before the cap)."""

    def register(compute: Callable[[Any, dict[str, Any]], Iterable[Point]]) -> Callable:
        KINDS[key] = RuleKind(key, label, help, sign, (*params, CAP), compute)
        return compute

    return register


@dataclass(frozen=True)
class Twin:
    """A kind's SQL twin. ``columns(c, params, as_of_day)`` are aggregates over the columns ``c`` of
    the fact source named ``source`` (``tracker.scoring.queries.Sources``), grouped by unit;
    ``finish(values, params)`` turns one unit's aggregates into (points before the cap, number of
    points), exactly what summing the kind's points would give."""

    source: str
    columns: Callable[[Any, dict[str, Any], int], list[Any]]
    finish: Callable[[tuple, dict[str, Any]], tuple[float, int]]


TWINS: dict[str, Twin] = {}


def sql_twin(key: str, source: str, finish: Callable[[tuple, dict[str, Any]], tuple[float, int]]) -> Callable:
    """Register the SQL twin of kind ``key``: the decorated function gives the aggregate columns."""

    def register(columns: Callable[[Any, dict[str, Any], int], list[Any]]) -> Callable:
        TWINS[key] = Twin(source, columns, finish)
        return columns

    return register


def _round(value: float) -> float:
    return round(value + 0.0, PLACES)


def _count_if(condition: Any) -> Any:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def _per_point(sign: int) -> Callable[[tuple, dict[str, Any]], tuple[float, int]]:
    """Finish for kinds whose every point is worth ``sign * points``: the count times that."""

    def finish(values: tuple, params: dict[str, Any]) -> tuple[float, int]:
        count = int(values[0] or 0)
        return _round(sign * params["points"] * count), count

    return finish


# --------------------------------------------------------------------------- the kinds

@rule_kind("on_time", _l("按期完成"), _l("每项在原定时限内办结的任务加分（延期不改变原定时限）。"), 1,
           Param("points", _l("每项加分"), "number", 1))
def _on_time(facts: Any, params: dict[str, Any]) -> Iterator[Point]:
    points, day = params["points"], date.fromordinal
    for t in facts.due:
        if t.done is not None and t.done <= t.due:
            yield Point("on_time", points, t.unit_id, day(t.done), "on_time", t.id, t.entry_id)


@rule_kind("late", _l("逾期"), _l("原定时限过后才办结、或截至评分日仍未办结的任务扣分，按天或按项。"), -1,
           Param("points", _l("扣分"), "number", 1),
           Param("per", _l("计算方式"), "choice", "task", (("task", _l("每项")), ("day", _l("每天")))))
def _late(facts: Any, params: dict[str, Any]) -> Iterator[Point]:
    per_day, points, day, as_of = params["per"] == "day", params["points"], date.fromordinal, facts.as_of_day
    for t in facts.due:
        if t.done is not None:
            if t.done <= t.due:
                continue
            days, what, on = t.done - t.due, "done_late", t.done
        elif t.due < as_of:
            days, what, on = as_of - t.due, "overdue", t.due
        else:
            continue
        yield Point("late", -(points * days if per_day else points), t.unit_id, day(on), what, t.id, t.entry_id,
                    days)


@rule_kind("returned", _l("退回"), _l("每次退回（退办）扣分。"), -1, Param("points", _l("每次扣分"), "number", 2))
def _returned(facts: Any, params: dict[str, Any]) -> Iterator[Point]:
    points = -params["points"]
    for e in facts.returns:
        yield Point("returned", points, e.unit_id, e.on, "returned", e.task_id, e.entry_id)


@rule_kind("missing_report", _l("缺报定期反馈"), _l("每缺一期应报的定期进展反馈扣分（期末后宽限期内未报）。"), -1,
           Param("points", _l("每期扣分"), "number", 10))
def _missing_report(facts: Any, params: dict[str, Any]) -> Iterator[Point]:
    points = -params["points"]
    for m in facts.missing:
        yield Point("missing_report", points, m.unit_id, m.on, "missing_report", m.task_id, None, m.period_key)


@rule_kind("notice_late", _l("督办单逾期未反馈"), _l("督办单所列任务在反馈时限内未反馈的，每项扣分。"), -1,
           Param("points", _l("每项扣分"), "number", 1))
def _notice_late(facts: Any, params: dict[str, Any]) -> Iterator[Point]:
    points = -params["points"]
    for n in facts.late_answers:
        yield Point("notice_late", points, n.unit_id, n.reply_by, "notice_late", n.task_id, n.entry_id,
                    n.notice_label)


@rule_kind("threshold", _l("按期完成率门槛"), _l("按期完成率低于门槛时，每低一个百分点扣分。"), -1,
           Param("threshold", _l("门槛（%）"), "percent", 70),
           Param("points", _l("每个百分点扣分"), "number", 1))
def _threshold(facts: Any, params: dict[str, Any]) -> Iterator[Point]:
    """The share counts the tasks whose deadline has passed by the scoring day, or that are done."""
    due: dict[int, list[Any]] = {}
    as_of = facts.as_of_day
    for t in facts.due:
        if t.due < as_of or t.done is not None:
            due.setdefault(t.unit_id, []).append(t)
    for unit_id, tasks in due.items():
        missed = [t.id for t in tasks if t.done is None or t.done > t.due]
        share = 100.0 * (len(tasks) - len(missed)) / len(tasks)
        if share < params["threshold"]:
            shortfall = params["threshold"] - share
            yield Point("threshold", -_round(shortfall * params["points"]), unit_id, facts.as_of, "threshold",
                        value=_round(share), refs=tuple(missed))


@rule_kind("early", _l("提前完成"), _l("比原定时限提前若干天以上办结的任务加分。"), 1,
           Param("points", _l("每项加分"), "number", 0.5), Param("days", _l("至少提前（天）"), "days", 7))
def _early(facts: Any, params: dict[str, Any]) -> Iterator[Point]:
    points, days, day = params["points"], params["days"], date.fromordinal
    for t in facts.due:
        if t.done is not None and t.due - t.done >= days:
            yield Point("early", points, t.unit_id, day(t.done), "early", t.id, t.entry_id, t.due - t.done)


@functools.lru_cache(maxsize=16)
def _workdays_through(year: int) -> tuple[int, ...]:
    """For each day of ``year``, the working days from 1 January through it."""
    numbers, count, day = [], 0, date(year, 1, 1)
    while day.year == year:
        count += workdays.is_workday(day)
        numbers.append(count)
        day = date.fromordinal(day.toordinal() + 1)
    return tuple(numbers)


def _workdays_after(first: int, last: int) -> int:
    """The working days after day ``first`` up to and including day ``last`` (ordinals); 0 when
    ``last`` is not after ``first``."""
    if last <= first:
        return 0
    total, low, high = 0, date.fromordinal(first + 1), date.fromordinal(last)
    for year in range(low.year, high.year + 1):
        numbers = _workdays_through(year)
        start = (low - date(year, 1, 1)).days if year == low.year else 0
        end = (high - date(year, 1, 1)).days if year == high.year else len(numbers) - 1
        total += numbers[end] - (numbers[start - 1] if start else 0)
    return total


@rule_kind("unacknowledged", _l("未按时签收"),
           _l("交办后超过若干个工作日才签收、或截至评分日超过若干个工作日仍未签收的任务，每项扣分"
              "（签收功能启用前已在办理的任务不计）。"), -1,
           Param("points", _l("每项扣分"), "number", 1), Param("days", _l("签收时限（工作日）"), "days", 2))
def _unacknowledged(facts: Any, params: dict[str, Any]) -> Iterator[Point]:
    """A task counts in the period it was handed over in. Its 签收 is late when more than ``days``
    working days (``tracker.notify.workdays``, 调休 included) passed after the hand-over day: a
    签收 on the weekend after the last allowed working day loses no working day and is on time."""
    points, days, as_of, day = -params["points"], params["days"], facts.as_of_day, date.fromordinal
    for t in facts.acks:
        # the first day on which the 签收 is late: the (days + 1)-th working day after the hand-over
        late_from = workdays.nth_workday_after(day(t.handed), days + 1)
        if t.acked is not None:
            if t.acked >= late_from.toordinal():
                yield Point("unacknowledged", points, t.unit_id, day(t.acked), "acknowledged_late", t.id,
                            t.acked_entry_id, _workdays_after(t.handed, t.acked))
        elif as_of >= late_from.toordinal():
            yield Point("unacknowledged", points, t.unit_id, late_from, "unacknowledged", t.id, t.handed_entry_id,
                        _workdays_after(t.handed, as_of))


# --------------------------------------------------------------------------- their SQL twins

def _done_on_time(c: Any) -> Any:
    return sa.and_(c.done.is_not(None), c.done <= c.due)


def _late_condition(c: Any, as_of: int) -> Any:
    return sa.or_(sa.and_(c.done.is_not(None), c.done > c.due), sa.and_(c.done.is_(None), c.due < as_of))


@sql_twin("on_time", "due", _per_point(1))
def _on_time_sql(c: Any, params: dict[str, Any], as_of: int) -> list[Any]:
    return [_count_if(_done_on_time(c))]


def _late_finish(values: tuple, params: dict[str, Any]) -> tuple[float, int]:
    count, days = int(values[0] or 0), int(values[1] or 0)
    return _round(-params["points"] * (days if params["per"] == "day" else count)), count


@sql_twin("late", "due", _late_finish)
def _late_sql(c: Any, params: dict[str, Any], as_of: int) -> list[Any]:
    late = _late_condition(c, as_of)
    days = sa.case((c.done.is_not(None), c.done - c.due), else_=as_of - c.due)
    return [_count_if(late), sa.func.sum(sa.case((late, days), else_=0))]


@sql_twin("returned", "returns", _per_point(-1))
def _returned_sql(c: Any, params: dict[str, Any], as_of: int) -> list[Any]:
    return [sa.func.count()]


@sql_twin("missing_report", "missing", _per_point(-1))
def _missing_report_sql(c: Any, params: dict[str, Any], as_of: int) -> list[Any]:
    return [sa.func.count()]


@sql_twin("notice_late", "late_answers", _per_point(-1))
def _notice_late_sql(c: Any, params: dict[str, Any], as_of: int) -> list[Any]:
    return [sa.func.count()]


def _threshold_finish(values: tuple, params: dict[str, Any]) -> tuple[float, int]:
    counted, missed = int(values[0] or 0), int(values[1] or 0)
    if not counted:
        return 0.0, 0
    share = 100.0 * (counted - missed) / counted
    if share >= params["threshold"]:
        return 0.0, 0
    return -_round((params["threshold"] - share) * params["points"]), 1


@sql_twin("threshold", "due", _threshold_finish)
def _threshold_sql(c: Any, params: dict[str, Any], as_of: int) -> list[Any]:
    counted = sa.or_(c.due < as_of, c.done.is_not(None))
    return [_count_if(counted), _count_if(sa.and_(counted, sa.not_(_done_on_time(c))))]


@sql_twin("early", "due", _per_point(1))
def _early_sql(c: Any, params: dict[str, Any], as_of: int) -> list[Any]:
    return [_count_if(sa.and_(c.done.is_not(None), c.due - c.done >= params["days"]))]


@sql_twin("unacknowledged", "acks", _per_point(-1))
def _unacknowledged_sql(c: Any, params: dict[str, Any], as_of: int) -> list[Any]:
    return [_count_if(c.taken > params["days"])]


#: the rules a scope starts with: the ones the issue quotes from real appraisals
DEFAULT_RULES: list[dict[str, Any]] = [
    {"kind": "on_time", "points": 1, "cap": None},
    {"kind": "late", "points": 1, "per": "task", "cap": None},
    {"kind": "returned", "points": 2, "cap": None},
    {"kind": "missing_report", "points": 10, "cap": None},
    {"kind": "notice_late", "points": 1, "cap": None},
    {"kind": "threshold", "threshold": 70, "points": 1, "cap": None},
]


# --------------------------------------------------------------------------- the check

def forbidden_reason(name: str) -> Any | None:
    """What a forbidden kind (or parameter) would score, or None if it is allowed."""
    key = (name or "").strip().lower()
    if key in FORBIDDEN_KINDS:
        return FORBIDDEN_KINDS[key]
    if _FORBIDDEN_PATTERN.search(key):
        return _("拍照留痕或领导批示次数")
    return None


def _refuse_forbidden(name: str) -> None:
    reason = forbidden_reason(name)
    if reason is not None:
        raise RuleError(_("不能按“%(what)s”评分：《整治形式主义为基层减负若干规定》禁止以拍照留痕、"
                          "领导批示数量等评价基层工作。", what=reason))


def _number(kind: RuleKind, param: Param, raw: Any) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if param.name == "cap":
            return None
        raise RuleError(_("请填写“%(rule)s”的“%(param)s”。", rule=kind.label, param=param.label))
    if isinstance(raw, bool):
        raise RuleError(_("“%(rule)s”的“%(param)s”必须是数字。", rule=kind.label, param=param.label))
    try:
        value = float(raw.strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        raise RuleError(_("“%(rule)s”的“%(param)s”必须是数字。", rule=kind.label, param=param.label)) from None
    if not math.isfinite(value):
        raise RuleError(_("“%(rule)s”的“%(param)s”必须是数字。", rule=kind.label, param=param.label))
    if value < 0:
        if param.name == "cap":
            raise RuleError(_("“%(rule)s”的封顶分值不能为负数。", rule=kind.label))
        raise RuleError(_("“%(rule)s”的“%(param)s”不能为负数（扣分规则填写扣几分）。", rule=kind.label,
                          param=param.label))
    if param.kind == "percent" and value > 100:
        raise RuleError(_("“%(rule)s”的“%(param)s”不能超过 100%%。", rule=kind.label, param=param.label))
    if param.kind == "days":
        if value != int(value) or value > 3650:
            raise RuleError(_("“%(rule)s”的“%(param)s”须为 0 到 3650 之间的整数。", rule=kind.label,
                              param=param.label))
        return int(value)
    if value > MAX_POINTS:
        raise RuleError(_("“%(rule)s”的“%(param)s”不能超过 %(max)d。", rule=kind.label, param=param.label,
                          max=int(MAX_POINTS)))
    return _round(value)


def check_rules(raw: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rules as they will be stored, or RuleError for the first problem (nothing is saved)."""
    checked: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in raw:
        name = str(item.get("kind") or "").strip()
        _refuse_forbidden(name)
        kind = KINDS.get(name)
        if kind is None:
            raise RuleError(_("未知的评分规则类型：%(kind)s", kind=name[:40] or "—"))
        if name in seen:
            raise RuleError(_("评分规则“%(rule)s”重复了。", rule=kind.label))
        seen.add(name)
        known = {p.name for p in kind.params}
        for extra in item:
            if extra != "kind" and extra not in known:
                _refuse_forbidden(str(extra))
                raise RuleError(_("评分规则“%(rule)s”没有“%(param)s”这一项。", rule=kind.label,
                                  param=str(extra)[:40]))
        rule: dict[str, Any] = {"kind": name}
        for param in kind.params:
            value = item.get(param.name, param.default if param.name != "cap" else None)
            if param.kind == "choice":
                allowed = [c for c, _label in param.choices]
                if value not in allowed:
                    raise RuleError(_("“%(rule)s”的“%(param)s”无效。", rule=kind.label, param=param.label))
                rule[param.name] = value
            else:
                rule[param.name] = _number(kind, param, value)
        checked.append(rule)
    order = list(KINDS)
    return sorted(checked, key=lambda r: order.index(r["kind"]))


def check_base(raw: Any) -> float:
    """The starting score: a number from 0 to 1000."""
    text = "" if raw is None else str(raw).strip()
    try:
        value = float(text) if text else 0.0
    except ValueError:
        raise RuleError(_("基础分必须是数字。")) from None
    if not math.isfinite(value) or value < 0 or value > MAX_POINTS:
        raise RuleError(_("基础分须在 0 到 1000 之间。"))
    return _round(value)


def kind_label(key: str) -> str:
    kind = KINDS.get(key)
    return str(kind.label) if kind else key


def point_label(point: Any) -> str:
    """What a point comes from, in words: "退回", "逾期 5 天", "2026-Q1 未反馈" …"""
    what, value = (point.what, point.value) if not isinstance(point, dict) else (point["what"], point.get("value"))
    if what == "on_time":
        return _("按期办结")
    if what == "done_late":
        return _("逾期 %(days)d 天办结", days=value or 0)
    if what == "overdue":
        return _("超过原定时限 %(days)d 天未办结", days=value or 0)
    if what == "returned":
        return _("退回")
    if what == "missing_report":
        return _("%(period)s 定期反馈未报", period=value)
    if what == "notice_late":
        return _("%(notice)s 未按时反馈", notice=value)
    if what == "threshold":
        return _("按期完成率 %(share)s%%，低于门槛", share=value)
    if what == "acknowledged_late":
        return _("交办后第 %(days)d 个工作日才签收", days=value or 0)
    if what == "unacknowledged":
        return _("交办已 %(days)d 个工作日仍未签收", days=value or 0)
    if what == "early":
        return _("提前 %(days)d 天办结", days=value or 0)
    return what
