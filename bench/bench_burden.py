"""Benchmark: the review flags and the burden view over 5,000 reports and 40,000 outbox rows.

Seeds a temporary SQLite file (200 units, one plan of 25 measures, a task per measure and unit,
one report per task composed from a pool of real-looking phrases, one unit in ten copying the
previous unit's report with one figure changed, and 40,000 reminder rows in the outbox) and times, in the same run:

- ``report_flags`` for one task (what the task page runs for a reviewer), against the plain
  read of the same 5,000 candidate rows it compares with: the first check (every text folded)
  is the verdict, a later one (texts already folded) is printed beside it;
- ``report_flags`` for a review queue of 50 submitted tasks (newest report of each);
- ``unit_loads`` for the year over every unit (reminders deduplicated per fact and local day,
  notices, report periods, reports filed), against a plain ``GROUP BY`` count per unit of the same
  reminder rows joined to their tasks' units (the naive count that multiplies recipients and
  channels).

Targets: one task's flags within 10x of the plain read; the burden view within 8x of the
``GROUP BY`` (it converts every reminder's time to a local date to count each fact once a day,
which the naive count does not; on SQLite that conversion alone costs about as much as the
``GROUP BY``). Run from the repository root:

    .venv/bin/python bench/bench_burden.py
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.auth.models import Role, User  # noqa: E402
from tracker.burden import queries  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.notify.models import OutboxEmail  # noqa: E402
from tracker.plans.models import Measure, Plan  # noqa: E402
from tracker.tasks.models import ProgressReport, Task  # noqa: E402
from tracker.units.models import Unit  # noqa: E402

UNITS = 200
MEASURES = 25
OUTBOX = 40_000
PHRASES = [
    "已完成全区中小学图书的采购与编目", "组织召开推进会{n}次", "建立了问题清单和责任清单", "部分学校图书馆场地不足",
    "{n}月底前完成数字化借阅系统上线", "成立了由主要负责同志任组长的工作专班", "明确分管领导和责任科室",
    "完成老旧管网排查{n}.6公里", "改造{n}.2公里，完成年度计划的{n}5%", "开展食品安全专项检查{n}6次",
    "检查经营主体{n}80家", "责令整改问题{n}3个", "立案查处{n}起", "群众投诉办结率100%",
    "完成{n}个行政村人居环境整治", "新建公厕{n}2座", "生活垃圾分类覆盖率达到8{n}%", "正在推进污水管网向自然村延伸",
    "下一步将继续抓好落实", "存在的主要问题是资金缺口较大", "已向上级部门争取专项资金{n}00万元",
    "制定了实施方案并印发各单位", "开展督导检查{n}轮", "形成工作台账并按月更新",
]


def report_text(rng: random.Random) -> str:
    picked = rng.sample(PHRASES, rng.randint(4, 8))
    return "，".join(p.format(n=rng.randint(1, 9)) for p in picked) + "。"


def seed() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    rng = random.Random(7)
    db.session.execute(sa.insert(Unit), [{"id": 1, "name": "示范市", "code": "root", "kind": "region",
                                          "sort_order": 0, "is_active": True, "created_at": now, "updated_at": now}])
    db.session.execute(sa.insert(Unit), [
        {"id": i + 2, "name": f"第{i + 1}县", "code": f"c{i + 1}", "kind": "county", "parent_id": 1, "sort_order": i,
         "is_active": True, "created_at": now, "updated_at": now} for i in range(UNITS)])
    db.session.execute(sa.insert(User), [{"id": 1, "email": "s@example.cn", "name": "王督办",
                                          "role": Role.supervisor.value, "password_hash": "x", "is_active": True,
                                          "created_at": now, "updated_at": now}])
    db.session.execute(sa.insert(Plan), [{"id": 1, "title": "2026年重点工作", "state": "active", "supervisor_id": 1,
                                          "source_text": "", "is_deleted": False, "created_at": now,
                                          "updated_at": now}])
    db.session.execute(sa.insert(Measure), [
        {"id": m + 1, "plan_id": 1, "position": m, "level": 2, "number": str(m + 1), "text": f"措施{m + 1}",
         "kind": "measure", "is_inline": False, "suggestions": {}} for m in range(MEASURES)])
    tasks, reports = [], []
    for u in range(UNITS):
        for m in range(MEASURES):
            task_id = u * MEASURES + m + 1
            tasks.append({"id": task_id, "measure_id": m + 1, "plan_id": 1, "unit_id": u + 2, "role": "lead",
                          "state": "submitted", "due_on": date(2026, 12, 31), "original_due_on": date(2026, 12, 31),
                          "assigned_on": date(2026, 1, 10), "reporting_period": "quarterly", "is_key": False,
                          "evidence_required": False, "return_count": 0, "progress_percent": 50, "version": 1,
                          "created_at": now, "updated_at": now})
            text = report_text(rng)
            if u % 10 == 9:  # one unit in ten copies the previous unit's report, one figure changed
                text = reports[-MEASURES]["text"].replace("1", "2", 1)
            reports.append({"id": task_id, "task_id": task_id, "text": text, "percent": 50,
                            "created_at": now - timedelta(minutes=100_000 - task_id)})
    db.session.execute(sa.insert(Task), tasks)
    db.session.execute(sa.insert(ProgressReport), reports)
    kinds = ["task_due", "task_overdue", "task_report", "task_assigned"]
    db.session.execute(sa.insert(OutboxEmail), [
        {"dedupe_key": f"k{i}", "to_addr": "a@example.cn", "cc_addrs": [], "subject": "提醒", "body_text": "",
         "reason": "", "kind": kinds[i % 4], "attachments": [], "status": "sent", "attempts": 1,
         "created_at": now - timedelta(minutes=rng.randint(0, 200_000)), "next_attempt_at": now,
         "related_type": "task", "related_id": rng.randint(1, UNITS * MEASURES)} for i in range(OUTBOX)])
    db.session.commit()


def timed(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    folder = tempfile.mkdtemp()
    app = create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
                      "INSTANCE_PATH": folder})
    with app.app_context():
        db.create_all()
        seed()
        user = db.session.get(User, 1)
        task = db.session.get(Task, 1)
        queue = list(db.session.scalars(sa.select(Task).where(Task.measure_id == 1).limit(50)))
        candidates = sa.select(ProgressReport.id, ProgressReport.task_id, Task.unit_id, ProgressReport.text,
                               ProgressReport.created_at).join(Task, Task.id == ProgressReport.task_id).where(
                                   Task.plan_id == 1).order_by(ProgressReport.id.desc()).limit(queries.CANDIDATES)
        plain_read = timed(lambda: db.session.execute(candidates).all())
        # the first check folds every candidate; later ones find them folded (reports never change)
        one_task = timed(lambda: queries.report_flags([task], user), repeat=1)
        one_task_warm = timed(lambda: queries.report_flags([task], user))
        review_queue = timed(lambda: queries.report_flags(queue, user, latest_only=True), repeat=3)
        flagged = sum(len(v) for v in queries.report_flags(queue, user, latest_only=True).values())
        start, end = datetime(2025, 12, 31, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC)
        group_by = (sa.select(Task.unit_id, sa.func.count()).select_from(OutboxEmail)
                    .join(Task, sa.and_(OutboxEmail.related_type == "task", Task.id == OutboxEmail.related_id))
                    .where(OutboxEmail.kind.in_(queries.REQUEST_KINDS), OutboxEmail.created_at > start,
                           OutboxEmail.created_at <= end).group_by(Task.unit_id))
        plain_count = timed(lambda: db.session.execute(group_by).all())
        burden = timed(lambda: queries.unit_loads(user, 2026), repeat=3)
    ratio_flags = one_task / plain_read
    ratio_burden = burden / plain_count
    print(f"  reports {UNITS * MEASURES}, outbox rows {OUTBOX}")
    print(f"  plain read of the candidates     {plain_read * 1000:8.1f} ms")
    print(f"  flags of one task                {one_task * 1000:8.1f} ms   ratio {ratio_flags:5.2f}"
          f"  (target <= 10: {'met' if ratio_flags <= 10 else 'NOT met'})")
    print(f"  the same, texts already folded   {one_task_warm * 1000:8.1f} ms   "
          f"ratio {one_task_warm / plain_read:5.2f}")
    print(f"  flags of a 50-task review queue  {review_queue * 1000:8.1f} ms   ({flagged} flagged)")
    print(f"  plain GROUP BY of the reminders  {plain_count * 1000:8.1f} ms")
    print(f"  burden view, every unit, a year  {burden * 1000:8.1f} ms   ratio {ratio_burden:5.2f}"
          f"  (target <= 8: {'met' if ratio_burden <= 8 else 'NOT met'})")
    return 0 if ratio_flags <= 10 and ratio_burden <= 8 else 1


if __name__ == "__main__":
    sys.exit(main())
