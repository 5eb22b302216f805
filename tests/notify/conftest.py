"""Fixtures for mail tests: tasks on a plan, and a real SMTP server on loopback."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime

import pytest
from aiosmtpd.controller import Controller

from tracker.plans.models import Measure, MeasureKind
from tracker.tasks.models import ReportingPeriod, Task, TaskState


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Handler:
    """Keeps what it received; ``mode`` switches the answer to DATA: "ok", "451" or "550"."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.mode = "ok"
        #: answer the first N messages with ``mode``, then go back to "ok" (None: always)
        self.fail_count: int | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.mode != "ok":
            if self.fail_count is not None:
                self.fail_count -= 1
                if self.fail_count <= 0:
                    mode, self.mode = self.mode, "ok"
                    return "451 4.3.0 try later" if mode == "451" else "550 5.1.1 no such user"
            return "451 4.3.0 try later" if self.mode == "451" else "550 5.1.1 no such user"
        self.messages.append(envelope.original_content or envelope.content)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SMTPServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = Handler()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[bytes]:
        return self.handler.messages


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def mail_config(app_config, smtp_port) -> dict:
    """The app talks to 127.0.0.1:<smtp_port>; the server is not started yet."""
    app_config.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_SUPPRESS_SEND": False,
                       "MAIL_TIMEOUT": 5, "MAIL_DEFAULT_SENDER": "duban@example.cn"})
    return app_config


@pytest.fixture
def smtp(mail_config, smtp_port):
    server = SMTPServer(smtp_port)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down(mail_config, smtp_port):
    """A server object on the configured port, not running until ``start()``."""
    server = SMTPServer(smtp_port)
    yield server
    server.stop()


class TaskMaker:
    def __init__(self, db, make):
        self.db = db
        self.make = make
        self.plan = None

    def __call__(self, unit, due_on: date, *, owner=None, state: TaskState = TaskState.assigned,
                 period: ReportingPeriod = ReportingPeriod.once, text: str = "完成年度重点项目建设。",
                 plan=None, supervisor=None, acknowledged: bool = True) -> Task:
        if plan is None:
            if self.plan is None:
                self.plan = self.make.plan(supervisor=supervisor)
            plan = self.plan
        position = len(plan.measures) + 100 + len(self.db.session.new)
        measure = Measure(plan_id=plan.id, position=position, level=2, number=str(position), text=text,
                          kind=MeasureKind.measure)
        self.db.session.add(measure)
        self.db.session.flush()
        task = Task(measure_id=measure.id, plan_id=plan.id, unit_id=unit.id, owner_id=owner.id if owner else None,
                    state=state, due_on=due_on, original_due_on=due_on, assigned_on=date(2026, 1, 10),
                    reporting_period=period,
                    # 签收 on the day it was handed over: these tasks test the deadline reminders
                    acknowledged_at=datetime(2026, 1, 10, 2, 0, tzinfo=UTC) if acknowledged else None)
        self.db.session.add(task)
        self.db.session.commit()
        return task


@pytest.fixture
def make_task(db, make):
    return TaskMaker(db, make)
