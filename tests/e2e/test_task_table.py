"""A task-breakdown table (.xlsx) imported in a real browser: the preview shows each row's units and
deadline, and one confirmation creates the lead and supporting tasks the table names."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests import factories, task_tables
from tests.e2e.conftest import shot, sign_in
from tracker import timeutil
from tracker.extensions import db
from tracker.tasks.models import Task
from tracker.units.models import Unit, UnitKind


def _add_departments(app) -> None:
    with app.app_context():
        region = db.session.scalar(sa.select(Unit).where(Unit.name == "示范市"))
        make = factories.Factory(db)
        for name in ("市水务局", "市教育局"):
            make.unit(name, kind=UnitKind.department, parent=region)
        db.session.commit()
        db.session.remove()


def _tasks(app) -> list[tuple[str, str, str, str, str]]:
    """The tasks created, as (measure number, unit, role, deadline, period)."""
    with app.app_context():
        got = sorted((t.measure.number, t.unit.name, t.role.value, t.due_on.isoformat(), t.reporting_period.value)
                     for t in db.session.scalars(sa.select(Task)))
        db.session.remove()
    return got


def _expected_tasks(people, due: dict[str, str]) -> list[tuple[str, str, str, str, str]]:
    """What the three rows of tests/task_tables.py lead to."""
    return [
        ("1", people.unit, "lead", due["1"], "half_yearly"),
        ("1", people.other_unit, "support", due["1"], "half_yearly"),
        ("1", "市水务局", "support", due["1"], "half_yearly"),
        ("2", people.unit, "lead", due["2"], "monthly"), ("2", people.other_unit, "lead", due["2"], "monthly"),
        ("3", "市教育局", "lead", due["3"], "once")]


def _row_values(page, measure_text: str) -> list[tuple[str, str, str, str]]:
    """The pre-filled rows of one measure: (unit, role, deadline, period) as the supervisor sees them."""
    block = page.locator("#plan-assign .proposal", has_text=measure_text)
    return [tuple(row) for row in block.locator("tr.plan-row").evaluate_all("""rows => rows.map(row => {
        const shown = name => { const s = row.querySelector(`select[name$='-${name}']`);
                                return s.value ? s.options[s.selectedIndex].text.trim() : ''; };
        return [row.querySelector("input[name$='-unit_name']").value, shown('role'),
                row.querySelector('input[type=date]').value, shown('period')];
    }).filter(r => r[0])""")]


def test_xlsx_task_table_to_tasks_in_one_action(live_server, live_app, new_page, tmp_path):
    people = live_app.config["E2E_PEOPLE"]
    _add_departments(live_app)
    year = timeutil.local_today(timeutil.utcnow()).year + 1
    # a fourth row names a unit the directory does not have, and townships the tree does not hold
    table = [*task_tables.rows(year),
             task_tables.Row("4", "推进乡村振兴示范村建设。", "县乡村振兴局", "各乡镇（街道）", f"{year}年11月底前")]
    path = tmp_path / "重点工作任务分解表.xlsx"
    path.write_bytes(task_tables.xlsx_bytes(table))
    due = {number: day.isoformat() for number, day in task_tables.expected_deadlines(year).items()}

    sup = new_page()
    sign_in(sup, live_server, people.supervisor)
    sup.goto(live_server.url + "/plans/import")
    sup.set_input_files("input[type=file][name=file]", str(path))
    sup.click("#preview-button")
    sup.wait_for_selector("#outline-editor .erow")
    first = sup.locator("#outline-editor .erow").first
    for text in (people.unit, people.other_unit, "市水务局", due["1"]):
        expect(first.locator(".tag", has_text=text)).to_have_count(1)
    assert sup.locator("#outline-editor .erow").nth(1).locator(".tag-lead_units", has_text="各县区").count() == 1
    # the names the directory lacks are marked where the supervisor reads them
    unmatched = sup.locator("#outline-editor .tag-unmatched").all_inner_texts()
    assert unmatched == ["县乡村振兴局", "各乡镇（街道）"], unmatched
    shot(sup, "table-01-preview")
    sup.click("#save-form button[type=submit]")
    sup.wait_for_url("**/plans/*")

    expect(sup.locator(".flash-warning", has_text="2 个单位名称在单位目录中找不到")).to_be_visible()
    sup.click("a.btn:has-text('分解交办')")
    sup.wait_for_url("**/assign")
    sup.click("#assign-all")
    sup.wait_for_selector("#plan-assign")
    expect(sup.locator("#plan-summary")).to_have_text("将交办 6 项任务：牵头 4 项，配合 2 项。")
    # the names that match nothing, once for the plan: 县乡村振兴局 becomes a new department
    panel = sup.locator("#unmatched-names")
    expect(panel.locator("tbody tr")).to_have_count(2)
    panel.locator("tr", has_text="县乡村振兴局").locator("select").select_option(label="新建为部门")
    shot(sup, "table-02-names")
    panel.locator("button[type=submit]").click()
    expect(sup.locator(".flash", has_text="已记住 1 个单位名称")).to_be_visible()
    expect(panel.locator("tbody tr")).to_have_count(1)
    expect(sup.locator("#plan-summary")).to_have_text("将交办 7 项任务：牵头 5 项，配合 2 项。")
    assert _row_values(sup, table[3].task) == [("县乡村振兴局", "牵头", f"{year}-11-30", "一次性")]
    assert _row_values(sup, table[0].task) == [
        (people.unit, "牵头", due["1"], "每半年"), (people.other_unit, "配合", due["1"], "每半年"),
        ("市水务局", "配合", due["1"], "每半年")]
    assert _row_values(sup, table[1].task) == [
        (people.unit, "牵头", due["2"], "每月"), (people.other_unit, "牵头", due["2"], "每月")]
    assert _row_values(sup, table[2].task) == [("市教育局", "牵头", due["3"], "一次性")]
    shot(sup, "table-03-assign")
    sup.click("#plan-submit")
    sup.wait_for_url("**/matrix")
    expect(sup.locator(".flash", has_text="已交办 7 项任务")).to_be_visible()

    assert _tasks(live_app) == sorted(_expected_tasks(people, due) + [
        ("4", "县乡村振兴局", "lead", f"{year}-11-30", "once")])


def test_the_outline_editor_marks_what_the_parser_doubts(live_server, live_app, new_page):
    people = live_app.config["E2E_PEOPLE"]
    with live_app.app_context():
        from tracker.auth.models import User

        supervisor = db.session.scalar(sa.select(User).where(User.email == people.supervisor))
        plan = factories.Factory(db).plan("2026年民生实事", supervisor=supervisor)
        sure, unsure, low = [m for m in plan.measures if m.level == 2]
        sure.suggestions = {"lead_units": ["东城区"], "leaders": ["王副市长"]}
        unsure.suggestions = {"units": ["县水务局"], "period": "quarterly", "doubtful": ["units"], "confidence": 0.9}
        low.suggestions = {"confidence": 0.3}
        db.session.commit()
        plan_id = plan.id
        db.session.remove()
    page = new_page()
    sign_in(page, live_server, people.supervisor)
    page.goto(f"{live_server.url}/plans/{plan_id}/outline")
    page.wait_for_selector("#outline-editor .erow")
    doubtful = page.locator("#outline-editor .erow-doubtful")
    expect(doubtful).to_have_count(2)
    assert page.locator("#doubt-1").get_attribute("class").count("erow-doubtful") == 1
    expect(doubtful.first.locator(".tag-doubtful")).to_have_text("县水务局")
    expect(doubtful.first.locator(".badge-doubt")).to_have_text("需确认")
    expect(page.locator("#outline-editor .tag-leader")).to_have_text("王副市长")
    expect(page.locator("#outline-static [id^='doubt-']")).to_have_count(0)


def test_the_assignment_list_fits_a_phone(live_server, live_app, new_page):
    from tests.e2e.test_phone import PHONE, assert_fits

    people = live_app.config["E2E_PEOPLE"]
    with live_app.app_context():
        from tracker.auth.models import User

        supervisor = db.session.scalar(sa.select(User).where(User.email == people.supervisor))
        plan = factories.Factory(db).plan("2026年民生实事", supervisor=supervisor)
        for measure in plan.measures:
            measure.suggestions = {"lead_units": [people.unit], "support_units": [people.other_unit, "县乡村振兴局"],
                                   "deadline": "2099-06-30", "period": "quarterly"}
        db.session.commit()
        plan_id = plan.id
        db.session.remove()
    page = new_page(**PHONE)
    sign_in(page, live_server, people.supervisor)
    page.goto(f"{live_server.url}/plans/{plan_id}/assign?all=1")
    page.wait_for_selector("#plan-assign")
    shot(page, "table-04-phone")
    assert_fits(page)


@pytest.mark.parametrize("shape", ["tab_text", "flat_text"])
def test_a_pasted_task_table_to_tasks_in_one_action(live_server, live_app, new_page, shape):
    """A table pasted from Word (tabs) or copied off a web page (a cell a line): the preview shows
    each row's units and deadline, and one confirmation creates the lead and supporting tasks."""
    people = live_app.config["E2E_PEOPLE"]
    _add_departments(live_app)
    year = timeutil.local_today(timeutil.utcnow()).year + 1
    table = task_tables.rows(year)
    due = {number: day.isoformat() for number, day in task_tables.expected_deadlines(year).items()}

    sup = new_page()
    sign_in(sup, live_server, people.supervisor)
    sup.goto(live_server.url + "/plans/import")
    sup.fill("textarea[name=text]", getattr(task_tables, shape)(table))
    sup.click("#preview-button")
    sup.wait_for_selector("#outline-editor .erow")
    rows = sup.locator("#outline-editor .erow")
    expect(rows).to_have_count(3)
    for text in (people.unit, people.other_unit, "市水务局", due["1"]):
        expect(rows.first.locator(".tag", has_text=text)).to_have_count(1)
    expect(rows.nth(2).locator(".tag", has_text="市教育局")).to_have_count(1)
    shot(sup, f"table-paste-{shape}-01-preview")
    sup.click("#save-form button[type=submit]")
    sup.wait_for_url("**/plans/*")
    sup.click("a.btn:has-text('分解交办')")
    sup.wait_for_url("**/assign")
    sup.click("#assign-all")
    sup.wait_for_selector("#plan-assign")
    assert _row_values(sup, table[0].task) == [
        (people.unit, "牵头", due["1"], "每半年"), (people.other_unit, "配合", due["1"], "每半年"),
        ("市水务局", "配合", due["1"], "每半年")]
    assert _row_values(sup, table[2].task) == [("市教育局", "牵头", due["3"], "一次性")]
    shot(sup, f"table-paste-{shape}-02-assign")
    sup.click("#plan-submit")
    sup.wait_for_url("**/matrix")
    assert _tasks(live_app) == sorted(_expected_tasks(people, due))
