"""Benchmark: the unit lead's task list over 100,000 tasks, against /healthz in the same run.

Seeds a temporary SQLite file (200 units, 500 measures, one task per measure and unit) with
core inserts, signs in as one county's lead and measures requests per second of /tasks/mine
next to the trivial /healthz, the cheapest signed-in request (/api/v1/me: the token's user as
JSON), the signed-in shell (/password: the same layout, no data) and the same list as JSON
through the API (/api/v1/tasks with the lead's token: no page, no session),
first through the Flask test client, then over real HTTP (a threaded werkzeug server on
127.0.0.1, one keep-alive connection). Run from the repository root:

    .venv/bin/python bench/bench_tasks.py
"""

from __future__ import annotations

import http.client
import os
import random
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.api.auth import create_token  # noqa: E402
from tracker.auth.models import Role, User  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.plans.models import Measure, Plan  # noqa: E402
from tracker.tasks.models import Task  # noqa: E402
from tracker.units.models import Unit  # noqa: E402

UNITS = 200
PLANS = 5
MEASURES = 500
BATCH = 5000
PASSWORD = "bench-password-1"
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))


def seed() -> tuple[int, str]:
    """Insert the rows; returns (task count, the lead's email)."""
    now = datetime.now(UTC)
    password_hash = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
    db.session.execute(sa.insert(Unit), [{"id": 1, "name": "示范市", "code": "root", "kind": "region",
                                          "sort_order": 0, "is_active": True, "created_at": now, "updated_at": now}])
    db.session.execute(sa.insert(Unit), [
        {"id": i + 2, "name": f"第{i + 1}县", "code": f"c{i + 1}", "kind": "county", "parent_id": 1,
         "sort_order": i, "is_active": True, "created_at": now, "updated_at": now} for i in range(UNITS - 1)])
    users = [{"id": 1, "email": "supervisor@example.cn", "name": "王督办", "role": Role.supervisor.value,
              "unit_id": None}]
    users += [{"id": i + 2, "email": f"lead{i + 1}@example.cn", "name": f"负责人{i + 1}",
               "role": Role.unit_lead.value, "unit_id": i + 1} for i in range(UNITS)]
    for row in users:
        row.update(is_active=True, password_hash=password_hash, session_token=f"token-{row['id']}",
                   created_at=now, updated_at=now)
    db.session.execute(sa.insert(User), users)
    db.session.execute(sa.insert(Plan), [
        {"id": p + 1, "title": f"2026年重点工作实施方案（第{p + 1}批）", "state": "active", "supervisor_id": 1,
         "source_text": "", "is_deleted": False, "created_at": now, "updated_at": now} for p in range(PLANS)])
    per_plan = MEASURES // PLANS
    db.session.execute(sa.insert(Measure), [
        {"id": m + 1, "plan_id": m // per_plan + 1, "position": m % per_plan, "level": 2,
         "number": str(m % per_plan + 1),
         "text": f"第{m + 1}项措施：完善工作机制，按期完成年度目标任务。", "kind": "measure", "is_inline": False,
         "suggestions": {}} for m in range(MEASURES)])
    rng = random.Random(7)
    states = ["assigned", "in_progress", "submitted", "completed", "returned"]
    start = date(2026, 1, 10)
    rows, count = [], 0
    for m in range(MEASURES):
        for u in range(UNITS):
            due = start + timedelta(days=rng.randint(30, 330))
            rows.append({"measure_id": m + 1, "plan_id": m // per_plan + 1, "unit_id": u + 1, "role": "lead",
                         "owner_id": None, "state": rng.choice(states), "due_on": due, "original_due_on": due,
                         "assigned_on": start, "reporting_period": "once", "is_key": rng.random() < 0.1,
                         "evidence_required": True, "return_count": 0, "progress_percent": rng.randint(0, 100),
                         "version": 1, "created_at": now, "updated_at": now})
            if len(rows) >= BATCH:
                db.session.execute(sa.insert(Task), rows)
                count += len(rows)
                rows = []
    if rows:
        db.session.execute(sa.insert(Task), rows)
        count += len(rows)
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return count, "lead10@example.cn"


