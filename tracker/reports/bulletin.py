"""通报: a periodic circular that ranks the units and names the overdue tasks, as an editable .docx.

Official style: A4, title in 小标宋 (宋体 where it is missing) bold and centred, body in 仿宋 16pt
(三号); the East Asian font is set through w:eastAsia, which is what Word uses for Chinese text.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from flask import current_app
from flask_babel import gettext as _

from tracker import timeutil
from tracker.auth.models import User
from tracker.extensions import db
from tracker.plans.models import Measure
from tracker.reports.queries import local_date_of, visible_condition
from tracker.tasks.models import OPEN_STATES, Task, TaskState
from tracker.units.models import Unit

TITLE_FONT = "方正小标宋简体"
FALLBACK_TITLE_FONT = "宋体"
BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
BODY_SIZE = Pt(16)
TABLE_SIZE = Pt(12)


class PeriodError(ValueError):
    """A period that cannot be read; the message is for the user."""


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
    is_open = Task.state.in_(OPEN_STATES)

    def count_if(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    rows = db.session.execute(
        sa.select(Unit.id, Unit.name, sa.func.count().label("due"),
                  count_if(sa.and_(completed, done_day <= Task.original_due_on)).label("on_time"),
                  count_if(sa.and_(completed, done_day > Task.original_due_on)).label("late"),
                  count_if(sa.and_(is_open, Task.due_on < as_of)).label("overdue"),
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
        .where(visible_condition(user), is_open, Task.due_on < as_of, Task.original_due_on <= period.end)
        .order_by(Task.due_on, Unit.sort_order, Unit.id, Measure.position)
        .limit(1000)
    ).all()
    overdue = [OverdueLine(r.name, _measure_label(r.number, r.text), r.due_on, (as_of - r.due_on).days)
               for r in overdue_rows]
    return BulletinData(period, as_of, lines, overdue)


def _measure_label(number: str, text: str) -> str:
    return f"{number_label(number)}{text}" if number else text


def number_label(number: str) -> str:
    """A measure number with its official punctuation: 一、 （一） 1. （1） ①."""
    if not number:
        return ""
    if number[-1:] in "）)、.．" or number[:1] in "（(" or number in "①②③④⑤⑥⑦⑧⑨⑩":
        return number
    if number.isdigit():
        return f"{number}."
    if number.endswith("是"):
        return f"{number}，"
    return f"{number}、"


# --------------------------------------------------------------------------- docx helpers

def set_run_font(run, name: str, size: Pt | None = None, bold: bool | None = None) -> None:
    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), name)
    if size is not None:
        run.font.size = size
    if bold is not None:
        run.font.bold = bold


def new_document() -> Document:
    """An A4 document in official margins (上37 下35 左28 右26 mm) with 仿宋 三号 as the body font."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = BODY_SIZE
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), BODY_FONT)
    return document


def add_title(document: Document, text: str) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(16)
    run = paragraph.add_run(text)
    set_run_font(run, TITLE_FONT, Pt(22), bold=True)
    # Word falls back per character; name 宋体 too so machines without 小标宋 show a serif title
    run._element.rPr.find(qn("w:rFonts")).set(qn("w:cs"), FALLBACK_TITLE_FONT)


def add_body(document: Document, text: str, *, indent: bool = True, bold: bool = False,
             font: str = BODY_FONT, align=None) -> None:
    paragraph = document.add_paragraph()
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(32)
    paragraph.paragraph_format.line_spacing = Pt(28)
    if align is not None:
        paragraph.alignment = align
    run = paragraph.add_run(text)
    set_run_font(run, font, BODY_SIZE, bold=bold)


def add_table(document: Document, header: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        set_run_font(run, HEADING_FONT, TABLE_SIZE, bold=True)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = ""
            set_run_font(cell.paragraphs[0].add_run(str(text)), BODY_FONT, TABLE_SIZE)


def to_bytes(document: Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- the bulletin

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
    add_body(document, data.as_of.strftime("%Y年%m月%d日").replace("年0", "年").replace("月0", "月"),
             indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    return to_bytes(document)
