"""Benchmarks of reminders, dispatch and 督办单 issue; prints its figures.

Run from the repository root: ``.venv/bin/python bench/bench_notify.py [sweep] [dispatch]
[notices]`` (all three by default). Uses a temporary
SQLite file database and a loopback SMTP server (aiosmtpd, in its own process).

1. One reminder sweep over 100,000 tasks (target < 2 s): the first sweep after an install, which
   queues everything due (best of 3, each on an empty outbox), next to writing the same rows with
   plain bulk inserts in the same run; then the next day's sweep and a repeated one.
2. Messages per second delivered by the dispatcher, next to a bare smtplib loop sending the same
   messages over one connection in the same run (target ratio >= 0.5): a loop that builds each
   message from its row as any sender must, and, stricter, one that only sends bytes built
   before the clock starts.
3. Issuing 1,000 督办单 with their .docx and emails (target < 60 s).
"""

from __future__ import annotations

import os
import random
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.auth.models import Role, User  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.notices import services as notice_services  # noqa: E402
from tracker.notify import dispatch, outbox, services  # noqa: E402
from tracker.notify.models import Notification, OutboxEmail, OutboxStatus  # noqa: E402
from tracker.plans.models import Measure, Plan, PlanState  # noqa: E402
from tracker.tasks.models import Task, TaskState  # noqa: E402
from tracker.units.models import Unit  # noqa: E402

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
TODAY = date(2026, 3, 2)
TASKS = 100_000
UNITS = 500
MESSAGES = 1000
NOTICES = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_app(folder: str, port: int):
    app = create_app({
        "CONFIG": "testing", "INSTANCE_PATH": os.path.join(folder, "instance"),
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(folder, "bench.sqlite"),
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SUPPRESS_SEND": False,
        "MAIL_DEFAULT_SENDER": "duban@example.cn", "MAIL_TIMEOUT": 10,
    })
    return app


def seed_units(count: int, prefix: str) -> list[int]:
    """Units with one lead each, by bulk core inserts."""
    start = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Unit.id), 0)))
    now = datetime.now(UTC)
    db.session.execute(sa.insert(Unit.__table__), [
        {"id": start + i + 1, "name": f"{prefix}单位{i + 1}", "code": f"{prefix}{i + 1}", "kind": "department",
         "contact_email": None, "sort_order": i, "is_active": True, "created_at": now, "updated_at": now}
        for i in range(count)])
    first_user = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(User.id), 0)))
    db.session.execute(sa.insert(User.__table__), [
        {"id": first_user + i + 1, "email": f"{prefix}lead{i + 1}@example.cn", "name": f"负责人{i + 1}",
         "role": Role.unit_lead, "unit_id": start + i + 1, "is_active": True, "password_hash": "",
         "session_token": f"{prefix}t{i}", "created_at": now, "updated_at": now} for i in range(count)])
    db.session.commit()
    return [start + i + 1 for i in range(count)]


def seed_tasks(count: int, unit_ids: list[int], *, due_range: tuple[int, int], open_share: float,
               seed: int = 1) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    supervisor = User(email=f"sup{seed}@example.cn", name="王督办", role=Role.supervisor)
    db.session.add(supervisor)
    db.session.flush()
    plan = Plan(title="2026年重点工作实施方案", state=PlanState.active, supervisor_id=supervisor.id, source_text="")
    db.session.add(plan)
    db.session.flush()
    first = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Measure.id), 0)))
    batch = 10_000
    for offset in range(0, count, batch):
        n = min(batch, count - offset)
        db.session.execute(sa.insert(Measure.__table__), [
            {"id": first + offset + i + 1, "plan_id": plan.id, "position": offset + i, "level": 2,
             "number": str(offset + i + 1), "text": f"完成第{offset + i + 1}项重点工作任务。", "kind": "measure",
             "is_inline": False, "suggestions": {}} for i in range(n)])
        rows = []
        for i in range(n):
            due = TODAY + timedelta(days=rng.randint(*due_range))
            state = TaskState.in_progress if rng.random() < open_share else TaskState.completed
            rows.append({"measure_id": first + offset + i + 1, "plan_id": plan.id,
                         "unit_id": unit_ids[(offset + i) % len(unit_ids)], "role": "lead", "owner_id": None,
                         "state": state, "due_on": due, "original_due_on": due, "assigned_on": date(2026, 1, 5),
                         "reporting_period": "once", "is_key": False, "evidence_required": True, "return_count": 0,
                         "progress_percent": 0, "version": 1, "created_at": now, "updated_at": now,
                         # tasks under way: acknowledged (签收) when handed over
                         "acknowledged_at": now})
        db.session.execute(sa.insert(Task.__table__), rows)
    db.session.commit()