def rate(client, url: str, seconds: float, headers: dict[str, str] | None = None) -> tuple[float, int]:
    """Requests per second of GET ``url`` through the Flask test client over about ``seconds``;
    every response must be 200."""
    for _ in range(3):  # warm up
        assert client.get(url, headers=headers).status_code == 200
    n, started = 0, time.perf_counter()
    while True:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)
        n += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return n / elapsed, n


class HttpClient:
    """One keep-alive HTTP/1.1 connection to the real server, carrying the session cookie."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, body: str | None = None,
                extra: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = {"Connection": "keep-alive", **(extra or {})}
        if self.cookies and not extra:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
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


def http_rate(client: HttpClient, url: str, seconds: float,
              headers: dict[str, str] | None = None) -> tuple[float, int]:
    """Requests per second of GET ``url`` over real HTTP (one keep-alive connection); with
    ``headers`` (the API token) the session cookie is left out."""
    for _ in range(3):
        assert client.request("GET", url, extra=headers)[0] == 200
    n, started = 0, time.perf_counter()
    while True:
        status, _body = client.request("GET", url, extra=headers)
        assert status == 200, (url, status)
        n += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return n / elapsed, n


class QuietHandler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive, no access log line per request (it would be timed too)."""

    protocol_version = "HTTP/1.1"

    def log_request(self, *args, **kwargs) -> None:
        pass


def report(title: str, figures: dict[str, tuple[float, int]]) -> None:
    health, me, shell, listing, filtered, api = (figures[k][0] for k in ("health", "me", "shell", "list", "filtered",
                                                                         "api"))
    print(title)
    for label, key in (("/healthz", "health"), ("/api/v1/me (token, no data)", "me"),
                       ("/password (signed-in shell)", "shell"), ("/tasks/mine", "list"),
                       ("/tasks/mine?due=30&key=1", "filtered"), ("/api/v1/tasks (JSON, token)", "api")):
        per_second, n = figures[key]
        print(f"  {label:27s} {per_second:8.1f} req/s  {1000 / per_second:6.2f} ms  ({n} requests)")
    ratio = listing / health
    print(f"  ratio list / healthz           {ratio:5.2f}  (target >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")
    # where the time goes: the same ratios for the filtered list, the JSON list and the bare shell
    for label, value in (("list / signed-in shell", listing / shell), ("filtered / healthz", filtered / health),
                         ("API list / healthz", api / health), ("signed-in shell / healthz", shell / health),
                         ("/api/v1/me / healthz", me / health)):
        print(f"  ratio {label:25s}{value:5.2f}")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"CONFIG": "testing", "INSTANCE_PATH": os.path.join(folder, "instance"),
                          "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(folder, "bench.sqlite")})
        with app.app_context():
            db.create_all()
            t0 = time.perf_counter()
            count, email = seed()
            print(f"seeded {count} tasks, {UNITS} units, {MEASURES} measures in {time.perf_counter() - t0:.1f} s")
            lead = db.session.scalar(sa.select(User).where(User.email == email))
            lead_unit = lead.unit_id
            _token, secret = create_token(lead, "bench", actor=lead, now=datetime.now(UTC))
            db.session.commit()
            mine = db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(Task.unit_id == lead_unit))
            db.session.remove()
        print(f"the lead's unit has {mine} of {count} tasks; a page shows 20")
        urls = {"health": "/healthz", "me": "/api/v1/me", "shell": "/password", "list": "/tasks/mine",
                "filtered": "/tasks/mine?due=30&key=1", "api": "/api/v1/tasks"}
        bearer = {"Authorization": f"Bearer {secret}"}
        headers = {key: bearer if key in ("api", "me") else None for key in urls}

        client = app.test_client()
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.status_code
        page = client.get("/tasks/mine").get_data(as_text=True)
        assert "light light-" in page
        report("Flask test client (no network, no server):",
               {key: rate(client, url, SECONDS, headers[key]) for key, url in urls.items()})

        # the same app behind a real threaded WSGI server on localhost, over keep-alive HTTP/1.1
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            http = HttpClient(server.server_port)
            status, _body = http.request("POST", "/login", urlencode({"email": email, "password": PASSWORD}))
            assert status == 302, status
            status, body = http.request("GET", "/tasks/mine")
            assert status == 200 and b"light light-" in body
            report("Real HTTP (werkzeug threaded server, http.client keep-alive):",
                   {key: http_rate(http, url, SECONDS, headers[key]) for key, url in urls.items()})
        finally:
            server.shutdown()
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
