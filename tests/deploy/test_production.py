"""The README's "past one machine" recipe, run as processes: gunicorn -w 4 with the production
configuration on PostgreSQL, Redis for the sign-in limit, the scheduler as its own process and a
real SMTP server on loopback."""

from __future__ import annotations

import re
import secrets
import subprocess
import time
import uuid
from datetime import timedelta

import pyotp
import pytest
import redis
import requests
import sqlalchemy as sa

from tests import factories
from tests.deploy.procs import (
    BIN,
    ROOT,
    clean_environment,
    csrf_token,
    env_file_from_template,
    free_port,
    postgres_database,
    production_env,
    require_redis,
    sourced,
)
from tests.notify.conftest import TaskMaker
from tracker import create_app, timeutil
from tracker.extensions import db
from tracker.notify import meta
from tracker.notify.models import AppMeta, OutboxEmail

ADMIN_PASSWORD = "Operator-Pass-2026"
NEW_PASSWORD = "Second-Secret-2027"

pytestmark = pytest.mark.processes


def test_production_config_refuses_only_a_missing_or_development_key(tmp_path):
    """Set as the README says, the key is taken; missing, short or the development key, refused."""
    env = production_env(tmp_path / "instance", "sqlite:///" + str(tmp_path / "x.sqlite"))
    check = [str(BIN / "python"), "-c", "import wsgi"]
    assert subprocess.run(check, cwd=ROOT, env=env, capture_output=True, text=True).returncode == 0
    for bad in ("", "dev-only-not-secret", "short"):
        result = subprocess.run(check, cwd=ROOT, env={**env, "TRACKER_SECRET_KEY": bad}, capture_output=True,
                                text=True)
        assert result.returncode != 0 and "TRACKER_SECRET_KEY must be set" in result.stderr


def _populate(url: str, instance) -> dict:
    """A unit with its lead and a task due in three days, written as the app would."""
    app = create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        make = factories.Factory(db)
        unit = make.unit("东城区")
        lead = make.user(factories.Role.unit_lead, unit=unit, name="张主任", email="lead@example.cn")
        db.session.commit()
        today = timeutil.local_today(timeutil.utcnow())
        task = TaskMaker(db, make)(unit, today + timedelta(days=3), owner=lead)
        ids = {"unit": unit.id, "lead": lead.id, "task": task.id}
        db.session.remove()
        db.engine.dispose()
    return ids


def _add_task(url: str, instance, ids: dict) -> int:
    app = create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        from tracker.auth.models import User
        from tracker.units.models import Unit

        make = factories.Factory(db)
        today = timeutil.local_today(timeutil.utcnow())
        task = TaskMaker(db, make)(db.session.get(Unit, ids["unit"]), today + timedelta(days=1),
                                   owner=db.session.get(User, ids["lead"]), text="按时报送季度统计数据。")
        task_id = task.id
        # installed two days ago: the scheduler's start makes up the last daily sweep it missed
        db.session.execute(sa.update(AppMeta).where(AppMeta.key == meta.INSTALLED_AT)
                           .values(value=(timeutil.utcnow() - timedelta(days=2)).isoformat()))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return task_id


def _outbox(url: str) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(OutboxEmail.__table__)).all()
    finally:
        engine.dispose()