def _clear_outbox() -> None:
    db.session.execute(sa.delete(Notification))
    db.session.execute(sa.delete(OutboxEmail))
    db.session.commit()
    db.session.remove()


def _timed(work):
    """(result, CPU seconds, wall seconds) of ``work()`` and a commit. The verdicts read the CPU time:
    on a shared machine the wall clock mostly measures the wait for a core (both are printed)."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    db.session.commit()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def _write_baseline() -> tuple[float, float]:
    """CPU and wall seconds to write the rows the first sweep wrote (its emails and in-app notices)
    with plain bulk inserts, nothing computed or rendered: the floor under the sweep, in the same run."""
    emails = [dict(r._mapping) for r in db.session.execute(sa.select(OutboxEmail.__table__))]
    notes = [dict(r._mapping) for r in db.session.execute(sa.select(Notification.__table__))]
    _clear_outbox()

    def write() -> None:
        db.session.execute(sa.insert(OutboxEmail.__table__), emails)
        db.session.execute(sa.insert(Notification.__table__), notes)

    _none, cpu, wall = _timed(write)
    db.session.remove()
    return cpu, wall


def bench_sweep(runs: int = 3) -> None:
    # deadlines spread over the year ahead and the weeks behind; four in five tasks still open
    seed_tasks(TASKS, seed_units(UNITS, "r"), due_range=(-30, 330), open_share=0.8)
    open_tasks = db.session.scalar(
        sa.select(sa.func.count()).select_from(Task).where(Task.state != TaskState.completed))
    yesterday = NOW - timedelta(days=1)
    # the first sweep after an install, on an empty outbox each time: best of ``runs``
    catch_up, catch_up_wall = float("inf"), float("inf")
    for run in range(runs):
        if run:
            _clear_outbox()
        db.session.remove()
        first, cpu, wall = _timed(lambda: services.run_reminders(now=yesterday))
        catch_up, catch_up_wall = min(catch_up, cpu), min(catch_up_wall, wall)
    db.session.remove()
    floor, floor_wall = _write_baseline()
    daily, day, day_wall = _timed(lambda: services.run_reminders(now=NOW))
    db.session.remove()
    again, repeat, repeat_wall = _timed(lambda: services.run_reminders(now=NOW + timedelta(hours=1)))

    def verdict(cpu: float, wall: float) -> str:
        return f"[target < 2 s: {'met' if cpu < 2 else 'NOT met'}; wall {wall:.2f} s]"

    print(f"reminder sweep over {TASKS:,} tasks ({open_tasks:,} open), CPU seconds:")
    print(f"  first sweep after an install (catches up everything due), best of {runs}: {catch_up:.2f} s, "
          f"{first.facts:,} facts, {first.queued:,} emails queued {verdict(catch_up, catch_up_wall)}")
    print(f"    baseline, writing the same rows with plain bulk inserts: {floor:.2f} s [wall {floor_wall:.2f} s]; "
          f"the sweep takes {catch_up / floor:.1f}x the baseline")
    print(f"  daily sweep (the next day):                   {day:.2f} s, {daily.facts:,} facts, "
          f"{daily.queued:,} emails queued {verdict(day, day_wall)}")
    print(f"  repeated sweep (nothing new):                 {repeat:.2f} s, {again.queued} queued "
          f"{verdict(repeat, repeat_wall)}")


def start_server_process(port: int) -> subprocess.Popen:
    """aiosmtpd in its own process, as a real mail server is: no GIL shared with the sender."""
    process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
                                "-l", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2) as probe:
                probe.noop()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("SMTP server did not start")


def bench_dispatch(port: int) -> None:
    db.session.execute(sa.delete(OutboxEmail))
    db.session.commit()
    user = User(email="receiver@example.cn", name="收件人", role=Role.unit_lead)
    db.session.add(user)
    db.session.flush()
    for i in range(MESSAGES):
        message = outbox.Message(kind="bench", subject=f"【督办提醒】距截止还有3天：第{i}项重点工作",
                                 template="reminder_task",
                                 context={"measure_label": f"完成第{i}项重点工作任务。", "due_on": TODAY},
                                 reason="距截止还有3天", link="http://127.0.0.1:5000/tasks/1")
        outbox.queue(user, message, f"bench:{i}", now=NOW)
    db.session.commit()
    rows = list(db.session.execute(sa.select(OutboxEmail.__table__).order_by(OutboxEmail.id)))
    payloads = [(r.to_addr, dispatch.prepare_payload(dispatch.build_message(r))) for r in rows]
    db.session.commit()
    db.session.remove()  # the scheduler's job starts with an empty session, as here

    # baseline 1: the finished bytes, only the SMTP conversation
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as conn:
        for to_addr, payload in payloads:
            conn.sendmail("duban@example.cn", [to_addr], payload)
    bare = time.perf_counter() - started
    # baseline 2: the same messages built from the rows (as any sender must), no claim and no marks
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as conn:
        for row in rows:
            conn.sendmail("duban@example.cn", [row.to_addr], dispatch.prepare_payload(dispatch.build_message(row)))
    built = time.perf_counter() - started

    started = time.perf_counter()
    result = dispatch.send_pending(now=NOW, limit=MESSAGES)
    ours = time.perf_counter() - started
    assert result.sent == MESSAGES, result
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)
                             .where(OutboxEmail.status == OutboxStatus.sent)) == MESSAGES
    print(f"dispatch of {MESSAGES} messages to a loopback SMTP server, one connection each:")
    print(f"  bare smtplib, pre-built bytes:           {MESSAGES / bare:,.0f} msg/s")
    print(f"  bare smtplib, building each message:     {MESSAGES / built:,.0f} msg/s")
    print(f"  dispatcher (claim, build, send, mark):   {MESSAGES / ours:,.0f} msg/s")
    for label, baseline in (("the bare loop building each message", built), ("the bare loop of pre-built bytes", bare)):
        ratio = baseline / ours
        print(f"  ratio to {label + ':':40s} {ratio:.2f} [target >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'}]")


def bench_notices() -> None:
    unit_ids = seed_units(NOTICES, "n")
    seed_tasks(2 * NOTICES, unit_ids, due_range=(-10, 120), open_share=1.0, seed=2)
    started = time.perf_counter()
    notices = notice_services.issue_notices("2026-H1", unit_ids=unit_ids, now=NOW)
    db.session.commit()
    elapsed = time.perf_counter() - started
    serials = sorted(n.serial for n in notices)
    assert len(notices) == NOTICES and serials == list(range(serials[0], serials[0] + NOTICES))
    print(f"issue {NOTICES} 督办单 with .docx and emails: {elapsed:.1f} s "
          f"({elapsed / NOTICES * 1000:.0f} ms each) [target < 60 s]")


def main() -> None:
    port = free_port()
    server = start_server_process(port)
    try:
        with tempfile.TemporaryDirectory() as folder:
            app = make_app(folder, port)
            parts = set(sys.argv[1:]) or {"sweep", "dispatch", "notices"}
            with app.app_context():
                db.create_all()
                if "sweep" in parts:
                    bench_sweep()
                if "dispatch" in parts:
                    bench_dispatch(port)
                if "notices" in parts:
                    bench_notices()
                db.session.remove()
                db.engine.dispose()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
