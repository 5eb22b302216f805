"""A unit lead with no account in use opens the emailed one-task link on a phone (375×812), and
acknowledges (签收), reports, uploads a photo and submits; the supervisor then sees 已签收 and the
submission. The mail goes through the outbox to a real SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_phone import assert_fits, assert_reachable
from tests.notify.conftest import SMTPServer, free_port
from tracker.extensions import db

PHONE = {"width": 375, "height": 812}
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def smtp_server(app_config):
    port = free_port()
    app_config.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SUPPRESS_SEND": False,
                       "MAIL_TIMEOUT": 5, "MAIL_DEFAULT_SENDER": "duban@example.cn"})
    server = SMTPServer(port)
    server.start()
    yield server
    server.stop()


def _assign_and_send(app, base_url: str) -> int:
    """The supervisor hands a measure to the lead's unit; the outbox sends the mail."""
    from tests import factories
    from tracker import timeutil
    from tracker.auth.models import User
    from tracker.notify import dispatch
    from tracker.plans.models import Measure
    from tracker.tasks import services
    from tracker.tasks.models import ReportingPeriod, UnitRole

    people = app.config["E2E_PEOPLE"]
    app.config["BASE_URL"] = base_url
    with app.app_context():
        supervisor = db.session.scalar(sa.select(User).where(User.email == people.supervisor))
        plan = factories.Factory(db).plan("2026年优化营商环境重点任务", supervisor=supervisor)
        measure = db.session.scalars(sa.select(Measure.id).where(Measure.plan_id == plan.id, Measure.level > 1)
                                     .order_by(Measure.position)).first()
        now = timeutil.utcnow()
        [task] = services.assign(plan, [measure], [people.unit_id], role=UnitRole.lead,
                                 due_on=timeutil.local_today(now) + timedelta(days=60),
                                 reporting_period=ReportingPeriod.once, actor=supervisor, now=now)
        db.session.commit()
        task_id = task.id
        result = dispatch.send_pending(now=now)
        db.session.commit()
        assert result.sent >= 1, result
        db.session.remove()
    return task_id


def _link_in_mail(server: SMTPServer, address: str) -> str:
    for raw in server.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if address not in str(message["To"]):
            continue
        text = message.get_body(preferencelist=("plain",)).get_content()
        found = re.search(r"https?://\S+/l/[A-Za-z0-9_-]+", text)
        assert found, text
        return found.group(0)
    raise AssertionError(f"no mail to {address}")


def test_emailed_link_on_a_phone_acknowledge_report_upload_submit(smtp_server, live_server, live_app, new_page,
                                                                  tmp_path):
    people = live_app.config["E2E_PEOPLE"]
    task_id = _assign_and_send(live_app, live_server.url)
    link = _link_in_mail(smtp_server, people.lead)

    page = new_page(**PHONE)
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(link)
    assert "未签收" in page.inner_text("#ack") and people.lead in page.inner_text(".link-note")
    assert_fits(page)
    shot(page, "link-01-phone-opened")

    acknowledge = page.get_by_role("button", name="签收")
    assert_reachable(acknowledge)
    acknowledge.click()
    page.wait_for_load_state("networkidle")
    assert "已签收。" in page.inner_text(".flash-success") and "已签收" in page.inner_text("#ack")

    page.fill("#p-text", "已完成现场核查，整改到位。")
    page.fill("#p-percent", "100")
    page.get_by_role("button", name="报送进展").last.click()
    page.wait_for_load_state("networkidle")
    assert "进展已报送。" in page.inner_text(".flash-success")

    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    page.set_input_files("#e-files", str(photo))
    page.get_by_role("button", name="上传", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "现场照片.png" in page.inner_text("#evidence")
    assert_fits(page)
    shot(page, "link-02-phone-reported")

    submit = page.get_by_role("button", name="提交审核")
    assert_reachable(submit)
    submit.click()
    page.wait_for_load_state("networkidle")
    assert "已提交审核。" in page.inner_text(".flash-success")
    assert_fits(page)
    shot(page, "link-03-phone-submitted")
    assert errors == []

    # the supervisor sees 已签收 (by the link's address) and the submission
    desk = new_page()
    sign_in(desk, live_server, people.supervisor)
    desk.goto(f"{live_server.url}/tasks/{task_id}")
    facts = desk.inner_text("#ack-status")
    assert "已签收" in facts and people.lead in facts
    assert "提交审核" in desk.inner_text("#timeline") and "现场照片.png" in desk.inner_text("#evidence")
    shot(desk, "link-04-desktop-supervisor")

    # the link page at desktop width, for the record
    wide = new_page()
    wide.goto(link)
    assert "已签收" in wide.inner_text("#ack")
    shot(wide, "link-05-desktop-link")


def test_a_unit_refuses_a_misrouted_task_and_the_supervisor_reassigns_it(live_server, live_app, new_page):
    from tests.e2e.conftest import seed_tasks

    people = live_app.config["E2E_PEOPLE"]
    task_id = seed_tasks(live_app, measures=1)[1]  # the one handed to the other unit
    unit_page = new_page()
    sign_in(unit_page, live_server, people.other_lead)
    unit_page.goto(f"{live_server.url}/tasks/{task_id}")
    assert "未签收" in unit_page.inner_text("#ack-status")
    unit_page.fill("#rf-reason", "该事项属东城区职责，非本单位。")
    unit_page.locator("#refuse button[type=submit]").click()
    unit_page.wait_for_load_state("networkidle")
    assert "已退回，等待督办人处理。" in unit_page.inner_text(".flash-success")
    shot(unit_page, "refuse-01-unit")

    desk = new_page()
    sign_in(desk, live_server, people.supervisor)
    desk.goto(f"{live_server.url}/tasks/review")
    assert "该事项属东城区职责" in desk.inner_text("#refusals")
    shot(desk, "refuse-02-review-queue")
    desk.locator("#refusals a").first.click()
    desk.wait_for_load_state("networkidle")
    shot(desk, "refuse-03-supervisor-task")
    # 东城区 already has this measure: a clear message, nothing changes
    desk.select_option("#rf-unit", label=people.unit)
    desk.get_by_role("button", name="改派", exact=True).click()
    desk.wait_for_load_state("networkidle")
    assert "已承办此措施" in desk.inner_text(".flash-danger")
    desk.select_option("#rf-unit", label="示范市")
    desk.get_by_role("button", name="改派", exact=True).click()
    desk.wait_for_load_state("networkidle")
    assert "已改派给示范市" in desk.inner_text(".flash-success")
    assert "西城区" in desk.inner_text("#timeline") and "退回交办" in desk.inner_text("#timeline")
    shot(desk, "refuse-04-reassigned")
    desk.goto(f"{live_server.url}/dashboard")
    assert "未签收" in desk.inner_text("#stat-unacknowledged")
    shot(desk, "refuse-05-dashboard")
