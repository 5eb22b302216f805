"""Demo tasks: a few months of work on the first demo plan, made through the same services as the
pages (assigned in the past, with progress, evidence, returns and completions), so that a first
start shows lights of every colour, a ranking and a timeline."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from tracker import access
from tracker.auth.models import User
from tracker.extensions import db
from tracker.plans.models import Measure, MeasureKind, Plan
from tracker.tasks import services
from tracker.tasks.models import ReportingPeriod, UnitRole
from tracker.timeutil import local_today
from tracker.units.models import Unit

#: a minimal real PDF, enough for the content check of evidence uploads
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
            b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n"
            b"%%EOF\n")


def _pdf(name: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(DEMO_PDF), filename=name, content_type="application/pdf")


#: parts of the demo's progress reports: units write in their own words, so few reports repeat
#: another (those that do are what the review's near-copy flag is for)
_OPENINGS = ("{unit}已召开专题会议研究部署，", "{unit}主要负责同志带队实地调研，", "{unit}制定了工作方案和任务清单，")
_MIDDLES = ("明确分管领导和具体责任人，建立周调度机制，", "将任务分解到科室和乡镇，逐项明确完成时限，",
            "协调财政落实专项资金，组织相关单位联合推进，")
_CLOSINGS = ("目前各项工作按计划推进。", "已完成阶段性目标，下一步将加强督促检查。",
             "部分环节进度偏慢，已提出整改措施。")


def _report_text(unit: str, measure: str, number: int) -> str:
    """A report on ``measure``: the 14 units of one measure (consecutive numbers) never share all parts."""
    return (f"围绕“{measure[:24]}”，" + _OPENINGS[number % 3].format(unit=unit) + _MIDDLES[(number // 3) % 3]
            + _CLOSINGS[(number // 9) % 3])


def load_demo_tasks(plan: Plan, supervisor: User, counties: list[Unit], *, now: datetime) -> int:
    """Assign the plan's first measures to the counties 60 days ago and play out their work since."""
    measures = [m for m in db.session.scalars(
        sa.select(Measure).where(Measure.plan_id == plan.id, Measure.kind == MeasureKind.measure)
        .order_by(Measure.position)) if not _has_children(m)][:6]
    if not measures or not counties:
        return 0
    start = now - timedelta(days=60)
    today = local_today(now)
    deadlines = [today - timedelta(days=8), today + timedelta(days=3), today + timedelta(days=20),
                 today + timedelta(days=45), today + timedelta(days=90), today + timedelta(days=150)]
    tasks = []
    for index, measure in enumerate(measures):
        tasks += services.assign(plan, [measure.id], [u.id for u in counties], role=UnitRole.lead,
                                 due_on=deadlines[index % len(deadlines)],
                                 reporting_period=ReportingPeriod.monthly if index == 3 else ReportingPeriod.once,
                                 is_key=index == 0, actor=supervisor, now=start)
    leads = {u.unit_id: u for u in db.session.scalars(
        sa.select(User).where(access.unit_leads_condition(), User.unit_id.in_([c.id for c in counties])))}
    for number, task in enumerate(tasks):
        lead = leads.get(task.unit_id)
        if lead is None:
            continue
        step = number % 7
        when = start + timedelta(days=5 + number % 20)
        if step == 0:
            continue  # not started yet
        services.start(task, actor=lead, now=when)
        if step >= 2:
            services.report_progress(task, actor=lead, text=_report_text(task.unit.name, task.measure.text, number),
                                     percent=30 + 10 * step, now=when + timedelta(days=3))
        if step >= 4:
            # the files prove the task's latest period that has begun by then
            proves = services.evidence_periods(task, local_today(when + timedelta(days=6)))[-1]
            services.add_evidence(task, actor=lead, files=[_pdf(f"{task.unit.name}落实情况佐证材料.pdf")],
                                  note="会议纪要和工作台账", period_key=proves, now=when + timedelta(days=6))
            services.submit(task, actor=lead, note="已按要求完成，请审核。", now=when + timedelta(days=7))
        if step == 5:
            services.return_task(task, actor=supervisor, reason="佐证材料不完整，请补充现场照片和工作台账。",
                                 now=when + timedelta(days=9))
        if step == 6:
            services.approve(task, actor=supervisor, note="材料齐全，同意办结。", now=when + timedelta(days=9))
    db.session.flush()
    return len(tasks)


def _has_children(measure: Measure) -> bool:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Measure)
                             .where(Measure.parent_id == measure.id)) > 0
