"""Load benchmark: 50 simulated users for 60 s against gunicorn -w 4 with the production configuration
on PostgreSQL, all on loopback.

Each user signs in through the login form and then, in a loop with no think time, reads its list
page, one of its task pages or its dashboard, posts a progress report (with the CSRF token), or
uploads an evidence file through the API with its own token. The bench creates its own database
(on the server of TRACKER_TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres),
migrates it, seeds 25 units with two users each, starts gunicorn (Redis for the limits when it
answers on 127.0.0.1:6379), and stops and drops everything at the end.

It prints the error count, p50/p95/p99 per kind of request and a data check: every acknowledged
write is in the database (and every acknowledged file on disk with its hash), and no write that
was not acknowledged is. Target: 0 errors, 0 lost writes. Run from the repository root:

    .venv/bin/python bench/bench_load.py [--users 50] [--seconds 60] [--workers 4]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.api.auth import create_token  # noqa: E402
from tracker.auth.models import Role, User  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.plans.models import Measure, MeasureKind, Plan, PlanState  # noqa: E402
from tracker.tasks.models import Evidence, ProgressReport, ReportingPeriod, Task, TaskState  # noqa: E402
from tracker.units.models import Unit, UnitKind  # noqa: E402

BIN = os.path.dirname(sys.executable)
PASSWORD = "Bench-Pass-2026!"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MIX = (("list", 25), ("task", 25), ("dashboard", 15), ("progress", 20), ("upload", 15))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reachable(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def seed(url: str, instance: str, users: int) -> list[dict]:
    """Units with two users each; each user owns four tasks of its unit and has an API token."""
    app = create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance,
                      "PASSWORD_HASH_METHOD": "scrypt"})
    people = []
    with app.app_context():
        region = Unit(name="示范市", code="r", kind=UnitKind.region)
        db.session.add(region)
        db.session.flush()
        plan = Plan(title="2026年重点工作实施方案", state=PlanState.active, issued_on=date(2026, 1, 5), source_text="")
        db.session.add(plan)
        db.session.flush()
        password_hash = None
        for n in range(users):
            if n % 2 == 0:
                unit = Unit(name=f"第{n // 2 + 1}区", code=f"c{n // 2}", kind=UnitKind.county, parent_id=region.id)
                db.session.add(unit)
                db.session.flush()
            role = Role.unit_lead if n % 2 == 0 else Role.unit_member
            user = User(email=f"bench{n}@example.cn", name=f"压测用户{n}", role=role, unit_id=unit.id)
            if password_hash is None:
                user.set_password(PASSWORD)
                password_hash = user.password_hash
            user.password_hash = password_hash
            db.session.add(user)
            db.session.flush()
            task_ids = []
            for k in range(4):
                measure = Measure(plan_id=plan.id, position=n * 4 + k, level=1, number=str(n * 4 + k + 1),
                                  text=f"完成第{n * 4 + k + 1}项重点工作。", kind=MeasureKind.measure)
                db.session.add(measure)
                db.session.flush()
                task = Task(measure_id=measure.id, plan_id=plan.id, unit_id=unit.id, owner_id=user.id,
                            state=TaskState.in_progress, due_on=date(2026, 12, 31), original_due_on=date(2026, 12, 31),
                            assigned_on=date(2026, 1, 10), reporting_period=ReportingPeriod.once)
                db.session.add(task)
                db.session.flush()
                task_ids.append(task.id)
            _token, secret = create_token(user, "压测", actor=user, now=datetime.now(UTC))
            people.append({"email": user.email, "tasks": task_ids, "token": secret})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return people


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.progress_acked: set[str] = set()
        self.progress_unacked: set[str] = set()
        self.uploads_acked: dict[int, str] = {}
        self.upload_unacked = 0
        #: released once per user when its sign-in is over (either way)
        self.ready = threading.Semaphore(0)

    def timed(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latency[kind].append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def _sign_in(session: requests.Session, base: str, person: dict, results: Results) -> str | None:
    """Through the login form; the CSRF token for the user's posts, or None (an error is recorded)."""
    try:
        page = session.get(f"{base}/login", timeout=60)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
        signed = session.post(f"{base}/login", data={"csrf_token": token, "email": person["email"],
                                                     "password": PASSWORD}, timeout=60, allow_redirects=False)
        if signed.status_code != 302:
            results.error(f"sign-in {person['email']}: {signed.status_code}")
            return None
        page = session.get(f"{base}/tasks/mine", timeout=60)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    except (requests.RequestException, AttributeError) as exc:
        results.error(f"sign-in {person['email']}: {exc!r}")
        return None


