"""In the browser: a unit reuses a file, the supervisor sees a copied report flagged on review, and
the burden view warns past the cap; on a desktop and on a phone, with screenshots."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from tests.burden.test_quality import ORIGINALS, copies
from tests.e2e.conftest import seed_tasks, shot, sign_in
from tests.e2e.test_phone import PHONE, assert_fits
from tests.tasks.conftest import PDF
from tracker import timeutil
from tracker.auth.models import User
from tracker.extensions import db
from tracker.notices import services as notice_services
from tracker.notify import services as notify_services
from tracker.tasks import services
from tracker.tasks.models import Task


@pytest.fixture
def scene(live_app):
    """Two measures for both units, due in three days (reminded, chased); 西城区 reported first, 东城区
    copied it and submitted; 东城区 uploaded a file for its first task."""
    ids = seed_tasks(live_app, due_in_days=3)
    people = live_app.config["E2E_PEOPLE"]
    with live_app.app_context():
        def user(email):
            return db.session.scalar(sa.select(User).where(User.email == email))

        lead, other_lead, supervisor = user(people.lead), user(people.other_lead), user(people.supervisor)
        tasks = [db.session.get(Task, i) for i in ids]
        ours = [t for t in tasks if t.unit_id == people.unit_id]
        theirs = [t for t in tasks if t.unit_id == people.other_unit_id]
        now = timeutil.utcnow()
        services.report_progress(theirs[0], actor=other_lead, text=ORIGINALS[0], percent=60, now=now)
        services.report_progress(ours[0], actor=lead, text=copies(ORIGINALS[0])[2], percent=60, now=now)
        [item] = services.add_evidence(ours[0], actor=lead, files=[FileStorage(io.BytesIO(PDF), "上半年工作台账.pdf")],
                                       now=now)
        # a file from before periods were picked from the task's own, stating a period outside it
        item.proves = "2025年下半年"
        services.submit(ours[0], actor=lead, note="按要求报送。", now=now)
        notify_services.run_reminders(now=now)
        for task in ours:
            notice_services.issue_chase_notice(task, actor=supervisor, now=now)
        db.session.commit()
        result = {"ours": [t.id for t in ours], "theirs": [t.id for t in theirs]}
        db.session.remove()
    live_app.config["BURDEN_MONTHLY_CAP"] = 3
    return result


def test_reuse_flags_and_burden_in_the_browser(live_server, new_page, scene):
    people = live_server.app.config["E2E_PEOPLE"]
    # the unit attaches the file it already uploaded to its second task
    page = new_page()
    sign_in(page, live_server, people.lead)
    page.goto(f"{live_server.url}/tasks/{scene['ours'][1]}")
    page.click("text=引用本单位已上传的材料")
    page.check("#reuse input[name=evidence_id]")
    page.click("#reuse button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#evidence").get_by_text("上半年工作台账.pdf").is_visible()
    assert page.locator("#evidence .badge").inner_text() == "引用"

    for name, size in (("desktop", {}), ("phone", PHONE)):
        page = new_page(**size)
        sign_in(page, live_server, people.supervisor)
        page.goto(f"{live_server.url}/tasks/review")
        flag = page.locator("a.quality-flag")
        assert flag.count() == 1 and "请对照" in flag.inner_text()
        shot(page, f"burden-review-queue-{name}")
        flag.click()
        page.wait_for_load_state("networkidle")
        quality = page.locator("#quality")
        assert quality.is_visible() and "西城区" in quality.inner_text()
        texts = quality.locator(".side-by-side .report-text").all_inner_texts()
        assert texts[1].strip() == ORIGINALS[0]
        assert page.locator("#evidence .quality-flag").count() == 1
        quality.scroll_into_view_if_needed()
        shot(page, f"burden-review-flag-{name}")
        if size:
            assert_fits(page)
            boxes = [b.bounding_box() for b in quality.locator(".side-by-side > div").all()]
            assert boxes[1]["y"] > boxes[0]["y"], "on a phone the two texts stack"
        page.goto(f"{live_server.url}/burden")
        warning = page.locator(".burden-warnings li")
        assert warning.count() == 1 and people.unit in warning.inner_text()
        shot(page, f"burden-overview-{name}")
        warning.locator("a").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("tr.over-cap-row").count() == 1
        shot(page, f"burden-unit-{name}")
        if size:
            assert_fits(page)
