"""The supervision loop in a real browser, in Chinese: import → assign → evidence → return → approve →
dashboard and ledger → the reminder in the outbox."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in
from tracker import timeutil

SEED = Path(__file__).resolve().parent.parent / "data" / "seed-work-plans.txt"
EVIDENCE_NAME = "东城区落实情况佐证材料.pdf"
RETURN_REASON = "佐证材料不完整，请补充会议纪要。"


def minimal_pdf() -> bytes:
    """A one-page PDF, small but well formed (header, objects, xref, trailer)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def watch_console(page) -> list[str]:
    """Console errors of the page (CSP violations included)."""
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def expect_flash(page, text: str) -> None:
    """The page after a form was sent shows this message (waits for the redirect to land)."""
    expect(page.locator(".flash", has_text=text)).to_be_visible()


def dashboard_figure(page, label: str) -> str:
    """The value of one stat tile on the dashboard, by its label."""
    return page.locator(".stats .stat", has=page.locator(".label", has_text=label)).first \
        .locator(".value").inner_text().strip()


def test_supervision_story(live_server, live_app, new_page, tmp_path):
    people = live_app.config["E2E_PEOPLE"]
    url = live_server.url

    # -- 1. the supervisor imports the seed file: preview shows the outline, save makes five plans
    sup = new_page()
    sup_errors = watch_console(sup)
    sign_in(sup, live_server, people.supervisor)
    sup.click("nav.mainnav >> text=工作计划")
    sup.wait_for_url("**/plans/")
    shot(sup, "story-01-plans-empty")
    sup.click("text=导入计划")
    sup.wait_for_url("**/plans/import")
    sup.set_input_files("input[type=file][name=file]", str(SEED))
    shot(sup, "story-02-import")
    sup.click("#preview-button")
    sup.wait_for_selector("#outline-editor .erow")
    assert "识别出 5 份计划" in sup.inner_text("#preview-summary")
    assert sup.locator("#outline-editor .eplan").count() == 5
    assert sup.locator("#outline-static").is_hidden()
    # each row: a short number field and the text beside it, both inside the editor
    first_row = sup.locator("#outline-editor .erow").first
    number_box = first_row.locator("input.enumber").bounding_box()
    text_box = first_row.locator("textarea.etext").bounding_box()
    editor_box = sup.locator("#outline-editor").bounding_box()
    assert number_box["width"] < text_box["width"]
    assert text_box["x"] + text_box["width"] <= editor_box["x"] + editor_box["width"] + 1
    assert "seed-work-plans.txt" in sup.inner_text("h1")
    shot(sup, "story-03-preview")
    sup.click("#save-form button[type=submit]")
    sup.wait_for_load_state("networkidle")
    expect_flash(sup, "已导入 5 份计划")
    sup.click("nav.mainnav >> text=工作计划")
    sup.wait_for_url("**/plans/")
    rows = sup.locator("table.table tbody tr")
    assert rows.count() == 5
    titles = rows.locator("td:first-child a").all_inner_texts()
    assert sorted(titles) == [f"工作计划和总结范文第{n}篇" for n in range(1, 6)]
    shot(sup, "story-04-plans-list")

    # -- 2. the first plan: 分解交办 two measures to the two units, due in ten days
    sup.click("text=工作计划和总结范文第1篇")
    sup.wait_for_selector("h1:has-text('工作计划和总结范文第1篇')")
    plan_url = sup.url
    sup.click("text=分解交办")
    sup.wait_for_url("**/assign")
    measures = sup.locator("input[name=measure_id]")
    assert measures.count() >= 2
    picked = []
    for index in range(2):
        box = measures.nth(index)
        box.check()
        picked.append(box.locator("xpath=..").inner_text().strip())
    for name in (people.unit, people.other_unit):
        sup.locator(".units-list label", has_text=name).locator("input").check()
    today = timeutil.local_today(timeutil.utcnow())
    due = today + timedelta(days=10)
    sup.fill("#a-due", due.isoformat())
    shot(sup, "story-05-assign")
    sup.click(".assign-form button.btn-primary:has-text('交办')")
    sup.wait_for_url("**/matrix")
    expect_flash(sup, "已交办 4 项任务")
    matrix_text = sup.inner_text("main")
    assert people.unit in matrix_text and people.other_unit in matrix_text
    shot(sup, "story-06-matrix")
    sup.goto(plan_url)
    # each assigned measure rolls up its units: none completed of two
    assert sup.locator(".rollup").all_inner_texts() == ["0/2 办结", "0/2 办结"]
    sup.goto(url + "/dashboard")
    assert dashboard_figure(sup, "任务总数") == "4"
    assert dashboard_figure(sup, "已办结") == "0"
    assert float(dashboard_figure(sup, "完成率").rstrip("%")) == 0.0
    measure_label = picked[0]
    sup.goto(f"{url}/tasks?unit_id={people.other_unit_id}")
    other_link = sup.locator("table.tasks-table tbody tr").filter(has_text=measure_label).locator("td:nth-child(2) a")
    other_task_id = int(re.search(r"/tasks/(\d+)", other_link.get_attribute("href")).group(1))

    # -- 3. the unit lead: 本单位任务 with a light, start, evidence with a Chinese name, submit
    lead = new_page()
    lead_errors = watch_console(lead)
    sign_in(lead, live_server, people.lead)
    lead.click("nav.mainnav >> text=本单位任务")
    lead.wait_for_url("**/tasks/mine")
    table = lead.locator("table.tasks-table tbody tr")
    assert table.count() == 2
    row = table.filter(has_text=measure_label[:12]).first
    assert row.locator(".light").count() == 1
    assert row.locator(".badge-assigned").inner_text() == "待办理"
    shot(lead, "story-07-my-tasks")
    row.locator("td:nth-child(2) a").click()
    lead.wait_for_selector("#timeline")
    task_url = lead.url
    task_id = int(re.search(r"/tasks/(\d+)", task_url).group(1))
    if lead.locator("button:has-text('开始办理')").count():
        lead.click("#actions button:has-text('开始办理')")
        lead.wait_for_load_state("networkidle")
        expect_flash(lead, "已开始办理")
    pdf = tmp_path / EVIDENCE_NAME
    pdf.write_bytes(minimal_pdf())
    lead.set_input_files("#e-files", str(pdf))
    lead.fill("#e-note", "区政府常务会议材料")
    lead.click("#upload button[type=submit]")
    lead.wait_for_load_state("networkidle")
    expect_flash(lead, "材料已上传")
    assert lead.locator("#evidence a", has_text=EVIDENCE_NAME).count() == 1
    with lead.expect_download() as download_info:
        lead.locator("#evidence a", has_text=EVIDENCE_NAME).click()
    assert download_info.value.suggested_filename == EVIDENCE_NAME
    lead.fill("#s-note", "已按要求完成，请审核。")
    lead.click("#submit button[type=submit]")
    lead.wait_for_load_state("networkidle")
    expect_flash(lead, "已提交审核")
    assert lead.locator(".page-head .badge-submitted").inner_text() == "待审核"
    shot(lead, "story-08-submitted")

    # -- 4. return with a reason, submit again, approve
    sup.goto(url + "/tasks/review")
    assert sup.locator(f"a[href$='/tasks/{task_id}'], a[href*='/tasks/{task_id}#']").count() >= 1
    shot(sup, "story-09-review-queue")
    sup.goto(task_url)
    sup.fill("#r-reason", RETURN_REASON)
    sup.click("#review button:has-text('退回')")
    sup.wait_for_load_state("networkidle")
    expect_flash(sup, "任务已退回")

    lead.goto(url + "/tasks/mine")
    returned = lead.locator("table.tasks-table tbody tr").filter(has_text=measure_label[:12]).first
    assert returned.locator(".badge-returned").inner_text() == "已退回"
    assert "退回 1 次" in returned.inner_text()
    returned.locator("td:nth-child(2) a").click()
    lead.wait_for_selector("#timeline")
    assert RETURN_REASON in lead.inner_text("#timeline")
    shot(lead, "story-10-returned")
    lead.fill("#s-note", "已补充会议纪要。")
    lead.click("#submit button[type=submit]")
    lead.wait_for_load_state("networkidle")
    expect_flash(lead, "已提交审核")

    sup.goto(task_url)
    sup.fill("#a-note", "同意办结。")
    sup.click("#review button:has-text('办结')")
    sup.wait_for_load_state("networkidle")
    expect_flash(sup, "任务已办结")
    assert sup.locator(".page-head .badge-completed").inner_text() == "已办结"
    facts = sup.inner_text(".task-facts")
    assert re.search(r"退回次数\s*1", facts), facts
    steps = sup.locator("#timeline li").all_inner_texts()
    kinds = [next((k for k in ("交办", "开始办理", "上传材料", "提交审核", "退回", "办结") if k in s), None)
             for s in steps]
    assert [k for k in kinds if k in ("交办", "提交审核", "退回", "办结")] == \
        ["交办", "提交审核", "退回", "提交审核", "办结"], steps
    assert any(RETURN_REASON in s for s in steps)
    assert any(EVIDENCE_NAME in s for s in steps)
    shot(sup, "story-11-completed")

    # -- 5. the dashboard counts it; the Excel ledger has its row as 已办结
    sup.click("nav.mainnav >> text=统计分析")
    sup.wait_for_url("**/dashboard")
    assert dashboard_figure(sup, "任务总数") == "4"
    assert dashboard_figure(sup, "已办结") == "1"
    assert float(dashboard_figure(sup, "完成率").rstrip("%")) == 25.0
    assert dashboard_figure(sup, "退回次数") == "1"
    shot(sup, "story-12-dashboard")
    with sup.expect_download() as download_info:
        sup.click("text=导出台账（Excel）")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "ledger.xlsx"
    download.save_as(str(path))
    sheet = openpyxl.load_workbook(path, read_only=True).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    done = [row for row in values if "已办结" in row]
    assert len(done) == 1, values
    assert "工作计划和总结范文第1篇" in done[0] and people.unit in done[0]
    assert done[0][-2] == 1  # the return count
    assert done[0][-1][:4] == "2026"  # the 签收 time: the unit worked on it
    assert sum(1 for row in values if "工作计划和总结范文第1篇" in row) == 4

    # -- 6. the reminder sweep a week before the deadline; the reminder is in the outbox
    sweep_at = timeutil.end_of_day_utc(due - timedelta(days=7)) - timedelta(hours=12)
    result = live_app.test_cli_runner().invoke(args=["reminders", "run", "--now", sweep_at.isoformat()])
    assert result.exit_code == 0, result.output
    assert "queued" in result.output
    sup.click("nav.mainnav >> text=邮件发件箱")
    sup.wait_for_url("**/outbox")
    shot(sup, "story-13-outbox")
    reminders = sup.locator("table.table tbody tr").filter(has_text="【督办提醒】距截止还有7天")
    subjects = [(r.locator("td:nth-child(4)").inner_text(), r.locator("td:nth-child(5)").inner_text())
                for r in reminders.all()]
    # the completed task is not reminded; the other unit's task on the same measure is, and so is
    # the lead's other open task
    assert (people.other_lead, f"【督办提醒】距截止还有7天：{measure_label}") in subjects, subjects
    assert (people.lead, f"【督办提醒】距截止还有7天：{measure_label}") not in subjects, subjects
    assert (people.lead, f"【督办提醒】距截止还有7天：{picked[1]}") in subjects, subjects
    assert len(subjects) == 3, subjects
    reminder = reminders.filter(has_text=people.other_lead).filter(has_text=measure_label).first
    reminder.locator("td:nth-child(5) a").click()
    sup.wait_for_url(re.compile(r".*/outbox/\d+$"))
    headers = sup.inner_text(".mail-headers")
    assert "距截止还有7天" in headers and people.other_lead in headers
    assert f"task-due:{other_task_id}:{due.isoformat()}:7:" in headers, headers
    assert sup.locator("iframe.mail-frame").count() == 1
    assert sup.frame_locator("iframe.mail-frame").locator("body").inner_text().count(measure_label) >= 1
    sup.click("summary:has-text('纯文本正文')")
    body = sup.locator("pre.mail-text").text_content()
    # the unit's mail carries a one-task link; the outbox page hides its token from the supervisor
    assert "/l/********" in body and measure_label in body
    shot(sup, "story-14-message")

    assert sup_errors == []
    assert lead_errors == []