def user_loop(base: str, person: dict, stop: threading.Event, results: Results, seed_value: int) -> None:
    rng = random.Random(seed_value)
    session = requests.Session()
    session.trust_env = False
    kinds = [k for k, weight in MIX for _ in range(weight)]
    try:
        csrf = _sign_in(session, base, person, results)
    finally:
        results.ready.release()
    if csrf is not None:
        _loop(session, base, person, stop, results, rng, kinds, csrf, {"Authorization": f"Bearer {person['token']}"})


def _loop(session, base: str, person: dict, stop: threading.Event, results: Results, rng, kinds, csrf, api) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        kind = rng.choice(kinds)
        task_id = rng.choice(person["tasks"])
        marker = f"压测进展 {person['email']} #{n}"
        started = time.perf_counter()
        try:
            if kind == "list":
                response = session.get(f"{base}/tasks/mine", timeout=30)
                ok = response.status_code == 200
            elif kind == "task":
                response = session.get(f"{base}/tasks/{task_id}", timeout=30)
                ok = response.status_code == 200
            elif kind == "dashboard":
                response = session.get(f"{base}/dashboard/unit", timeout=30)
                ok = response.status_code == 200
            elif kind == "progress":
                response = session.post(f"{base}/tasks/{task_id}/progress",
                                        data={"csrf_token": csrf, "text": marker, "percent": str(n % 100)},
                                        timeout=30, allow_redirects=False)
                ok = response.status_code == 302
                with results.lock:
                    (results.progress_acked if ok else results.progress_unacked).add(marker)
            else:
                body = PDF + secrets.token_bytes(rng.randint(1000, 60000))
                response = requests.post(f"{base}/api/v1/tasks/{task_id}/evidence", headers=api, timeout=30,
                                         files={"file": ("佐证材料.pdf", body, "application/pdf")})
                ok = response.status_code == 201
                with results.lock:
                    if ok:
                        for item in response.json()["items"]:
                            results.uploads_acked[item["id"]] = hashlib.sha256(body).hexdigest()
                    else:
                        results.upload_unacked += 1
            if not ok:
                results.error(f"{kind}: {response.status_code} {response.text[:120]!r}")
        except requests.RequestException as exc:
            if kind == "progress":
                with results.lock:
                    results.progress_unacked.add(marker)
            results.error(f"{kind}: {exc!r}")
        results.timed(kind, time.perf_counter() - started)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def check_data(url: str, upload_folder: str, results: Results) -> list[str]:
    problems = []
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        texts = set(conn.execute(sa.select(ProgressReport.text).where(ProgressReport.text.like("压测进展 %")))
                    .scalars())
        evidence = {row.id: row for row in conn.execute(sa.select(Evidence.id, Evidence.stored_name, Evidence.sha256))}
    engine.dispose()
    lost = results.progress_acked - texts
    ghost = texts & results.progress_unacked
    extra = texts - results.progress_acked - results.progress_unacked
    if lost:
        problems.append(f"{len(lost)} acknowledged progress reports missing")
    if ghost:
        problems.append(f"{len(ghost)} unacknowledged progress reports stored")
    if extra:
        problems.append(f"{len(extra)} progress reports nobody sent")
    for evidence_id, digest in results.uploads_acked.items():
        row = evidence.get(evidence_id)
        if row is None:
            problems.append(f"evidence {evidence_id} acknowledged but missing")
            continue
        path = os.path.join(upload_folder, row.stored_name)
        if not os.path.exists(path) or hashlib.sha256(open(path, "rb").read()).hexdigest() != digest:
            problems.append(f"evidence {evidence_id}: file missing or different")
    unacked_rows = set(evidence) - set(results.uploads_acked)
    if unacked_rows:
        problems.append(f"{len(unacked_rows)} evidence rows nobody was told about")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    admin_url = sa.make_url(os.environ.get("TRACKER_TEST_DATABASE_URL")
                            or "postgresql://postgres@127.0.0.1:5432/postgres")
    if not reachable(admin_url.port or 5432, admin_url.host or "127.0.0.1"):
        print(f"PostgreSQL not reachable at {admin_url.host}:{admin_url.port}: bench skipped")
        return 0
    name = f"duban_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    home = tempfile.mkdtemp(prefix="duban-bench-")
    instance, uploads = os.path.join(home, "instance"), os.path.join(home, "evidence")
    redis_up = reachable(6379)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "FLASK_"))}
    env.update({
        "FLASK_APP": "wsgi", "TRACKER_CONFIG": "production", "TRACKER_SECRET_KEY": secrets.token_hex(32),
        "TRACKER_DATABASE_URL": url, "TRACKER_INSTANCE_PATH": instance, "TRACKER_UPLOAD_FOLDER": uploads,
        "TRACKER_SECURE_COOKIES": "false",
        # fifty users sign in from one address in the first second; the per-address limit is not under test
        "TRACKER_LOGIN_RATE_LIMIT": "10000 per minute", "TRACKER_API_RATE_LIMIT": "100000 per minute",
        "TRACKER_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0" if redis_up else "memory://",
        "TRACKER_RATELIMIT_KEY_PREFIX": f"duban-bench-{uuid.uuid4().hex[:8]}",
        "TRACKER_TOTP_REQUIRED": "false", "TRACKER_FORCE_FIRST_PASSWORD_CHANGE": "false",
    })
    server = None
    try:
        subprocess.run([os.path.join(BIN, "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=120)
        people = seed(url, instance, args.users)
        port = free_port()
        log = open(os.path.join(home, "gunicorn.log"), "wb")  # noqa: SIM115
        server = subprocess.Popen([os.path.join(BIN, "gunicorn"), "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
                                   "--graceful-timeout", "5", "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while not reachable(port):
            if server.poll() is not None or time.monotonic() > deadline:
                print(open(os.path.join(home, "gunicorn.log"), errors="replace").read())
                return 1
            time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        results = Results()
        stop = threading.Event()

        threads = [threading.Thread(target=user_loop, args=(base, person, stop, results, i), daemon=True)
                   for i, person in enumerate(people)]
        print(f"{len(people)} users, {args.seconds:.0f} s, gunicorn -w {args.workers}, PostgreSQL, "
              f"limits in {'Redis' if redis_up else 'memory'}")
        signing_in = time.perf_counter()
        for thread in threads:
            thread.start()
        # the clock starts when every user has signed in (sign-in is scrypt work, not the mix under test)
        for _person in people:
            results.ready.acquire(timeout=300)
        print(f"signed in: {time.perf_counter() - signing_in:.1f} s")
        started = time.perf_counter()
        time.sleep(args.seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.perf_counter() - started
        total = sum(len(v) for v in results.latency.values())
        print(f"{total} requests in {elapsed:.1f} s: {total / elapsed:.0f} per second")
        print(f"{'kind':<10} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
        everything = []
        for kind, _weight in MIX:
            values = results.latency.get(kind, [])
            everything += values
            if values:
                print(f"{kind:<10} {len(values):>6} {percentile(values, 50):>8.0f} {percentile(values, 95):>8.0f} "
                      f"{percentile(values, 99):>8.0f}")
        if everything:
            print(f"{'all':<10} {len(everything):>6} {percentile(everything, 50):>8.0f} "
                  f"{percentile(everything, 95):>8.0f} {percentile(everything, 99):>8.0f}")
        print(f"errors: {len(results.errors)}")
        for line in results.errors[:10]:
            print(f"  {line}")
        problems = check_data(url, uploads, results)
        print(f"writes acknowledged: {len(results.progress_acked)} progress reports, "
              f"{len(results.uploads_acked)} evidence files")
        print(f"data check: {'0 lost writes, nothing unacknowledged stored' if not problems else '; '.join(problems)}")
        verify = subprocess.run([os.path.join(BIN, "flask"), "audit", "verify"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
        print(f"audit chain: {(verify.stdout or verify.stderr).strip().splitlines()[-1]}")
        if verify.returncode != 0:
            problems.append("audit chain broken")
        return 0 if not results.errors and not problems else 1
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
