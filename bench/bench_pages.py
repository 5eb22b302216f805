"""Benchmark: the signed-in pages at 10,000 and 100,000 tasks over real HTTP, gunicorn on
PostgreSQL and on SQLite, against a bare Flask app served the same way in the same run.

For each database and size it creates a database, migrates it, seeds it with bulk inserts (200
units, 5 plans of 100 or 10 measures, one task per measure and unit, deadlines on month ends,
progress spread, a quarter of the tasks completed, a third reporting monthly or quarterly), recounts
the task tally, starts gunicorn -w 2 with the production configuration, signs in a unit lead and
an admin through the login form, and measures, best of 3:

- requests per second (4 client processes, keep-alive) of the bare app, the empty signed-in page
  (/password), the lead's list (/tasks/mine), a task page and the dashboard;
- single-request p50 of the dashboard and of the 100 × 200 matrix (and the matrix's size);
- at 100,000 tasks, 50 users (list and dashboard, no think time) against gunicorn -w 4: p95.

It prints every ratio with its verdict and exits 1 when a target is missed. Run from the
repository root (PostgreSQL from TRACKER_TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres):

    .venv/bin/python bench/bench_pages.py [--databases postgresql,sqlite] [--seconds 3] [--app-root DIR]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

import tracker.models  # noqa: E402,F401
from tracker import periods  # noqa: E402
from tracker.auth.models import Role, User  # noqa: E402
from tracker.plans.models import Measure, Plan  # noqa: E402
from tracker.tasks.models import ProgressReport, Task  # noqa: E402
from tracker.units.models import Unit  # noqa: E402

BIN = os.path.dirname(sys.executable)
PASSWORD = "Bench-Pass-2026!"
UNITS, PLANS = 200, 5
CLIENTS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reachable(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


# --------------------------------------------------------------------------- data

def seed(url: str, measures_per_plan: int) -> None:
    """Bulk inserts straight into the tables (the task tally is recounted afterwards)."""
    rng = random.Random(16)
    now = datetime.now(UTC)
    today = now.date()
    engine = sa.create_engine(url)
    password_hash = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
    stamp = {"created_at": now, "updated_at": now}
    with engine.begin() as conn:
        conn.execute(sa.insert(Unit.__table__), [{"id": 1, "name": "示范市", "code": "root", "kind": "region",
                                                  "sort_order": 0, "is_active": True, **stamp}])
        conn.execute(sa.insert(Unit.__table__), [
            {"id": i + 2, "name": f"第{i + 1}县区", "code": f"c{i + 1}", "kind": "county", "parent_id": 1,
             "sort_order": i + 1, "is_active": True, **stamp} for i in range(UNITS - 1)])
        users = [{"id": 1, "email": "admin@example.cn", "name": "管理员", "role": Role.admin.value, "unit_id": None}]
        users += [{"id": i + 2, "email": f"lead{i + 1}@example.cn", "name": f"负责人{i + 1}",
                   "role": Role.unit_lead.value, "unit_id": i + 1} for i in range(UNITS)]
        for row in users:
            row.update(is_active=True, password_hash=password_hash, session_token=secrets.token_hex(16),
                       must_change_password=False, failed_logins=0, **stamp)
        conn.execute(sa.insert(User.__table__), users)
        conn.execute(sa.insert(Plan.__table__), [
            {"id": p + 1, "title": f"2026年重点工作实施方案（第{p + 1}批）", "state": "active", "supervisor_id": 1,
             "source_text": "", "is_deleted": False, **stamp} for p in range(PLANS)])
        conn.execute(sa.insert(Measure.__table__), [
            {"id": p * measures_per_plan + m + 1, "plan_id": p + 1, "position": m, "level": 2, "number": str(m + 1),
             "text": f"第{m + 1}项：完善工作机制，健全责任体系，按期完成年度目标任务并形成长效机制。",
             "kind": "measure", "is_inline": False, "suggestions": {}}
            for p in range(PLANS) for m in range(measures_per_plan)])
        month_ends = sorted({(date(today.year, today.month, 1) + timedelta(days=31 * k)).replace(day=1)
                             - timedelta(days=1) for k in range(-5, 8)})
        keys = {p: periods.last_closed(p, today)[0] for p in ("monthly", "quarterly")}
        states = ["assigned"] * 15 + ["in_progress"] * 35 + ["submitted"] * 10 + ["completed"] * 30 \
            + ["returned"] * 5 + ["cancelled"] * 5
        rows, reports, task_id = [], [], 0
        for p in range(PLANS):
            assigned = today - timedelta(days=150 - 20 * p)
            for m in range(measures_per_plan):
                due = rng.choice(month_ends)
                for u in range(UNITS):
                    task_id += 1
                    state = rng.choice(states)
                    period = rng.choice(["once", "once", "monthly", "quarterly"] if m % 3 == 0 else ["once"])
                    completed_at = None
                    if state == "completed":
                        span = max((min(due + timedelta(days=10), today) - assigned).days, 1)
                        completed_at = datetime.combine(assigned + timedelta(days=rng.randint(1, span)),
                                                        datetime.min.time(), tzinfo=UTC) + timedelta(hours=3)
                    rows.append({"id": task_id, "measure_id": p * measures_per_plan + m + 1, "plan_id": p + 1,
                                 "unit_id": u + 1, "role": "lead", "owner_id": None, "state": state, "due_on": due,
                                 "original_due_on": due, "assigned_on": assigned, "reporting_period": period,
                                 "is_key": rng.random() < .1, "evidence_required": True,
                                 "return_count": rng.choice((0, 0, 0, 1)), "progress_percent": rng.randrange(0, 101, 5),
                                 "completed_at": completed_at, "last_progress_text": "已召开专题会议部署推进。",
                                 "version": 1, **stamp})
                    if period != "once" and rng.random() < .6:
                        reports.append({"task_id": task_id, "text": "按计划推进。", "period_key": keys[period],
                                        "percent": 50, "created_at": now})
                    if len(rows) >= 10_000:
                        conn.execute(sa.insert(Task.__table__), rows)
                        rows = []
        if rows:
            conn.execute(sa.insert(Task.__table__), rows)
        if reports:
            conn.execute(sa.insert(ProgressReport.__table__), reports)
        if engine.dialect.name == "postgresql":
            for table in ("task", "progress_report", "unit", "plan", "measure", "user"):
                conn.execute(sa.text(f'SELECT setval(pg_get_serial_sequence(\'"{table}"\', \'id\'), '
                                     f'(SELECT max(id) FROM "{table}"))'))
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


# --------------------------------------------------------------------------- HTTP

class Client:
    """One keep-alive HTTP/1.1 connection with its cookies."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies = dict(cookies or {})

    def request(self, method: str, url: str, form: dict | None = None) -> tuple[int, bytes]:
        headers = {"Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, url, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, data

    def sign_in(self, email: str) -> None:
        _status, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
        status, _body = self.request("POST", "/login", {"csrf_token": token, "email": email, "password": PASSWORD})
        assert status == 302, f"sign-in of {email}: {status}"


def _hammer(port: int, cookies: dict, url: str, seconds: float, out) -> None:
    client = Client(port, cookies)
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        status, _body = client.request("GET", url)
        if status != 200:
            out.put(-1)
            return
        n += 1
    out.put(n)


def throughput(port: int, cookies: dict, url: str, seconds: float) -> float:
    """Requests per second of GET ``url`` from CLIENTS processes, best of 3 rounds."""
    Client(port, cookies).request("GET", url)
    best = 0.0
    for _round in range(3):
        out = multiprocessing.Queue()
        workers = [multiprocessing.Process(target=_hammer, args=(port, cookies, url, seconds, out))
                   for _ in range(CLIENTS)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        counts = [out.get() for _ in workers]
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        if min(counts) < 0:
            raise SystemExit(f"{url}: an answer was not 200")
        best = max(best, sum(counts) / elapsed)
    return best


def single(port: int, cookies: dict, url: str, n: int = 15) -> tuple[float, int]:
    """p50 in ms of one request at a time (best of 3 runs of ``n``), and the body size."""
    client = Client(port, cookies)
    status, body = client.request("GET", url)
    assert status == 200, (url, status)
    best = None
    for _round in range(3):
        times = []
        for _ in range(n):
            started = time.perf_counter()
            client.request("GET", url)
            times.append((time.perf_counter() - started) * 1000)
        p50 = statistics.median(times)
        best = p50 if best is None else min(best, p50)
    return best, len(body)


def _user(port: int, cookies: dict, urls: dict, stop_at: float, rng_seed: int, out) -> None:
    rng = random.Random(rng_seed)
    client = Client(port, cookies)
    times: dict[str, list[float]] = {k: [] for k in urls}
    errors = 0
    while time.perf_counter() < stop_at:
        kind = rng.choice(list(urls))
        started = time.perf_counter()
        status, _body = client.request("GET", urls[kind])
        times[kind].append(time.perf_counter() - started)
        errors += status != 200
    out.put((times, errors))


def _user_group(port, people, urls, stop_at, first, out) -> None:
    threads = [threading.Thread(target=_user, args=(port, cookies, urls[kind], stop_at, first + i, out))
               for i, (kind, cookies) in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def load(port: int, lead_cookies: list[dict], admin_cookies: dict, users: int, seconds: float) -> dict:
    """``users`` users with no think time (leads read their list, admins their dashboard), in
    processes of 10 threads so that the client is not the bottleneck; p95 in ms per kind."""
    people = [("list", lead_cookies[i % len(lead_cookies)]) if i % 2 == 0 else ("dashboard", admin_cookies)
              for i in range(users)]
    urls = {"list": {"list": "/tasks/mine"}, "dashboard": {"dashboard": "/dashboard"}}
    out = multiprocessing.Queue()
    stop_at = time.perf_counter() + seconds
    groups = [people[i:i + 10] for i in range(0, users, 10)]
    workers = [multiprocessing.Process(target=_user_group, args=(port, group, urls, stop_at, 10 * g, out))
               for g, group in enumerate(groups)]
    for worker in workers:
        worker.start()
    times: dict[str, list[float]] = {"list": [], "dashboard": []}
    errors = 0
    for _ in range(users):
        got, bad = out.get()
        errors += bad
        for kind, values in got.items():
            times[kind] += values
    for worker in workers:
        worker.join()
    result = {"errors": errors}
    for kind, values in times.items():
        values.sort()
        result[kind] = (values[int(0.95 * (len(values) - 1))] * 1000 if values else float("nan"), len(values))
    return result


# --------------------------------------------------------------------------- servers

class Server:
    def __init__(self, app_root: str, module: str, env: dict, workers: int, log: str) -> None:
        self.port = free_port()
        self.log = log
        self.process = subprocess.Popen(
            [os.path.join(BIN, "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "--graceful-timeout",
             "5", "--timeout", "120", module], cwd=app_root, env=env, stdout=open(log, "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while not reachable(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(open(log, errors="replace").read()[-3000:])
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def app_env(url: str, home: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "FLASK_"))}
    env.update({
        "FLASK_APP": "wsgi", "TRACKER_CONFIG": "production", "TRACKER_SECRET_KEY": secrets.token_hex(32),
        "TRACKER_DATABASE_URL": url, "TRACKER_INSTANCE_PATH": os.path.join(home, "instance"),
        "TRACKER_UPLOAD_FOLDER": os.path.join(home, "evidence"), "TRACKER_SECURE_COOKIES": "false",
        "TRACKER_LOGIN_RATE_LIMIT": "100000 per minute", "TRACKER_API_RATE_LIMIT": "100000 per minute",
        "TRACKER_RATELIMIT_STORAGE_URI": "memory://", "TRACKER_TOTP_REQUIRED": "false",
        "TRACKER_FORCE_FIRST_PASSWORD_CHANGE": "false", "PYTHONPATH": os.path.join(ROOT, "bench"),
    })
    return env


def run_size(app_root: str, url: str, home: str, measures: int, args, figures: dict, label: str) -> None:
    env = app_env(url, home)
    subprocess.run([os.path.join(BIN, "flask"), "db", "upgrade"], cwd=app_root, env=env, check=True,
                   capture_output=True, timeout=300)
    started = time.perf_counter()
    seed(url, measures)
    if os.path.exists(os.path.join(app_root, "tracker", "tally")):
        subprocess.run([os.path.join(BIN, "flask"), "tally", "rebuild"], cwd=app_root, env=env, check=True,
                       capture_output=True, timeout=600)
    tasks = PLANS * measures * UNITS
    print(f"  {label}: seeded {tasks} tasks in {time.perf_counter() - started:.1f} s", flush=True)
    log = os.path.join(home, "gunicorn.log")
    server = Server(app_root, "wsgi:app", env, 2, log)
    bare = Server(ROOT, "bare_app:app", env, 2, log)
    try:
        lead, admin = Client(server.port), Client(server.port)
        lead.sign_in("lead10@example.cn")
        admin.sign_in("admin@example.cn")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            task_id = conn.scalar(sa.select(sa.func.min(Task.id)).where(Task.unit_id == 10))
        engine.dispose()
        f = figures.setdefault(label, {})
        f["tasks"] = tasks
        f["bare"] = throughput(bare.port, {}, "/", args.seconds)
        f["empty"] = throughput(server.port, lead.cookies, "/password", args.seconds)
        f["list"] = throughput(server.port, lead.cookies, "/tasks/mine", args.seconds)
        f["task"] = throughput(server.port, lead.cookies, f"/tasks/{task_id}", args.seconds)
        f["dashboard_rate"] = throughput(server.port, admin.cookies, "/dashboard", args.seconds)
        f["dashboard"], _size = single(server.port, admin.cookies, "/dashboard")
        f["matrix"], f["matrix_bytes"] = single(server.port, admin.cookies, "/plans/1/matrix", n=5)
        print(f"  {label}: bare {f['bare']:.0f}/s, empty page {f['empty']:.0f}/s, list {f['list']:.0f}/s, "
              f"task page {f['task']:.0f}/s, dashboard {f['dashboard_rate']:.0f}/s p50 {f['dashboard']:.1f} ms, "
              f"matrix {f['matrix']:.0f} ms {f['matrix_bytes'] / 1024:.0f} KB", flush=True)
        if measures >= 100 and args.users:
            server.stop()
            server = Server(app_root, "wsgi:app", env, 4, log)
            leads = []
            for n in range(10):
                client = Client(server.port)
                client.sign_in(f"lead{n + 1}@example.cn")
                leads.append(client.cookies)
            again = Client(server.port)
            again.sign_in("admin@example.cn")
            f["load"] = load(server.port, leads, again.cookies, args.users, args.load_seconds)
            print(f"  {label}: {args.users} users, gunicorn -w 4: list p95 {f['load']['list'][0]:.0f} ms "
                  f"({f['load']['list'][1]}), dashboard p95 {f['load']['dashboard'][0]:.0f} ms "
                  f"({f['load']['dashboard'][1]}), errors {f['load']['errors']}", flush=True)
    finally:
        server.stop()
        bare.stop()


def verdicts(figures: dict) -> bool:
    ok = True

    def check(text: str, value: float, target: str, met: bool) -> None:
        nonlocal ok
        ok &= met
        print(f"  {text:<52} {value:8.2f}  target {target:<10} {'met' if met else 'NOT met'}")

    for db_name in sorted({k.split()[0] for k in figures}):
        big, small = figures.get(f"{db_name} 100k"), figures.get(f"{db_name} 10k")
        print(f"{db_name}:")
        for f, size in ((small, "10k"), (big, "100k")):
            if f is None:
                continue
            empty = f["empty"] / f["bare"]
            check(f"empty signed-in page / bare Flask ({size})", empty, ">= 0.3", empty >= .3)
            check(f"unit lead's list / empty signed-in page ({size})", f["list"] / f["empty"], ">= 0.6",
                  f["list"] / f["empty"] >= .6)
            print(f"  {'(task page / empty signed-in page (' + size + '))':<52} {f['task'] / f['empty']:8.2f}")
            check(f"dashboard p50 ms ({size})", f["dashboard"], "< 50", f["dashboard"] < 50)
        if big and small:
            growth = big["dashboard"] / small["dashboard"]
            check("dashboard p50 100k / 10k", growth, "<= 1.5", growth <= 1.5)
        if big:
            check("matrix 100 measures x 200 units, p50 ms", big["matrix"], "< 200", big["matrix"] < 200)
            check("matrix size KB", big["matrix_bytes"] / 1024, "< 400", big["matrix_bytes"] / 1024 < 400)
            if "load" in big:
                check("50 users, -w 4: list p95 ms", big["load"]["list"][0], "< 150", big["load"]["list"][0] < 150)
                check("50 users, -w 4: dashboard p95 ms", big["load"]["dashboard"][0], "< 300",
                      big["load"]["dashboard"][0] < 300)
                check("50 users: errors", big["load"]["errors"], "0", big["load"]["errors"] == 0)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--sizes", default="10,100", help="measures per plan (x 5 plans x 200 units tasks)")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--load-seconds", type=float, default=20)
    parser.add_argument("--app-root", default=ROOT, help="the checkout to serve (to measure another version)")
    args = parser.parse_args()
    figures: dict = {}
    home = tempfile.mkdtemp(prefix="duban-pages-")
    try:
        for db_name in args.databases.split(","):
            for measures in (int(s) for s in args.sizes.split(",")):
                label = f"{db_name} {'100k' if measures >= 100 else '10k'}"
                where = os.path.join(home, f"{db_name}-{measures}")
                os.makedirs(where)
                if db_name == "sqlite":
                    run_size(args.app_root, "sqlite:///" + os.path.join(where, "bench.sqlite"), where, measures,
                             args, figures, label)
                    continue
                admin_url = sa.make_url(os.environ.get("TRACKER_TEST_DATABASE_URL")
                                        or "postgresql://postgres@127.0.0.1:5432/postgres")
                if not reachable(admin_url.port or 5432, admin_url.host or "127.0.0.1"):
                    print("PostgreSQL not reachable: skipped")
                    continue
                name = f"duban_pages_{uuid.uuid4().hex[:10]}"
                admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
                try:
                    run_size(args.app_root, admin_url.set(database=name).render_as_string(hide_password=False),
                             where, measures, args, figures, label)
                finally:
                    with admin.connect() as conn:
                        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                             "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
                        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
                    admin.dispose()
        print("verdicts (best of 3):")
        return 0 if verdicts(figures) else 1
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