def test_production_recipe_serves_sends_mail_and_schedules(tmp_path, processes, smtp):
    require_redis()
    with postgres_database() as url:
        instance = tmp_path / "instance"
        prefix = f"duban-test-{uuid.uuid4().hex[:8]}"
        # the template of deploy/, filled in as the README says; no nginx in front here
        env_file = env_file_from_template(tmp_path / "duban.env", {
            "TRACKER_SECRET_KEY": secrets.token_hex(32), "TRACKER_DATABASE_URL": url,
            "TRACKER_INSTANCE_PATH": str(instance), "TRACKER_UPLOAD_FOLDER": str(tmp_path / "evidence"),
            "TRACKER_MAIL_SERVER": "127.0.0.1", "TRACKER_MAIL_PORT": str(smtp.port),
            "TRACKER_ACCEL_REDIRECT_PREFIX": "", "TRACKER_PROXY_COUNT": "0",
            "TRACKER_SECURE_COOKIES": "false",  # plain HTTP on loopback, no TLS in front
            "TRACKER_RATELIMIT_KEY_PREFIX": prefix, "TRACKER_LOGIN_RATE_LIMIT": "3 per minute",
        })
        env = clean_environment()
        venv = str(BIN)
        processes.run(sourced(env_file, f"{venv}/flask db upgrade"), env)
        create = f"{venv}/flask users create ops@example.cn --name 运维管理员 --role admin --password-stdin"
        out = processes.run(sourced(env_file, create), env, input=ADMIN_PASSWORD + "\n").stdout
        assert "created user" in out
        ids = _populate(url, instance)
        # an operator's one-off sweep queues the reminder for the task due in three days
        out = processes.run(sourced(env_file, f"{venv}/flask reminders run"), env).stdout
        assert "reminders:" in out
        assert [row.related_id for row in _outbox(url)] == [ids["task"]]

        port = free_port()
        processes.serve("web", port, sourced(env_file, f"{venv}/gunicorn -w 4 -b 127.0.0.1:{port} wsgi:app"), env)
        base = f"http://127.0.0.1:{port}"
        browser = requests.Session()
        page = browser.get(f"{base}/login", timeout=30)
        assert page.status_code == 200 and "登录督办系统" in page.text
        assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
        # CSRF is on in production: a form post without the token is refused
        bare = requests.post(f"{base}/login", data={"email": "ops@example.cn", "password": ADMIN_PASSWORD},
                             timeout=30, allow_redirects=False)
        assert bare.status_code == 400
        signed_in = browser.post(f"{base}/login", data={"csrf_token": csrf_token(page.text),
                                                         "email": "ops@example.cn", "password": ADMIN_PASSWORD},
                                 timeout=30, allow_redirects=False)
        assert signed_in.status_code == 302, signed_in.text[:300]
        # production defaults: the first sign-in changes the password set on the command line, then
        # sets up the authenticator, before any other page opens
        forced = browser.get(f"{base}/admin/users/", timeout=30, allow_redirects=False)
        assert forced.status_code == 302 and forced.headers["Location"].endswith("/password")
        page = browser.get(f"{base}/password", timeout=30)
        changed = browser.post(f"{base}/password", data={
            "csrf_token": csrf_token(page.text), "current": ADMIN_PASSWORD, "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD}, timeout=30, allow_redirects=False)
        assert changed.status_code == 302, changed.text[:500]
        forced = browser.get(f"{base}/admin/users/", timeout=30, allow_redirects=False)
        assert forced.headers["Location"].endswith("/account/second-factor")
        page = browser.get(f"{base}/account/second-factor", timeout=30)
        secret = re.search(r'<code class="totp-secret">([A-Z2-7]+)</code>', page.text).group(1)
        enabled = browser.post(f"{base}/account/second-factor", data={
            "csrf_token": csrf_token(page.text), "code": pyotp.TOTP(secret).now()}, timeout=30)
        assert enabled.status_code == 200 and enabled.text.count("<li><code>") == 10
        # the session holds whichever of the four workers answers
        for _ in range(12):
            home = browser.get(f"{base}/admin/users/", timeout=30)
            assert home.status_code == 200 and "运维管理员" in home.text
        static = requests.get(f"{base}/static/css/app.css", timeout=30)
        assert static.status_code == 200

        # the sign-in limit is counted in Redis, shared by the four workers: posts 1 to 3 pass, 4 is refused
        stranger = requests.Session()
        token = csrf_token(stranger.get(f"{base}/login", timeout=30).text)
        codes = [stranger.post(f"{base}/login", data={"csrf_token": token, "email": "ops@example.cn",
                                                      "password": "wrong"}, timeout=30).status_code
                 for _ in range(3)]
        assert codes == [401, 401, 429]
        keys = redis.Redis(host="127.0.0.1", port=6379, db=0).keys(f"*{prefix}/*")
        assert keys, "no rate-limit counter in Redis"

        # the scheduler, its own process: sends the queued reminder, and the sweep it missed (made up
        # at start) queues the next one
        second = _add_task(url, instance, ids)
        processes.start("scheduler", sourced(env_file, f"{venv}/flask scheduler run"), env)
        processes.wait_for_log("scheduler", r"scheduler \S+ started")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
                smtp.messages and any(row.related_id == second for row in _outbox(url))):
            time.sleep(0.3)
        assert smtp.messages, processes.log("scheduler")
        assert smtp.handler.envelopes[0][1] == ["lead@example.cn"]
        assert b"Subject:" in smtp.messages[0]
        rows = {row.related_id: row for row in _outbox(url)}
        assert rows[ids["task"]].status.value == "sent"
        assert second in rows, "the scheduler's reminder sweep did not run"
