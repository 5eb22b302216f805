"""Running the app the way an operator does: processes on free loopback ports, stopped at the end.

Shared by the production, multi-process and backup tests: a PostgreSQL database of the test's
own, a check that Redis answers, the production environment, and a process group that stops
everything it started (even when the test fails).
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("TRACKER_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reachable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def require_postgres() -> None:
    url = sa.make_url(PG_ADMIN_URL)
    if not reachable(url.host or "127.0.0.1", url.port or 5432):
        pytest.skip(f"PostgreSQL not reachable at {url.host}:{url.port or 5432}")


def require_redis() -> None:
    if not reachable(REDIS_HOST, REDIS_PORT):
        pytest.skip(f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the test server; dropped afterwards."""
    require_postgres()
    admin = sa.make_url(PG_ADMIN_URL)
    name = f"duban_proc_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        engine.dispose()


def production_env(instance: Path, database_url: str, *, smtp_port: int | None = None,
                   redis_db: int = 0, **extra: str) -> dict[str, str]:
    """The environment the README's "past one machine" section sets, on loopback."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TRACKER_", "FLASK_"))}
    env.update({
        "FLASK_APP": "wsgi",
        "TRACKER_CONFIG": "production",
        "TRACKER_SECRET_KEY": secrets.token_hex(32),
        "TRACKER_DATABASE_URL": database_url,
        "TRACKER_INSTANCE_PATH": str(instance),
        "TRACKER_UPLOAD_FOLDER": str(instance / "evidence"),
        "TRACKER_RATELIMIT_STORAGE_URI": f"redis://{REDIS_HOST}:{REDIS_PORT}/{redis_db}",
        "TRACKER_RATELIMIT_KEY_PREFIX": f"duban-test-{uuid.uuid4().hex[:8]}",
        # plain http on loopback: no TLS in front of the app in this test
        "TRACKER_SECURE_COOKIES": "false",
        "PYTHONUNBUFFERED": "1",
    })
    if smtp_port:
        env.update({"TRACKER_MAIL_SERVER": "127.0.0.1", "TRACKER_MAIL_PORT": str(smtp_port),
                    "TRACKER_MAIL_DEFAULT_SENDER": "duban@example.cn", "TRACKER_MAIL_TIMEOUT": "5"})
    env.update(extra)
    return env


def clean_environment() -> dict[str, str]:
    """This process's environment without any TRACKER_ or FLASK_ setting of its own."""
    return {key: value for key, value in os.environ.items() if not key.startswith(("TRACKER_", "FLASK_"))}


def env_file_from_template(path: Path, values: dict[str, str]) -> Path:
    """deploy/duban.env.example with these values filled in; the rest as the template has them."""
    def quoted(value: str) -> str:
        return f'"{value}"' if " " in value else value

    lines, seen = [], set()
    for line in (ROOT / "deploy" / "duban.env.example").read_text(encoding="utf-8").splitlines():
        key = line.partition("=")[0]
        if not line.startswith("#") and "=" in line and key in values:
            line = f"{key}={quoted(values[key])}"
            seen.add(key)
        lines.append(line)
    lines += [f"{key}={quoted(value)}" for key, value in values.items() if key not in seen]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sourced(env_file: Path, command: str) -> list[str]:
    """A command run as the README says: the environment file sourced, FLASK_APP=wsgi."""
    return ["bash", "-c", f"set -a && . {shlex.quote(str(env_file))} && set +a && export FLASK_APP=wsgi && "
                          f"exec {command}"]


class Processes:
    """Starts commands in the project folder, each in its own process group; ``stop_all`` ends them."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self.running: list[tuple[str, subprocess.Popen]] = []

    def run(self, args: list[str], env: dict[str, str], *, input: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
        """A one-off command (``flask db upgrade``); fails the test with its output when it fails."""
        result = subprocess.run(args, cwd=ROOT, env=env, input=input, capture_output=True, text=True,
                                timeout=timeout)
        if result.returncode != 0:
            pytest.fail(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.running.append((name, proc))
        return proc

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def gunicorn(self, name: str, port: int, env: dict[str, str], workers: int = 4) -> subprocess.Popen:
        return self.serve(name, port, [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}",
                                       "--graceful-timeout", "3", "wsgi:app"], env)

    def serve(self, name: str, port: int, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        """Start the web server and wait until the app answers on ``port``."""
        proc = self.start(name, args, env)
        self.wait_for_port(name, proc, port)
        self.wait_for_app(name, proc, port)
        return proc

    def wait_for_app(self, name: str, proc: subprocess.Popen, port: int, timeout: float = 90) -> None:
        """Until a worker answers: the port listens before the workers have imported the app (slow on
        a busy machine)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode}:\n{self.log(name)}")
            try:
                if requests.get(f"http://127.0.0.1:{port}/login", timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        pytest.fail(f"{name} did not answer within {timeout}s:\n{self.log(name)}")

    def scheduler(self, name: str, env: dict[str, str]) -> subprocess.Popen:
        return self.start(name, [str(BIN / "flask"), "scheduler", "run"], env)

    def wait_for_port(self, name: str, proc: subprocess.Popen, port: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode}:\n{self.log(name)}")
            if reachable("127.0.0.1", port):
                return
            time.sleep(0.2)
        pytest.fail(f"{name} did not listen on {port} within {timeout}s:\n{self.log(name)}")

    def wait_for_log(self, name: str, pattern: str, timeout: float = 30) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.log(name))
            if match:
                return match
            time.sleep(0.2)
        pytest.fail(f"{name}: no {pattern!r} within {timeout}s:\n{self.log(name)}")

    def stop_all(self) -> None:
        """SIGTERM to each group, then SIGKILL to what is left after a few seconds."""
        for _name, proc in reversed(self.running):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 8
        for _name, proc in self.running:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        self.running.clear()


@pytest.fixture
def processes(tmp_path) -> Iterator[Processes]:
    procs = Processes(tmp_path / "logs")
    try:
        yield procs
    finally:
        procs.stop_all()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
