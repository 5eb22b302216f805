"""The second factor and the audit log in a real browser: the QR code (an SVG made by the app, a
data: image the CSP allows) shows, a code from the secret signs in, the audit page lists it."""

import pyotp

from tests.e2e.conftest import shot, sign_in


def test_supervisor_sets_up_totp_and_the_admin_reads_the_audit_log(live_server, live_app, new_page):
    live_app.config["TOTP_REQUIRED"] = True
    people = live_app.config["E2E_PEOPLE"]
    page = new_page()
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    sign_in(page, live_server, people.supervisor)
    page.goto(live_server.url + "/tasks/review")
    page.wait_for_url("**/account/second-factor")
    assert page.evaluate("document.querySelector('img[alt=\"二维码\"]').naturalWidth") > 100
    shot(page, "totp-setup")
    secret = page.inner_text(".totp-secret").strip()
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".recovery-codes li").count() == 10
    shot(page, "totp-recovery-codes")
    assert errors == []

    live_app.config["TOTP_REQUIRED"] = False  # the admin has no authenticator in this test
    admin = new_page()
    sign_in(admin, live_server, people.admin)
    admin.goto(live_server.url + "/admin/audit/?security=1")
    assert "user.totp_enabled" in admin.inner_text("main table")
    shot(admin, "audit-log")
    admin.goto(live_server.url + "/account/sign-ins")
    assert "127.0.0.1" in admin.inner_text("main table")
