"""A supervisor issues a 催办单 from the page of a task near its deadline, in a real browser, and
downloads it as a PDF that passes the GB/T 9704 conformance check."""

import re

from tests.e2e.conftest import seed_tasks, shot, sign_in
from tracker import conformance


def test_chase_notice_from_the_task_page(live_server, live_app, new_page):
    people = live_app.config["E2E_PEOPLE"]
    near = seed_tasks(live_app, due_in_days=3, measures=1)[0]
    far = seed_tasks(live_app, due_in_days=40, measures=1)[0]
    page = new_page()
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    sign_in(page, live_server, people.supervisor)
    # a task far from its deadline offers no 催办单
    page.goto(f"{live_server.url}/tasks/{far}")
    assert page.locator("#chase button").count() == 0
    page.goto(f"{live_server.url}/tasks/{near}")
    shot(page, "chase-task-page")
    page.click("#chase button:has-text('印发催办单')")
    page.wait_for_load_state("networkidle")
    heading = page.inner_text("h1")
    assert re.search(r"催办〔\d{4}〕1号", heading), heading
    assert "催办单" in page.inner_text(".official-doc")
    shot(page, "chase-notice")
    with page.expect_download() as download:
        page.click("a:has-text('下载 PDF')")
    data = open(download.value.path(), "rb").read()
    failed = [r.line() for r in conformance.check_pdf(data) if not r.passed]
    assert not failed, failed
    # the same task again the same day: refused, back on the task page with the reason
    page.goto(f"{live_server.url}/tasks/{near}")
    page.click("#chase button")
    page.wait_for_load_state("networkidle")
    assert f"/tasks/{near}" in page.url and "今天已对该任务发出催办单" in page.inner_text("main")
    assert errors == []
