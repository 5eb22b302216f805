"""Two hosts' worth of processes on one PostgreSQL: two gunicorn instances, each with its own upload
folder path onto one shared folder, and two schedulers. Every reminder and 督办单 goes out once,
evidence uploaded through one instance downloads through the other, sessions and the sign-in limit
hold across both."""

from __future__ import annotations

import os
import re
import subprocess
import time
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from tests import factories
from tests.deploy.procs import BIN, ROOT, csrf_token, free_port, postgres_database, production_env, require_redis
from tests.notify.conftest import TaskMaker
from tests.tasks.conftest import PDF
from tracker import create_app, timeutil
from tracker.extensions import db
from tracker.notices.models import SupervisionNotice
from tracker.notify import meta
from tracker.notify.models import AppMeta, OutboxEmail
from tracker.tasks.models import Evidence

pytestmark = pytest.mark.processes


def _populate(url: str, instance) -> dict:
    """Two units with a lead each and tasks due within the reminder offsets."""
    app = create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        make = factories.Factory(db)
        tasks = TaskMaker(db, make)
        today = timeutil.local_today(timeutil.utcnow())
        ids = {"tasks": []}
        for n, name in enumerate(("东城区", "西城区")):
            unit = make.unit(name, email=f"office{n}@example.cn")
            lead = make.user(factories.Role.unit_lead, unit=unit, name=f"主任{n}", email=f"lead{n}@example.cn")
            db.session.commit()
            for days in (0, 1, 3):
                ids["tasks"].append(tasks(unit, today + timedelta(days=days), owner=lead).id)
            ids[f"lead{n}"] = lead.email
        # installed two days ago: the scheduler's start makes up the last daily sweep it missed
        db.session.execute(sa.update(AppMeta).where(AppMeta.key == meta.INSTALLED_AT)
                           .values(value=(timeutil.utcnow() - timedelta(days=2)).isoformat()))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return ids


def _rows(url: str, table) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(table)).all()
    finally:
        engine.dispose()


def _sign_in(session: requests.Session, base: str, email: str) -> None:
    token = csrf_token(session.get(f"{base}/login", timeout=30).text)
    response = session.post(f"{base}/login", data={"csrf_token": token, "email": email,
                                                   "password": factories.PASSWORD}, timeout=30, allow_redirects=False)
    assert response.status_code == 302, response.text[:300]


def test_two_hosts_one_database(tmp_path, processes, smtp):
    require_redis()
    with postgres_database() as url:
        shared = tmp_path / "nfs" / "evidence"
        shared.mkdir(parents=True)
        # generated 督办单 (outbox attachments), plan files and pending uploads live in the instance
        # folder: it is shared, too, or a scheduler on one host cannot attach a notice made on the other
        (tmp_path / "nfs" / "instance").mkdir()
        common = production_env(tmp_path / "host-a" / "instance", url, smtp_port=smtp.port,
                                TRACKER_LOGIN_RATE_LIMIT="5 per minute")
        hosts = {}
        for name in ("a", "b"):
            home = tmp_path / f"host-{name}"
            home.mkdir(exist_ok=True)
            os.symlink(shared, home / "evidence")  # each host's own path onto the shared folder
            os.symlink(tmp_path / "nfs" / "instance", home / "instance")
            hosts[name] = {**common, "TRACKER_INSTANCE_PATH": str(home / "instance"),
                           "TRACKER_UPLOAD_FOLDER": str(home / "evidence")}
        processes.run([str(BIN / "flask"), "db", "upgrade"], hosts["a"])
        ids = _populate(url, tmp_path / "host-a" / "instance")

        ports = {name: free_port() for name in hosts}
        for name, env in hosts.items():
            processes.gunicorn(f"web-{name}", ports[name], env, workers=2)
        a, b = (f"http://127.0.0.1:{ports[n]}" for n in ("a", "b"))

        # signed in through A, the same session works on B
        browser = requests.Session()
        _sign_in(browser, a, ids["lead0"])
        task_id = ids["tasks"][0]
        page = browser.get(f"{b}/tasks/{task_id}", timeout=30)
        assert page.status_code == 200 and "主任0" in page.text
        # evidence uploaded through A downloads through B
        upload = browser.post(f"{a}/tasks/{task_id}/evidence", data={"csrf_token": csrf_token(page.text)},
                              files={"files": ("落实情况报告.pdf", PDF, "application/pdf")}, timeout=30,
                              allow_redirects=False)
        assert upload.status_code == 302, upload.text[:500]
        [evidence] = _rows(url, Evidence.__table__)
        assert (shared / evidence.stored_name).read_bytes() == PDF
        download = browser.get(f"{b}/tasks/evidence/{evidence.id}", timeout=30)
        assert download.status_code == 200 and download.content == PDF

        # one sign-in limit for both: 1 success above, 4 failures alternating hosts, then refused on either
        stranger = requests.Session()
        token = csrf_token(stranger.get(f"{a}/login", timeout=30).text)
        codes = [stranger.post(f"{base}/login", data={"csrf_token": token, "email": "nobody@example.cn",
                                                      "password": "wrong"}, timeout=30).status_code
                 for base in (a, b, a, b, b)]
        assert codes == [401, 401, 401, 401, 429]

        # the half year's 督办单, issued from host A, then again from host B: the second adds nothing
        flask = str(BIN / "flask")
        first = processes.run([flask, "notices", "issue", "--period", "2026-H2"], hosts["a"]).stdout
        again = processes.run([flask, "notices", "issue", "--period", "2026-H2"], hosts["b"]).stdout
        assert len(_rows(url, SupervisionNotice.__table__)) == 2, first + again

        # two schedulers at once: one holds the lease and works, the other waits
        for name, env in hosts.items():
            processes.scheduler(f"scheduler-{name}", env)
        notice_table, outbox_table = SupervisionNotice.__table__, OutboxEmail.__table__
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            rows = _rows(url, outbox_table)
            reminders = [r for r in rows if r.kind == "task_due"]
            notices = [r for r in rows if r.related_type == "supervision_notice"]
            if reminders and notices and all(r.status.value == "sent" for r in notices):
                break
            time.sleep(0.3)
        else:
            raise AssertionError(processes.log("scheduler-a") + processes.log("scheduler-b"))
        # what is left goes out by a one-off send on each host at the same moment
        sends = [subprocess.Popen([str(BIN / "flask"), "outbox", "send"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT) for env in hosts.values()]
        for proc in sends:
            proc.communicate(timeout=60)
            assert proc.returncode == 0
        time.sleep(0.5)

        rows = _rows(url, outbox_table)
        assert rows and all(r.status.value == "sent" for r in rows if r.to_addr), \
            [(r.id, r.status, r.last_error) for r in rows]
        sent_ids = [int(m) for raw in smtp.messages
                    for m in re.findall(rb"Message-ID: <[0-9.]+\.outbox-(\d+)@", raw, re.I)]
        assert sorted(sent_ids) == sorted(r.id for r in rows if r.to_addr), "a message went out twice or not at all"
        notices = _rows(url, notice_table)
        assert sorted(n.unit_id for n in notices) == sorted({n.unit_id for n in notices}) and len(notices) == 2
        assert len({r.dedupe_key for r in rows}) == len(rows)
        logs = processes.log("scheduler-a") + processes.log("scheduler-b")
        assert logs.count("reminders: facts=") == 1, logs
