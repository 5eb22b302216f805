"""通报: a periodic circular that ranks the units and names the overdue tasks, as an official
document (GB/T 9704, ``tracker.documents``) in .docx and PDF, numbered once per period in its own
series (督通〔2026〕N号).

When a score for the period has been published (``tracker.scoring``), the ranking follows that
snapshot and says so; a live ranking is never used for it. Without one, units are ranked by their
on-time share and the 通报 says the score is not yet published. The units' progress classes
(序时进度) have their own section."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from tracker import access, audit, timeutil
from tracker import documents as docs
from tracker.auth.models import User
from tracker.documents import cn_date
from tracker.errors import UserError
from tracker.extensions import db
from tracker.notices.models import SERIES_BULLETIN, IssuedDocument
from tracker.plans.models import Measure, number_label
from tracker.reports.progress_counts import ProgressLine, progress_by_unit
from tracker.reports.queries import local_date_of, visible_condition
from tracker.scoring import queries as scoring_queries
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
        return _("%(start)s至%(end)s", start=cn_date(self.start), end=cn_date(self.end))


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
            if m := re.fullmatch(r"(\d{4})年?(上|下)半年", period):
                period = f"{m.group(1)}-H{1 if m.group(2) == '上' else 2}"
            if m := re.fullmatch(r"(\d{4})年?", period):
                y = int(m.group(1))
                return Period(str(y), date(y, 1, 1), date(y, 12, 31))
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
            raise PeriodError(_("无法识别的期间：%(p)s（例如 2026-H1、2026年下半年、2026-Q2、2026-03）。",
                                p=period[:20]))
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
    unit_id: int = 0
    #: the unit's total in the published snapshot, if one ranks the period
    score: float | None = None

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
class SnapshotRef:
    """The published score a 通报 ranks by."""

    number_label: str
    published_on: date
    version: int


@dataclass
class BulletinData:
    period: Period
    as_of: date
    units: list[UnitLine]
    overdue: list[OverdueLine]
    snapshot: SnapshotRef | None = None
    progress: list[ProgressLine] = field(default_factory=list)

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
    lines = [UnitLine(0, r.name, r.due, r.on_time, r.late, r.overdue, r.returns, r.id) for r in rows]
    lines.sort(key=lambda u: (-(u.rate or 0), u.overdue, u.unit_name))
    for rank, line in enumerate(lines, start=1):
        line.rank = rank
    snapshot = scoring_queries.latest_snapshot(user, period.key)
    ref = None
    if snapshot is not None:
        ref = SnapshotRef(snapshot.number_label, snapshot.published_on, snapshot.rule_set.version)
        lines = _ranked_by_snapshot(lines, scoring_queries.snapshot_lines(snapshot))
    overdue_rows = db.session.execute(
        sa.select(Unit.name, Measure.number, Measure.text, Task.due_on)
        .join(Unit, Unit.id == Task.unit_id).join(Measure, Measure.id == Task.measure_id)
        .where(visible_condition(user), Task.overdue_condition(as_of), Task.original_due_on <= period.end)
        .order_by(Task.due_on, Unit.sort_order, Unit.id, Measure.position)
        .limit(1000)
    ).all()
    overdue = [OverdueLine(r.name, _measure_label(r.number, r.text), r.due_on, (as_of - r.due_on).days)
               for r in overdue_rows]
    return BulletinData(period, as_of, lines, overdue, ref, progress_by_unit(user, period.start, as_of))


def _ranked_by_snapshot(lines: list[UnitLine], published: dict[int, Any]) -> list[UnitLine]:
    """The snapshot's ranks and totals; units it does not score follow, unranked."""
    for line in lines:
        found = published.get(line.unit_id)
        line.rank, line.score = (found.rank, found.total) if found is not None else (0, None)
    return sorted(lines, key=lambda u: (u.score is None, u.rank, u.unit_name))


def _measure_label(number: str, text: str) -> str:
    return f"{number_label(number)}{text}"


# --------------------------------------------------------------------------- the bulletin

def bulletin_number(period: Period, *, actor: User | None, now: datetime) -> IssuedDocument:
    """The period's 通报 number: taken the first time the 通报 is generated, the same ever after.
    The series is locked first, so two people generating at once get one number, not two."""
    from tracker.notices.services import doc_code, lock_series, next_serial

    if actor is not None:
        access.check(access.can_see_reports(actor))
    today = timeutil.local_today(now)
    lock_series(SERIES_BULLETIN, today.year)
    existing = db.session.scalar(sa.select(IssuedDocument).where(IssuedDocument.series == SERIES_BULLETIN,
                                                                 IssuedDocument.key == period.key))
    if existing is not None:
        return existing
    issued = IssuedDocument(series=SERIES_BULLETIN, key=period.key, doc_code=doc_code(SERIES_BULLETIN),
                            year=today.year, serial=next_serial(SERIES_BULLETIN, today.year), issued_on=today,
                            issued_by_id=getattr(actor, "id", None), created_at=now)
    db.session.add(issued)
    db.session.flush()
    audit.record(actor, "bulletin.numbered", issued, {"number": issued.number_label, "period": period.key}, now=now)
    return issued


