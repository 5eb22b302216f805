"""deploy/: the units and the nginx site render with an installation's settings and pass ``nginx -t``;
nginx in front of gunicorn serves static files itself and evidence through X-Accel-Redirect after the
app checked permission."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
import urllib3

from tests.deploy.procs import ROOT, free_port, production_env
from tests.tasks.conftest import PDF, upload
from tracker.tasks import services
from tracker.tasks.models import Evidence, ReportingPeriod, UnitRole

sys.path.insert(0, str(ROOT / "deploy"))
import render  # noqa: E402  (deploy/ is a folder of files, not a package)

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
OPENSSL = shutil.which("openssl")


def _evidence(db, make, people) -> Evidence:
    """A task of people.unit with one evidence file uploaded by its lead."""
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    plan = make.plan(supervisor=people.supervisor)
    measure = [m for m in plan.measures if m.level == 2][0]
    task = services.assign(plan, [measure.id], [people.unit.id], role=UnitRole.lead, due_on=date(2026, 6, 30),
                           reporting_period=ReportingPeriod.once, evidence_required=True,
                           actor=people.supervisor, now=now)[0]
    db.session.commit()
    services.add_evidence(task, actor=people.lead, files=[upload("落实情况报告.pdf")], now=now)
    db.session.commit()
    return db.session.scalars(sa.select(Evidence).where(Evidence.task_id == task.id)).one()


def test_download_sent_by_the_app_or_by_nginx_by_one_setting(app, db, make, auth):
    people = make.people()
    item = _evidence(db, make, people)
    client = auth.client_for(people.lead)
    direct = client.get(f"/tasks/evidence/{item.id}")
    assert direct.status_code == 200 and direct.data == PDF
    assert "X-Accel-Redirect" not in direct.headers

    app.config["ACCEL_REDIRECT_PREFIX"] = "/_protected/evidence/"
    accel = client.get(f"/tasks/evidence/{item.id}")
    assert accel.status_code == 200 and accel.data == b""
    assert accel.headers["X-Accel-Redirect"] == f"/_protected/evidence/{item.stored_name}"
    assert accel.headers["Content-Disposition"] == direct.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E8%90%BD" in accel.headers["Content-Disposition"]
    assert accel.headers["Cache-Control"] == "private, no-store"
    # permission is still the app's: another unit's lead gets no redirect
    stranger = auth.client_for(people.other_lead)
    refused = stranger.get(f"/tasks/evidence/{item.id}")
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused.headers


def _render(tmp_path: Path, env_file: Path, *, bind: str, https_port: int, http_port: int) -> dict[str, str]:
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    values = render.settings(env_file, APP_DIR=str(ROOT), APP_USER="duban", SERVER_NAME="localhost",
                             TLS_CERT=str(cert), TLS_KEY=str(key), BIND=bind, WORKERS="2",
                             HTTP_PORT=str(http_port), HTTPS_PORT=str(https_port))
    render.render_all(tmp_path / "out", values)
    return values


def test_render_fills_every_placeholder_from_the_environment_file(tmp_path):
    env_file = tmp_path / "duban.env"
    text = (ROOT / "deploy" / "duban.env.example").read_text(encoding="utf-8")
    env_file.write_text(text.replace("/var/lib/duban/evidence", "/srv/shared/evidence"), encoding="utf-8")
    values = _render(tmp_path, env_file, bind="127.0.0.1:8000", https_port=443, http_port=80)
    out = tmp_path / "out"
    for name in render.TEMPLATES:
        assert "{{" not in (out / name).read_text(encoding="utf-8"), name
    web = (out / "duban-web.service").read_text(encoding="utf-8")
    assert f"EnvironmentFile={env_file.resolve()}" in web
    assert f"ExecStart={ROOT}/.venv/bin/gunicorn -w 2 -b 127.0.0.1:8000" in web
    assert "ReadWritePaths=/var/lib/duban/instance /srv/shared/evidence" in web
    assert "flask scheduler run" in (out / "duban-scheduler.service").read_text(encoding="utf-8")
    assert f"ExecStart={ROOT}/.venv/bin/flask audit archive" in (out / "duban-audit-archive.service").read_text(
        encoding="utf-8")
    site = (out / "nginx-duban.conf").read_text(encoding="utf-8")
    assert "location /_protected/evidence/ {\n        internal;\n        alias /srv/shared/evidence/;" in site
    assert values["MAX_UPLOAD_MB"] == "200" and "client_max_body_size 200m;" in site
    with pytest.raises(KeyError, match="SERVER_NAME"):
        render.render("server_name {{SERVER_NAME}};", {})


def _nginx_conf(tmp_path: Path, site: Path) -> Path:
    """A main nginx.conf around the site, with every path in the test's folder."""
    run = tmp_path / "nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run / sub).mkdir(parents=True, exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = run / "nginx.conf"
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {run}/nginx.pid;\nerror_log {run}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log off;\n"
        f"  client_body_temp_path {run}/body;\n  proxy_temp_path {run}/proxy;\n"
        f"  fastcgi_temp_path {run}/fastcgi;\n  uwsgi_temp_path {run}/uwsgi;\n  scgi_temp_path {run}/scgi;\n"
        f"  include {site};\n}}\n", encoding="utf-8")
    return conf


