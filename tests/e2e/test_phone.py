"""The main pages at phone width (390×844): nothing wider than the screen, the menu opens, the key
buttons can be reached, and no console errors or CSP violations."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import seed_tasks, shot, sign_in

PHONE = {"width": 390, "height": 844}

#: elements sticking out past the right edge, except inside a .table-wrap (which scrolls itself)
WIDE_ELEMENTS = """() => {
  const limit = window.innerWidth + 1;
  const out = [];
  for (const node of document.body.querySelectorAll('*')) {
    if (node.closest('.table-wrap')) continue;
    const box = node.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > limit) {
      const classes = typeof node.className === 'string' ? node.className.trim().split(/\\s+/).join('.') : '';
      out.push(node.tagName.toLowerCase() + (node.id ? '#' + node.id : '') + (classes ? '.' + classes : '') +
               ' right=' + Math.round(box.right));
    }
  }
  return out;
}"""


@pytest.fixture
def phone(new_page):
    """A phone-sized page that collects console errors (CSP violations are reported there too)."""

    def make():
        page = new_page(**PHONE)
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        return page

    return make


def assert_fits(page) -> None:
    """No horizontal scrolling of the page itself, and nothing sticking out of it."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), \
        page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert page.evaluate(WIDE_ELEMENTS) == []


def assert_reachable(locator) -> None:
    """The button is shown, and once scrolled to it lies within the screen's width."""
    locator.scroll_into_view_if_needed()
    assert locator.is_visible()
    box = locator.bounding_box()
    width = locator.page.evaluate("window.innerWidth")
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, box


def assert_menu_opens(page, labels: list[str], name: str) -> None:
    """The menu is folded behind ☰ at phone width; tapping it shows every entry."""
    nav = page.locator("nav.mainnav")
    assert nav.is_hidden()
    toggle = page.locator(".nav-toggle-label")
    assert_reachable(toggle)
    toggle.click()
    assert nav.is_visible()
    for label in labels:
        assert_reachable(nav.locator("a", has_text=label))
    assert_fits(page)
    shot(page, name)
    toggle.click()
    assert nav.is_hidden()


def test_sign_in_at_phone_width(live_server, live_app, phone):
    people = live_app.config["E2E_PEOPLE"]
    page = phone()
    page.goto(live_server.url + "/login")
    assert_fits(page)
    assert_reachable(page.locator(".login-card button[type=submit]"))
    shot(page, "phone-01-login")
    sign_in(page, live_server, people.lead)
    assert "张主任" in page.inner_text(".userbox")
    assert_fits(page)
    assert page.console_errors == []


def test_unit_tasks_and_task_page_at_phone_width(live_server, live_app, phone):
    people = live_app.config["E2E_PEOPLE"]
    seed_tasks(live_app)
    page = phone()
    sign_in(page, live_server, people.lead)
    page.goto(live_server.url + "/tasks/mine")
    assert page.locator("table.tasks-table tbody tr").count() == 2
    assert_fits(page)
    assert_menu_opens(page, ["本单位任务", "工作台", "督办单"], "phone-02-menu-lead")
    row = page.locator("table.tasks-table tbody tr").first
    assert_reachable(row.locator("td:nth-child(2) a"))
    assert row.locator(".light").count() == 1
    shot(page, "phone-02-my-tasks")

    row.locator("td:nth-child(2) a").click()
    page.wait_for_selector("#timeline")
    assert_fits(page)
    start = page.locator("#actions button:has-text('开始办理')")
    assert_reachable(start)
    shot(page, "phone-03-task")
    start.click()
    page.wait_for_load_state("networkidle")
    assert "已开始办理" in page.inner_text(".flash")
    assert_fits(page)
    for selector in ("#e-files", "#upload button[type=submit]", "#progress button[type=submit]",
                     "#submit button[type=submit]", "#extension button[type=submit]"):
        assert_reachable(page.locator(selector))
    shot(page, "phone-04-task-started")
    assert page.console_errors == []


def test_dashboard_and_plans_at_phone_width(live_server, live_app, phone):
    people = live_app.config["E2E_PEOPLE"]
    task_ids = seed_tasks(live_app)
    page = phone()
    sign_in(page, live_server, people.supervisor)

    page.goto(live_server.url + "/dashboard")
    assert page.locator(".stats .stat").count() >= 4
    assert_fits(page)
    assert_menu_opens(page, ["工作计划", "待审核", "任务台账", "统计分析", "邮件发件箱"],
                      "phone-05-menu-supervisor")
    assert_reachable(page.locator("a:has-text('导出台账（Excel）')"))
    shot(page, "phone-05-dashboard")

    page.goto(live_server.url + "/plans/")
    assert page.locator("table.table tbody tr").count() == 1
    assert_fits(page)
    assert_reachable(page.locator("a.btn:has-text('导入计划')"))
    shot(page, "phone-06-plans")

    page.goto(f"{live_server.url}/tasks/{task_ids[0]}")
    assert_fits(page)
    assert_reachable(page.locator("#actions form[action$='/deadline'] button[type=submit]"))
    shot(page, "phone-07-task-supervisor")
    assert page.console_errors == []
