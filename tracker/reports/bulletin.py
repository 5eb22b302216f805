"""通报: a periodic circular that ranks the units and names the overdue tasks, as an editable .docx.

Official style: A4, title in 小标宋 (宋体 where it is missing) bold and centred, body in 仿宋 16pt
(三号); the East Asian font is set through w:eastAsia, which is what Word uses for Chinese text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from docx.enum.text import WD_ALIGN_PARAGRAPH
from flask import current_app
from flask_babel import gettext as _

from tracker import timeutil
from tracker.auth.models import User
from tracker.documents import HEADING_FONT, add_paragraph, add_table, add_title, cn_date, new_document, to_bytes
from tracker.errors import UserError
from tracker.extensions import db
from tracker.plans.models import Measure, number_label
from tracker.reports.queries import local_date_of, visible_condition
from tracker.tasks.models import Task, TaskState
from tracker.units.models import Unit


class PeriodError(UserError):
    """A period that cannot be read; the message is for the user."""

    status = 400
    code = "bad_request"


@dataclass
class Period:
    key: str
    start: date
    end: date

    @property
    def label(self) -> str:
        match = re.fullmatch(r"(\d{4})-H([12])", self.key)
        if match:
            return _("%(y)s年%(h)s", y=match.group(1), h=_("上半年") if match.group(2) == "1" else _("下半年"))
        match = re.fullmatch(r"(\d{4})-Q([1-4])", self.key)
        if match:
            return _("%(y)s年第%(q)s季度", y=match.group(1), q="一二三四"[int(match.group(2)) - 1])
        match = re.fullmatch(r"(\d{4})-(\d{2})", self.key)
        if match:
            return _("%(y)s年%(m)d月", y=match.group(1), m=int(match.group(2)))
        if re.fullmatch(r"\d{4}", self.key):
            return _("%(y)s年", y=self.key)
        return _("%(start)s至%(end)s", start=self.start.isoformat(), end=self.end.isoformat())


def _month_end(year: int, month: int) -> date:
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)


def parse_period(period: str | None, start: str | None = None, end: str | None = None) -> Period:
    """2026, 2026-H1, 2026-Q2, 2026-03, or a start and end date."""
    period = (period or "").strip()
    try:
        if period:
            if m := re.fullmatch(r"(\d{4})", period):
                y = int(m.group(1))
                return Period(period, date(y, 1, 1), date(y, 12, 31))
            if m := re.fullmatch(r"(\d{4})-H([12])", period, re.I):
                y, h = int(m.group(1)), int(m.group(2))
                key = f"{y}-H{h}"
                return Period(key, date(y, 1, 1), date(y, 6, 30)) if h == 1 else Period(key, date(y, 7, 1),
                                                                                        date(y, 12, 31))
            if m := re.fullmatch(r"(\d{4})-Q([1-4])", period, re.I):
                y, q = int(m.group(1)), int(m.group(2))
                return Period(f"{y}-Q{q}", date(y, 3 * q - 2, 1), _month_end(y, 3 * q))
            if m := re.fullmatch(r"(\d{4})-(\d{1,2})", period):
                y, mo = int(m.group(1)), int(m.group(2))
                return Period(f"{y}-{mo:02d}", date(y, mo, 1), _month_end(y, mo))
            raise PeriodError(_("无法识别的期间：%(p)s（例如 2026-H1、2026-Q2、2026-03）。", p=period[:20]))
        if start and end:
            first, last = date.fromisoformat(start.strip()), date.fromisoformat(end.strip())
            if first > last:
                raise PeriodError(_("开始日期不能晚于结束日期。"))
            if (last - first).days > 366 * 5:
                raise PeriodError(_("期间不能超过五年。"))
            return Period(f"{first.isoformat()}~{last.isoformat()}", first, last)
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(_("日期或期间无效。")) from exc
    raise PeriodError(_("请选择期间，或填写开始和结束日期。"))


@dataclass
class UnitLine:
    rank: int
    unit_name: str
    due: int
    on_time: int
    late: int
    overdue: int
    returns: int

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.on_time / self.due, 1) if self.due else None


@dataclass
class OverdueLine:
    unit_name: str
    measure: str
    due_on: date
    days: int


@dataclass
class BulletinData:
    period: Period
    as_of: date
    units: list[UnitLine]
    overdue: list[OverdueLine]

    @property
    def total_due(self) -> int:
        return sum(u.due for u in self.units)

    @property
    def total_on_time(self) -> int:
        return sum(u.on_time for u in self.units)

    @property
    def total_late(self) -> int:
        return sum(u.late for u in self.units)

    @property
    def total_overdue(self) -> int:
        return len(self.overdue)


def bulletin_data(user: User, period: Period, now: datetime) -> BulletinData:
    """Tasks whose original deadline falls in the period, by unit (one grouped query), and the
    open tasks past their deadline as of the period end or today, whichever comes first."""
    today = timeutil.local_today(now)
    as_of = min(today, period.end)
    completed = Task.state == TaskState.completed
    done_day = local_date_of(Task.completed_at, now)

    def count_if(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    rows = db.session.execute(
        sa.select(Unit.id, Unit.name, sa.func.count().label("due"),
                  count_if(sa.and_(completed, done_day <= Task.original_due_on)).label("on_time"),
                  count_if(sa.and_(completed, done_day > Task.original_due_on)).label("late"),
                  count_if(Task.overdue_condition(as_of)).label("overdue"),
                  sa.func.coalesce(sa.func.sum(Task.return_count), 0).label("returns"))
        .join(Unit, Unit.id == Task.unit_id)
        .where(visible_condition(user), Task.state != TaskState.cancelled,
               Task.original_due_on >= period.start, Task.original_due_on <= period.end)
        .group_by(Unit.id, Unit.name)
    ).all()
    lines = [UnitLine(0, r.name, r.due, r.on_time, r.late, r.overdue, r.returns) for r in rows]
    lines.sort(key=lambda u: (-(u.rate or 0), u.overdue, u.unit_name))
    for rank, line in enumerate(lines, start=1):
        line.rank = rank
    overdue_rows = db.session.execute(
        sa.select(Unit.name, Measure.number, Measure.text, Task.due_on)
        .join(Unit, Unit.id == Task.unit_id).join(Measure, Measure.id == Task.measure_id)
        .where(visible_condition(user), Task.overdue_condition(as_of), Task.original_due_on <= period.end)
        .order_by(Task.due_on, Unit.sort_order, Unit.id, Measure.position)
        .limit(1000)
    ).all()
    overdue = [OverdueLine(r.name, _measure_label(r.number, r.text), r.due_on, (as_of - r.due_on).days)
               for r in overdue_rows]
    return BulletinData(period, as_of, lines, overdue)


def _measure_label(number: str, text: str) -> str:
    return f"{number_label(number)}{text}"


# --------------------------------------------------------------------------- the bulletin

def add_body(document, text: str, *, indent: bool = True, bold: bool = False, font: str | None = None,
             align=None) -> None:
    """A body paragraph: 仿宋 三号, indented two characters unless told otherwise."""
    extra = {"font": font} if font else {}
    add_paragraph(document, text, indent=indent, bold=bold, align=align, **extra)


def bulletin_docx(data: BulletinData) -> bytes:
    organisation = current_app.config.get("ORGANISATION_NAME") or ""
    document = new_document()
    add_title(document, _("关于%(period)s重点工作任务落实情况的通报", period=data.period.label))
    rate = f"{100.0 * data.total_on_time / data.total_due:.1f}%" if data.total_due else "—"
    add_body(document, _(
        "%(period)s（%(start)s至%(end)s），应完成重点工作任务%(due)d项，按期完成%(on_time)d项，"
        "逾期完成%(late)d项，按期完成率%(rate)s；截至%(as_of)s，仍有%(overdue)d项任务超过时限未办结。"
        "现将有关情况通报如下。",
        period=data.period.label, start=data.period.start.isoformat(), end=data.period.end.isoformat(),
        due=data.total_due, on_time=data.total_on_time, late=data.total_late, rate=rate,
        as_of=data.as_of.isoformat(), overdue=data.total_overdue))
    add_body(document, _("一、各责任单位完成情况排名"), font=HEADING_FONT)
    add_table(document, [_("排名"), _("责任单位"), _("应完成"), _("按期完成"), _("逾期完成"), _("超期未办结"),
                         _("退回次数"), _("按期完成率")],
              [[str(u.rank), u.unit_name, str(u.due), str(u.on_time), str(u.late), str(u.overdue), str(u.returns),
                f"{u.rate:.1f}%" if u.rate is not None else "—"] for u in data.units])
    add_body(document, _("二、超期未办结任务"), font=HEADING_FONT)
    if data.overdue:
        add_table(document, [_("序号"), _("责任单位"), _("工作任务"), _("完成时限"), _("超期天数")],
                  [[str(i), o.unit_name, o.measure, o.due_on.isoformat(), str(o.days)]
                   for i, o in enumerate(data.overdue, start=1)])
    else:
        add_body(document, _("本期无超期未办结任务。"))
    add_body(document, _("三、下一步工作要求"), font=HEADING_FONT)
    add_body(document, _("请超期未办结任务的责任单位认真分析原因，明确整改措施和完成时限，"
                         "于通报印发后5个工作日内将整改情况报送督查督办室。"))
    add_body(document, organisation, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    add_body(document, cn_date(data.as_of),
             indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    return to_bytes(document)
