"""CSRF on every form, security headers, error pages without stack traces, production config."""

import pytest

from tracker import create_app


@pytest.fixture
def csrf_app(app_config, db):
    return create_app({**app_config, "WTF_CSRF_ENABLED": True})



def test_csrf_is_enforced_on_every_post(csrf_app, people):
    from tests.factories import PASSWORD

    client = csrf_app.test_client()
    # sign-in itself needs the token
    response = client.post("/login", data={"email": people.admin.email, "password": PASSWORD})
    assert response.status_code == 400
    checked = 0
    with csrf_app.test_request_context():
        from flask import url_for

        urls = []
        for rule in csrf_app.url_map.iter_rules():
            if "POST" not in rule.methods or rule.rule.startswith("/api/"):
                continue
            values = {arg: ("en" if arg == "code" else 1) for arg in rule.arguments}
            urls.append(url_for(rule.endpoint, **values))
    for url in urls:
        response = client.post(url, data={"anything": "1"})
        assert response.status_code == 400, url
        checked += 1
    assert checked >= 5


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_inline_script_in_pages(client, people, auth):
    import re

    pages = [client.get("/login")]
    admin = auth.client_for(people.admin)
    pages += [admin.get("/admin/users/"), admin.get("/admin/units/")]
    for page in pages:
        html = page.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, tag
        assert " style=" not in html
        assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_404_page_in_chinese_and_english(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
    response = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert "Page not found" in response.get_data(as_text=True)


def test_500_shows_no_stack_trace(app):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body
    assert "服务器内部错误" in body


def test_a_service_refusal_is_a_403_page_and_nothing_is_kept(app, db, people):
    """Views let PermissionDenied through: the app answers 403 and rolls the request back."""
    from tracker.auth.permissions import PermissionDenied

    @app.route("/refused")
    def refused():
        people.viewer.name = "改过的名字"
        db.session.flush()
        raise PermissionDenied

    response = app.test_client().get("/refused")
    assert response.status_code == 403
    assert "您没有权限访问此页面" in response.get_data(as_text=True)
    db.session.expire_all()
    assert people.viewer.name != "改过的名字"


def test_production_config_refuses_to_start_without_secret(app_config, monkeypatch):
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    config = {k: v for k, v in app_config.items() if k != "CONFIG"}
    with pytest.raises(RuntimeError, match="TRACKER_SECRET_KEY"):
        create_app({**config, "CONFIG": "production", "SECRET_KEY": None})
    app = create_app({**config, "CONFIG": "production", "SECRET_KEY": "x" * 40})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_language_switch(client, people):
    response = client.post("/language/en", data={"next": "/login"})
    assert response.status_code == 302
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    client.post("/language/zh_CN", data={"next": "/login"})
    assert "登录督办系统" in client.get("/login").get_data(as_text=True)
