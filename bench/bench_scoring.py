"""Unit scores for 100,000 tasks and 2,000,000 audit events (SQLite file database).

Seeds 200 units, 5 plans, 500 measures, 100,000 tasks due in 2026, 2,000,000 audit entries (an
assignment, starts, progress, files, submissions, returns and acceptances per task, and other
objects' events, a 签收 for most), periodic reports and a 督办单 per unit, all with bulk core inserts.
Then times the ranking of the year under the default rules plus the early-completion bonus and
未按时签收, as the ranking page and
the what-if view compute it (each rule's SQL twin: points per unit summed in GROUP BY queries, capped
and ranked) next to plain SQL GROUP BY counts over the same events, in the same run. Target: the
ranking within 5x of the GROUP BY. Also printed: every point made with its event (the export and a
published snapshot), which must give the same ranks and totals.
Run from the repository root: ``.venv/bin/python bench/bench_scoring.py``.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.audit import AuditEntry  # noqa: E402
from tracker.auth.models import Role, User  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.notices.models import NoticeItem, NoticeKind, SupervisionNotice  # noqa: E402
from tracker.plans.models import Measure, Plan, PlanState  # noqa: E402
from tracker.reports.bulletin import parse_period  # noqa: E402
from tracker.scoring import services  # noqa: E402
from tracker.scoring.rules import check_rules  # noqa: E402
from tracker.tasks.models import ProgressReport, Task, UnitRole  # noqa: E402
from tracker.units.models import Unit, UnitKind  # noqa: E402

TASKS, EVENTS, UNITS, PLANS, MEASURES = 100_000, 2_000_000, 200, 5, 500
NOW = datetime(2027, 1, 10, 2, 0, tzinfo=UTC)
TARGET = 5.0
FILLER = ("task.progress", "task.evidence_added", "task.started", "task.owner_changed", "task.flags_changed")


def _at(day: date, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=rng.randint(0, 12))


def seed(rng: random.Random) -> int:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    conn = db.session.connection()
    conn.execute(sa.insert(Unit.__table__), [
        {"id": i, "name": f"单位{i}", "code": f"u{i}", "kind": UnitKind.county.value if i <= 20 else "department",
         "parent_id": None if i <= 20 else rng.randint(1, 20), "sort_order": i, "is_active": True,
         "created_at": now, "updated_at": now} for i in range(1, UNITS + 1)])
    admin = User(email="admin@example.cn", name="管理员", role=Role.admin)
    admin.set_password("bench-password-1")
    db.session.add(admin)
    db.session.flush()
    conn.execute(sa.insert(Plan.__table__), [
        {"id": p, "title": f"2026年重点工作方案{p}", "state": PlanState.active.value, "supervisor_id": admin.id,
         "source_text": "", "is_deleted": False, "created_at": now, "updated_at": now} for p in range(1, PLANS + 1)])
    conn.execute(sa.insert(Measure.__table__), [
        {"id": m, "plan_id": (m - 1) % PLANS + 1, "parent_id": None, "position": m, "level": 2, "number": str(m),
         "text": f"推进第{m}项重点工作。", "kind": "measure", "is_inline": False, "suggestions": {}}
        for m in range(1, MEASURES + 1)])

    tasks, events, reports = [], [], []
    periods = ("once", "once", "monthly", "quarterly", "half_yearly")
    task_id = 0
    for m in range(1, MEASURES + 1):
        for unit_id in rng.sample(range(1, UNITS + 1), TASKS // MEASURES):
            task_id += 1
            assigned = date(2026, 1, 5) + timedelta(days=rng.randint(0, 150))
            due = assigned + timedelta(days=rng.randint(30, 200))
            state = rng.choice(("completed", "completed", "completed", "in_progress", "submitted", "returned"))
            returns = rng.choice((0, 0, 0, 1, 2)) if state != "returned" else 1
            done = min(due + timedelta(days=rng.randint(-25, 15)), date(2026, 12, 31))
            done = max(done, assigned + timedelta(days=1))
            period = rng.choice(periods)
            # 签收: most the day it arrives or within days, a few late, some backfilled, a few never
            wait = rng.choice((0, 0, 0, 1, 1, 2, 3, 5, 8, None)) if state != "completed" else rng.choice((0, 1, 4))
            acked = None if wait is None else _at(assigned + timedelta(days=wait), rng)
            tasks.append({"id": task_id, "measure_id": m, "plan_id": (m - 1) % PLANS + 1, "unit_id": unit_id,
                          "role": UnitRole.lead.value, "state": state, "due_on": due, "original_due_on": due,
                          "assigned_on": assigned, "reporting_period": period, "is_key": False,
                          "evidence_required": True, "return_count": returns,
                          "progress_percent": 100 if state == "completed" else rng.randint(0, 90),
                          "completed_at": _at(done, rng) if state == "completed" else None, "version": 1,
                          "acknowledged_at": acked,
                          "acknowledged_via": None if acked is None else rng.choice(("signed_in",) * 9 + ("backfill",)),
                          "created_at": now, "updated_at": now})
            base = {"actor_id": admin.id, "object_type": "task", "object_id": task_id, "data": {}}
            events.append({**base, "at": _at(assigned, rng), "action": "task.assigned"})
            if acked is not None:
                events.append({**base, "at": acked, "action": "task.acknowledged"})
            for r in range(returns):
                events.append({**base, "at": _at(assigned + timedelta(days=10 + r), rng), "action": "task.returned"})
            if state == "completed":
                events.append({**base, "at": _at(done, rng), "action": "task.approved"})
            if period != "once" and rng.random() < .6:
                reports.append({"task_id": task_id, "text": "按计划推进。", "period_key": "2026-Q1" if period ==
                                "quarterly" else ("2026-H1" if period == "half_yearly" else "2026-03"),
                                "created_at": now})
            if len(tasks) >= 10_000:
                conn.execute(sa.insert(Task.__table__), tasks)
                tasks = []
    if tasks:
        conn.execute(sa.insert(Task.__table__), tasks)
    conn.execute(sa.insert(ProgressReport.__table__), reports)

    # one 督办单 per unit, listing 40 of its tasks, a third answered late or not at all
    unit_tasks: dict[int, list[int]] = {}
    for tid, uid in conn.execute(sa.select(Task.id, Task.unit_id)):
        unit_tasks.setdefault(uid, []).append(tid)
    items = []
    for serial, uid in enumerate(range(1, UNITS + 1), start=1):
        conn.execute(sa.insert(SupervisionNotice.__table__).values(
            id=serial, kind=NoticeKind.supervision.value, unit_id=uid, period_key="2026-H1", series="supervision",
            doc_code="督办", year=2026, serial=serial, issued_on=date(2026, 5, 10), reply_by=date(2026, 5, 25),
            requirements="", issuer_name="督查室", created_at=now))
        events.append({"actor_id": admin.id, "object_type": "supervision_notice", "object_id": serial, "data": {},
                       "at": _at(date(2026, 5, 10), rng), "action": "notice.issued"})
        for position, tid in enumerate(unit_tasks.get(uid, [])[:40], start=1):
            answered = rng.choice((None, _at(date(2026, 5, 20), rng), _at(date(2026, 5, 20), rng),
                                   _at(date(2026, 6, 5), rng)))
            items.append({"notice_id": serial, "task_id": tid, "position": position, "snapshot": {},
                          "answered_at": answered})
    conn.execute(sa.insert(NoticeItem.__table__), items)

    # the rest of the two million: everyday events of the tasks and of other objects
    while len(events) < EVENTS:
        tid = rng.randint(1, TASKS)
        if rng.random() < .8:
            events.append({"actor_id": admin.id, "object_type": "task", "object_id": tid, "data": {},
                           "at": _at(date(2026, 1, 5) + timedelta(days=rng.randint(0, 360)), rng),
                           "action": rng.choice(FILLER)})
        else:
            events.append({"actor_id": admin.id, "object_type": rng.choice(("user", "plan", "outbox_email")),
                           "object_id": rng.randint(1, 5000), "data": {},
                           "at": _at(date(2026, 1, 5) + timedelta(days=rng.randint(0, 360)), rng),
                           "action": rng.choice(("user.login", "plan.updated", "outbox.sent"))})
    rng.shuffle(events)
    events.sort(key=lambda e: e["at"])
    for i in range(0, len(events), 50_000):
        conn.execute(sa.insert(AuditEntry.__table__), events[i:i + 50_000])
    db.session.commit()
    return len(events)


def timed(work, runs: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _i in range(runs):
        start = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    # seeding takes minutes: BENCH_SCORING_DB names a database file to seed once and reuse
    path = os.environ.get("BENCH_SCORING_DB") or os.path.join(tempfile.mkdtemp(prefix="bench-scoring-"),
                                                               "bench.sqlite")
    reuse = os.path.exists(path)
    app = create_app({"CONFIG": "testing", "INSTANCE_PATH": os.path.join(os.path.dirname(path), "instance"),
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + path})
    with app.app_context(), app.test_request_context():
        if reuse:
            print(f"reusing the seeded database {os.path.basename(path)}")
        else:
            db.create_all()
            start = time.perf_counter()
            count = seed(random.Random(18))
            print(f"seeded {TASKS:,} tasks and {count:,} audit events in {time.perf_counter() - start:.1f} s")
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        print(f"{events:,} audit events")

        scope = services.parse_scope("year:2026", NOW)
        period = parse_period("2026")
        rules = check_rules(services.rules_in_force(scope.key).rules
                            + [{"kind": "early", "points": 0.5, "days": 7},
                               {"kind": "unacknowledged", "points": 1, "days": 2}])
        per_task = sa.text("SELECT object_id, count(*) FROM audit_entry WHERE object_type = 'task' GROUP BY object_id")
        per_action = sa.text("SELECT action, count(*) FROM audit_entry GROUP BY action")
        timed(lambda: db.session.execute(per_task).all(), 1)
        group_task, rows = timed(lambda: db.session.execute(per_task).all())
        group_action, _rows = timed(lambda: db.session.execute(per_action).all())
        timed(lambda: services.scores(scope, period, now=NOW, base=100, rules=rules), 1)
        # the ranking path: what the ranking page and the what-if view call (the SQL twins)
        score_ms, ranking = timed(lambda: services.scores(scope, period, now=NOW, base=100, rules=rules))
        points = sum(u.point_count for u in ranking.units)
        # for information: every point made with its event (the export, a published snapshot)
        full_ms, full = timed(lambda: services.scores(scope, period, now=NOW, base=100, rules=rules, points=True), 1)
        listed = sum(len(t.points) for u in full.units for t in u.rules.values())
        same = ([(u.unit_id, u.rank, u.total) for u in full.units]
                == [(u.unit_id, u.rank, u.total) for u in ranking.units])
        # the verdict is against the faster of the two plain counts
        baseline = min(group_task, group_action)
        print(f"GROUP BY count per task   ({len(rows):,} groups): {group_task:8.1f} ms")
        print(f"GROUP BY count per action:                  {group_action:8.1f} ms")
        print(f"ranking (SQL twins): {len(ranking.units)} units, {points:,} points counted: {score_ms:8.1f} ms")
        print(f"every point made with its event (information): {listed:,} points: {full_ms:8.1f} ms "
              f"(same ranks and totals: {'yes' if same else 'NO'})")
        ratio = score_ms / baseline
        print(f"ratio ranking / GROUP BY per task:   {score_ms / group_task:.2f}x")
        print(f"ratio ranking / GROUP BY per action: {score_ms / group_action:.2f}x")
        print(f"ratio against the faster count: {ratio:.2f}x  (target within {TARGET:.0f}x: "
              f"{'met' if ratio <= TARGET else 'NOT met'})")
    if ratio > TARGET or not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
