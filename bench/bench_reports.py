"""Dashboard and ledger export on 100,000 tasks (SQLite file database).

Seeds ~200 units, 5 plans with ~500 measures and 100,000 tasks with bulk core inserts, then times
the dashboard (p50 over 20 requests; every request computes every aggregate, there is no result
cache) next to /healthz in the same run, its three parts on their own, and an export of every task
to .xlsx and .csv.
Run from the repository root: ``.venv/bin/python bench/bench_reports.py``.
"""

from __future__ import annotations

import io
import os
import random
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.auth.models import Role, User  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.plans.models import Measure, Plan, PlanState  # noqa: E402
from tracker.reports import queries  # noqa: E402
from tracker.tasks.models import ProgressReport, ReportingPeriod, Task, TaskState, UnitRole  # noqa: E402
from tracker.units.models import Unit, UnitKind  # noqa: E402

TASKS, UNITS, PLANS, MEASURES = 100_000, 200, 5, 500
PASSWORD = "bench-password-1"


def seed(rng: random.Random) -> None:
    now = datetime.now(UTC)
    today = now.date()
    conn = db.session.connection()
    units = [{"id": i, "name": f"单位{i}", "code": f"u{i}", "kind": UnitKind.county.value if i <= 20 else "department",
              "parent_id": None if i <= 20 else rng.randint(1, 20), "sort_order": i, "is_active": True,
              "created_at": now, "updated_at": now} for i in range(1, UNITS + 1)]
    conn.execute(sa.insert(Unit.__table__), units)
    admin = User(email="admin@example.cn", name="管理员", role=Role.admin)
    admin.set_password(PASSWORD)
    db.session.add(admin)
    db.session.flush()
    plans = [{"id": p, "title": f"2026年重点工作方案{p}", "state": PlanState.active.value, "supervisor_id": admin.id,
              "source_text": "", "is_deleted": False, "created_at": now,
              "updated_at": now} for p in range(1, PLANS + 1)]
    conn.execute(sa.insert(Plan.__table__), plans)
    measures = []
    for m in range(1, MEASURES + 1):
        measures.append({"id": m, "plan_id": (m - 1) % PLANS + 1, "parent_id": None, "position": m, "level": 2,
                         "number": str(m), "text": f"推进第{m}项重点工作，确保按期完成。", "kind": "measure",
                         "is_inline": False, "suggestions": {}})
    conn.execute(sa.insert(Measure.__table__), measures)
    states = [s.value for s in TaskState]
    periods = [p.value for p in ReportingPeriod]
    rows, reports = [], []
    task_id = 0
    per_measure = TASKS // MEASURES
    for m in range(1, MEASURES + 1):
        for unit_id in rng.sample(range(1, UNITS + 1), per_measure):
            task_id += 1
            assigned = today - timedelta(days=rng.randint(30, 300))
            due = assigned + timedelta(days=rng.randint(20, 400))
            state = rng.choice(states)
            completed_at = None
            if state == "completed":
                completed_at = datetime.combine(min(due + timedelta(days=rng.randint(-20, 10)), today),
                                                datetime.min.time(), tzinfo=UTC) + timedelta(hours=rng.randint(0, 23))
            rows.append({"id": task_id, "measure_id": m, "plan_id": (m - 1) % PLANS + 1, "unit_id": unit_id,
                         "role": UnitRole.lead.value, "state": state, "due_on": due, "original_due_on": due,
                         "assigned_on": assigned, "reporting_period": rng.choice(periods), "is_key": rng.random() < .1,
                         "evidence_required": True, "return_count": rng.choice((0, 0, 0, 1, 2)),
                         "progress_percent": rng.randint(0, 100), "completed_at": completed_at,
                         "last_progress_text": "已召开专题会议部署。", "version": 1,
                         "created_at": now, "updated_at": now})
            if rng.random() < .3:
                reports.append({"task_id": task_id, "text": "按计划推进。", "period_key": "2026-Q1",
                                "created_at": now})
            if len(rows) >= 10_000:
                conn.execute(sa.insert(Task.__table__), rows)
                rows = []
    if rows:
        conn.execute(sa.insert(Task.__table__), rows)
    conn.execute(sa.insert(ProgressReport.__table__), reports)
    db.session.commit()


def timed(client, url: str, n: int) -> list[float]:
    out = []
    for _i in range(n):
        start = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-reports-")
    app = create_app({"CONFIG": "testing", "INSTANCE_PATH": os.path.join(folder, "instance"),
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(folder, "bench.sqlite")})
    with app.app_context():
        db.create_all()
        start = time.perf_counter()
        seed(random.Random(6))
        print(f"seeded {TASKS:,} tasks, {UNITS} units, {MEASURES} measures, {PLANS} plans "
              f"in {time.perf_counter() - start:.1f} s")
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"email": "admin@example.cn", "password": PASSWORD})
    assert response.status_code == 302
    timed(client, "/dashboard", 2)
    timed(client, "/healthz", 5)
    dash = statistics.median(timed(client, "/dashboard", 20))
    health = statistics.median(timed(client, "/healthz", 20))
    print(f"dashboard p50 (every request computes every aggregate): {dash:.1f} ms  (target < 150 ms: "
          f"{'met' if dash < 150 else 'NOT met'})")
    print(f"healthz   p50:                                          {health:.2f} ms")
    print(f"ratio dashboard / healthz: {dash / health:.0f}x")
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@example.cn"))
        now = datetime.now(UTC)
        due = queries._reports_due(now)  # None when no periodic report has fallen due yet
        parts = [("tally", lambda: queries._tally_rows(admin, now, owed=due.owed if due else None)),
                 ("trend", lambda: queries.trend(admin, now))]
        if due is not None:
            parts.insert(1, ("answered", lambda: queries._answered_rows(admin, due)))
        for label, compute in parts:
            runs = []
            for _i in range(7):
                begin = time.perf_counter()
                compute()
                runs.append((time.perf_counter() - begin) * 1000)
            print(f"  of which {label:8s} p50 {statistics.median(runs):6.1f} ms")
    # both exports are streamed: the clock stops when the last byte has been read
    start = time.perf_counter()
    response = client.get("/reports/ledger.xlsx")
    body = response.data
    elapsed = time.perf_counter() - start
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
    print(f"ledger.xlsx, all {TASKS:,} rows: {elapsed:.1f} s, {len(body) / 1e6:.1f} MB")
    start = time.perf_counter()
    response = client.get("/reports/ledger.csv")
    body = response.data
    print(f"ledger.csv,  all {TASKS:,} rows: {time.perf_counter() - start:.1f} s, {len(body) / 1e6:.1f} MB")
    health_again = statistics.median(timed(client, "/healthz", 20))
    print(f"healthz p50 after exports: {health_again:.2f} ms")


if __name__ == "__main__":
    main()
