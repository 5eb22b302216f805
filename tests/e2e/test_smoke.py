"""The sign-in page in a real browser, desktop and phone width, with no console errors."""

from tests.e2e.conftest import shot, sign_in


def test_sign_in_page_desktop_and_phone(live_server, new_page):
    for width, name in ((1280, "login-desktop"), (390, "login-phone")):
        page = new_page(width=width, height=844)
        errors = []
        page.on("console", lambda msg, errors=errors: msg.type == "error" and errors.append(msg.text))
        page.goto(live_server.url + "/login")
        assert page.inner_text("h1") == "登录督办系统"
        shot(page, name)
        # the form fits the screen: no horizontal scrolling on a phone
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert errors == []


def test_sign_in_and_out_in_browser(live_server, live_app, new_page):
    people = live_app.config["E2E_PEOPLE"]
    page = new_page()
    sign_in(page, live_server, people.admin)
    assert "管理员" in page.inner_text(".userbox")
    page.click(".userbox button:has-text('退出')")
    page.wait_for_url("**/login")
    assert "您已退出登录" in page.inner_text("main")