def _certificate(tmp_path: Path) -> None:
    if not OPENSSL:
        pytest.skip("openssl not installed: no certificate for the TLS server block")
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(tmp_path / "tls.key"), "-out", str(tmp_path / "tls.crt")],
                   check=True, capture_output=True, timeout=30)


def _require_nginx() -> str:
    if not NGINX:
        pytest.skip("nginx not installed: the rendered site is not checked with nginx -t")
    return NGINX


def test_rendered_site_passes_nginx_t(tmp_path):
    nginx = _require_nginx()
    _certificate(tmp_path)
    env_file = tmp_path / "duban.env"
    env_file.write_text((ROOT / "deploy" / "duban.env.example").read_text(encoding="utf-8"), encoding="utf-8")
    _render(tmp_path, env_file, bind="127.0.0.1:8000", https_port=free_port(), http_port=free_port())
    conf = _nginx_conf(tmp_path, tmp_path / "out" / "nginx-duban.conf")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path / "nginx"), "-c", str(conf),
                             "-e", str(tmp_path / "nginx" / "error.log")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.mark.processes
def test_nginx_serves_static_and_evidence_after_the_app_checked(tmp_path, processes, app_config, make, db, app):
    """nginx (rendered site) → gunicorn (production config, accelerated sending) on loopback."""
    nginx = _require_nginx()
    _certificate(tmp_path)
    people = make.people()
    item = _evidence(db, make, people)
    upload_folder = app.config["UPLOAD_FOLDER"]
    lead_email, stranger_email, item_id, stored_name = (people.lead.email, people.other_lead.email, item.id,
                                                        item.stored_name)
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()

    app_port, https_port = free_port(), free_port()
    env = production_env(tmp_path / "instance", database_url, TRACKER_UPLOAD_FOLDER=upload_folder,
                         TRACKER_ACCEL_REDIRECT_PREFIX="/_protected/evidence/", TRACKER_PROXY_COUNT="1",
                         TRACKER_RATELIMIT_STORAGE_URI="memory://", TRACKER_SECURE_COOKIES="true")
    env_file = tmp_path / "duban.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items() if k.startswith("TRACKER_")), encoding="utf-8")
    _render(tmp_path, env_file, bind=f"127.0.0.1:{app_port}", https_port=https_port, http_port=free_port())
    conf = _nginx_conf(tmp_path, tmp_path / "out" / "nginx-duban.conf")
    processes.gunicorn("web", app_port, env, workers=2)
    proc = processes.start("nginx", [nginx, "-p", str(tmp_path / "nginx"), "-c", str(conf),
                                     "-e", str(tmp_path / "nginx" / "error.log")], env)
    processes.wait_for_port("nginx", proc, https_port)

    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    base = f"https://127.0.0.1:{https_port}"
    static = requests.get(f"{base}/static/css/app.css", verify=False, timeout=30)
    assert static.status_code == 200
    assert static.content == (ROOT / "tracker" / "static" / "css" / "app.css").read_bytes()
    assert "Content-Security-Policy" not in static.headers  # nginx answered, not the app
    # the internal location is not reachable from outside
    assert requests.get(f"{base}/_protected/evidence/{stored_name}", verify=False, timeout=30).status_code == 404

    from tests.deploy.procs import csrf_token

    browser = requests.Session()
    browser.verify, browser.trust_env = False, False
    browser.headers["Referer"] = f"{base}/login"  # as a browser sends it; CSRF checks it over HTTPS
    page = browser.get(f"{base}/login", timeout=30)
    signed_in = browser.post(f"{base}/login", data={"csrf_token": csrf_token(page.text), "email": lead_email,
                                                     "password": "correct-horse-9"}, timeout=30, allow_redirects=False)
    assert signed_in.status_code == 302, signed_in.text[:300]
    download = browser.get(f"{base}/tasks/evidence/{item_id}", timeout=30)
    assert download.status_code == 200 and download.content == PDF
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]
    assert download.headers["Content-Type"] == "application/pdf"
    # nginx sent the bytes: the app's answer (with its CSP) was only the redirect
    assert "X-Accel-Redirect" not in download.headers and "Content-Security-Policy" not in download.headers
    assert download.headers["Cache-Control"] == "private, no-store"

    stranger = requests.Session()
    stranger.verify, stranger.trust_env = False, False
    stranger.headers["Referer"] = f"{base}/login"
    page = stranger.get(f"{base}/login", timeout=30)
    stranger.post(f"{base}/login", data={"csrf_token": csrf_token(page.text), "email": stranger_email,
                                         "password": "correct-horse-9"}, timeout=30)
    refused = stranger.get(f"{base}/tasks/evidence/{item_id}", timeout=30)
    assert refused.status_code == 404 and refused.content != PDF
