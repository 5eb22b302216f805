"""Browser stories of the daily work: a supervisor approves only after opening the evidence, and
the unit lead of a returned task sees the reason without scrolling and only the way to resubmit,
at desktop and phone width."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from werkzeug.datastructures import FileStorage

from tests.e2e.conftest import seed_tasks, shot, sign_in
from tracker.extensions import db

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _png() -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (640, 480), (235, 240, 245))
    ImageDraw.Draw(picture).rectangle((60, 60, 580, 420), outline=(180, 30, 30), width=12)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def _pdf() -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.setFont("Helvetica-Bold", 28)
    page.drawString(80, 700, "Meeting minutes")
    page.showPage()
    page.save()
    return out.getvalue()


def _work(app, task_id: int, *, returned: str | None = None) -> None:
    """The unit lead uploads two files and submits at 100%; the supervisor returns it if ``returned``."""
    from tracker import timeutil
    from tracker.auth.models import User
    from tracker.tasks import services
    from tracker.tasks.models import Task

    people = app.config["E2E_PEOPLE"]
    with app.app_context():
        lead = db.session.scalar(sa.select(User).where(User.email == people.lead))
        supervisor = db.session.scalar(sa.select(User).where(User.email == people.supervisor))
        task = db.session.get(Task, task_id)
        now = timeutil.utcnow() - timedelta(hours=2)
        files = [FileStorage(io.BytesIO(_png()), "现场照片.png"), FileStorage(io.BytesIO(_pdf()), "会议纪要.pdf")]
        services.add_evidence(task, actor=lead, files=files, now=now)
        services.report_progress(task, actor=lead, text="已召开专题会议，完成现场整改。", percent=100, now=now)
        services.submit(task, actor=lead, now=now)
        if returned:
            services.return_task(task, actor=supervisor, reason=returned, now=now + timedelta(minutes=30))
        db.session.commit()
        db.session.remove()


def _own_task(app, ids: list[int]) -> int:
    from tracker.tasks.models import Task

    with app.app_context():
        unit_id = app.config["E2E_PEOPLE"].unit_id
        task_id = next(i for i in ids if db.session.get(Task, i).unit_id == unit_id)
        db.session.remove()
    return task_id


def test_the_supervisor_approves_only_after_opening_the_evidence(live_server, new_page):
    app = live_server.app
    task_id = _own_task(app, seed_tasks(app, measures=1))
    _work(app, task_id)
    people = app.config["E2E_PEOPLE"]
    page = new_page(**DESKTOP)
    sign_in(page, live_server, people.supervisor)
    page.goto(live_server.url + "/tasks/review")
    row = page.locator(f"#review-{task_id}")
    expect(row).to_contain_text("现场照片.png")
    expect(row).to_contain_text("会议纪要.pdf")
    expect(row).to_contain_text("已召开专题会议")
    # the thumbnail is drawn by the server and shows
    thumb = row.locator("img.thumb")
    expect(thumb).to_be_visible()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", thumb.element_handle())
    # nothing opened yet: the row cannot be ticked, and 审核 leads to the task's review panel
    expect(row.locator("input[name=task_id]")).to_have_count(0)
    expect(row.get_by_role("link", name="审核")).to_have_attribute("href", f"/tasks/{task_id}#review")
    shot(page, "daily-review-queue-desktop")
    for name in ("现场照片.png", "会议纪要.pdf"):
        with page.expect_download() as download:
            row.locator(".file-names").get_by_role("link", name=name).click()
        assert download.value.suggested_filename == name
    page.reload()
    box = page.locator(f"#review-{task_id} input[name=task_id]")
    expect(box).to_be_visible()
    box.check()
    page.get_by_role("button", name="批量办结所选任务").click()
    expect(page.locator(".flash")).to_contain_text("已办结 1 项任务")
    expect(page.locator(f"#review-{task_id}")).to_have_count(0)


@pytest.mark.parametrize("size,name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_a_returned_task_shows_its_reason_first_and_one_way_on(live_server, new_page, size, name):
    app = live_server.app
    ids = seed_tasks(app, measures=1)
    task_id = _own_task(app, ids)
    _work(app, task_id, returned="缺少整改前后对比照片，请补充后重新提交。")
    people = app.config["E2E_PEOPLE"]
    page = new_page(**size)
    sign_in(page, live_server, people.lead)
    page.goto(f"{live_server.url}/tasks/{task_id}")
    banner = page.locator(".return-banner")
    expect(banner).to_contain_text("缺少整改前后对比照片")
    # visible without scrolling
    box = page.locator(".return-reason").bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"], box
    assert page.evaluate("window.scrollY") == 0
    # the only next step offered is to revise and resubmit
    expect(page.get_by_role("button", name="开始办理")).to_have_count(0)
    expect(page.locator("form[action$='/do/start']")).to_have_count(0)
    expect(page.locator("#extension")).to_have_count(0)
    expect(banner.get_by_role("link", name="修改后重新提交")).to_be_visible()
    shot(page, f"daily-returned-task-{name}")
    # the list card carries the reason too
    page.goto(live_server.url + "/tasks/mine")
    expect(page.locator(".return-reason-line")).to_contain_text("缺少整改前后对比照片")
    page.goto(f"{live_server.url}/tasks/{task_id}")
    page.locator(".return-banner").get_by_role("link", name="修改后重新提交").click()
    page.fill("#s-note", "已补充对比照片")
    page.locator("#submit button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("已提交审核")
    expect(page.locator(".return-banner")).to_have_count(0)


@pytest.mark.parametrize("size,name", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_plan_page_rolls_up_and_the_queue_fits(live_server, new_page, size, name):
    app = live_server.app
    ids = seed_tasks(app, measures=2)
    _work(app, _own_task(app, ids))
    people = app.config["E2E_PEOPLE"]
    page = new_page(**size)
    sign_in(page, live_server, people.supervisor)
    page.goto(live_server.url + "/plans")
    page.get_by_role("link", name="2026年优化营商环境重点任务").first.click()
    expect(page.locator(".rollup").first).to_contain_text("0/2 办结")
    page.locator(".rollup-open summary").first.click()
    expect(page.locator(".rollup-open ul").first).to_contain_text(people.other_unit)
    shot(page, f"daily-plan-page-{name}")
    page.goto(live_server.url + "/tasks/review")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, f"daily-review-queue-{name}")