def percent(value: float | None) -> str:
    return f"{value:.1f}%" if value is not None else "—"


def bulletin_document(data: BulletinData, number: IssuedDocument) -> docs.OfficialDocument:
    """The 通报 as an official document: 一、 the ranking, 二、 the overdue tasks, 三、 what is asked."""
    rate = percent(100.0 * data.total_on_time / data.total_due) if data.total_due else "—"
    blocks: list = [docs.Para(_(
        "%(period)s（%(start)s至%(end)s），应完成重点工作任务%(due)d项，按期完成%(on_time)d项，"
        "逾期完成%(late)d项，按期完成率%(rate)s；截至%(as_of)s，仍有%(overdue)d项任务超过时限未办结。"
        "现将有关情况通报如下。",
        period=data.period.label, start=cn_date(data.period.start), end=cn_date(data.period.end),
        due=data.total_due, on_time=data.total_on_time, late=data.total_late, rate=rate,
        as_of=cn_date(data.as_of), overdue=data.total_overdue))]
    blocks.append(docs.Para(_("一、各责任单位完成情况排名"), level=1))
    if data.snapshot is not None:
        blocks.append(docs.Para(_("本通报排名依据已发布的评分结果%(n)s（%(date)s发布，第%(v)d版评分规则），"
                                  "各单位得分及扣加分依据可在督办系统中查询。", n=data.snapshot.number_label,
                                  date=cn_date(data.snapshot.published_on), v=data.snapshot.version)))
    else:
        blocks.append(docs.Para(_("本期评分尚未发布，以下按按期完成率排名。")))
    if data.units and data.snapshot is not None:
        blocks.append(docs.Table(
            [_("排名"), _("责任单位"), _("得分"), _("应完成"), _("按期完成"), _("逾期完成"), _("超期未办结"),
             _("退回次数")],
            [[str(u.rank) if u.score is not None else "—", u.unit_name,
              f"{u.score:g}" if u.score is not None else "—", str(u.due), str(u.on_time), str(u.late),
              str(u.overdue), str(u.returns)] for u in data.units], wide=(1,)))
    elif data.units:
        blocks.append(docs.Table(
            [_("排名"), _("责任单位"), _("应完成"), _("按期完成"), _("逾期完成"), _("超期未办结"), _("退回次数"),
             _("按期完成率")],
            [[str(u.rank), u.unit_name, str(u.due), str(u.on_time), str(u.late), str(u.overdue), str(u.returns),
              percent(u.rate)] for u in data.units], wide=(1,)))
    else:
        blocks.append(docs.Para(_("本期没有到期的任务。")))
    blocks.append(docs.Para(_("二、超期未办结任务"), level=1))
    if data.overdue:
        blocks.append(docs.Table([_("序号"), _("责任单位"), _("工作任务"), _("完成时限"), _("超期天数")],
                                 [[str(i), o.unit_name, o.measure, cn_date(o.due_on), str(o.days)]
                                  for i, o in enumerate(data.overdue, start=1)], wide=(2,)))
    else:
        blocks.append(docs.Para(_("本期无超期未办结任务。")))
    blocks.append(docs.Para(_("三、序时进度情况"), level=1))
    if data.progress:
        behind = [p.name for p in data.progress if p.behind]
        blocks.append(docs.Para(
            _("截至%(as_of)s，按报送进度与时间进度比较，欠进度任务%(n)d项，涉及%(units)s。",
              as_of=cn_date(data.as_of), n=sum(p.behind for p in data.progress), units="、".join(behind))
            if behind else _("截至%(as_of)s，没有欠进度的任务。", as_of=cn_date(data.as_of))))
        blocks.append(docs.Table([_("序号"), _("责任单位"), _("超进度"), _("达进度"), _("欠进度"), _("已完成")],
                                 [[str(i), p.name, str(p.ahead), str(p.on_pace), str(p.behind), str(p.done)]
                                  for i, p in enumerate(data.progress, start=1)], wide=(1,)))
    else:
        blocks.append(docs.Para(_("本期没有在办任务。")))
    blocks.append(docs.Para(_("四、下一步工作要求"), level=1))
    blocks.append(docs.Para(_("请超期未办结任务的责任单位认真分析原因，明确整改措施和完成时限，"
                              "于通报印发后5个工作日内将整改情况报送督查督办室。")))
    return docs.from_config(current_app.config, number=number.number_label,
                            title=_("关于%(period)s重点工作任务落实情况的通报", period=data.period.label),
                            addressee=_("各责任单位"),
                            blocks=blocks, signed_on=number.issued_on)


def bulletin_docx(data: BulletinData, number: IssuedDocument) -> bytes:
    return docs.render_docx(bulletin_document(data, number))


def bulletin_pdf(data: BulletinData, number: IssuedDocument) -> bytes:
    return docs.render_pdf(bulletin_document(data, number))
