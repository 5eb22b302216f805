"""Signing in and out, sessions, passwords, the rate limit."""

import pytest

from tests.factories import PASSWORD
from tracker import create_app
from tracker.auth.models import User


def test_login_page_is_chinese(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录督办系统" in response.get_data(as_text=True)


def test_sign_in_and_out(people, auth):
    client = auth.client_for(people.lead)
    assert client.get("/password").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/password").status_code == 302


@pytest.mark.parametrize("email,password", [
    ("lead", "wrong-password"),
    ("nobody@example.cn", PASSWORD),
])
def test_wrong_password_or_unknown_user_gets_one_message(client, people, db, email, password):
    email = people.lead.email if email == "lead" else email
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 401
    assert "邮箱或密码不正确" in response.get_data(as_text=True)
    assert db.session.get(User, people.lead.id).last_login_at is None


def test_empty_and_overlong_fields_are_refused(client, people):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    assert "请输入邮箱" in response.get_data(as_text=True)
    response = client.post("/login", data={"email": "x" * 300 + "@example.cn", "password": "p" * 500})
    assert response.status_code == 400


def test_deactivated_account_is_refused_with_its_own_message(client, make, db):
    user = make.user(active=False)
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401
    assert "已停用" in response.get_data(as_text=True)


def test_email_is_case_insensitive(client, people):
    response = client.post("/login", data={"email": people.lead.email.upper(), "password": PASSWORD})
    assert response.status_code == 302


def test_sign_out_ends_other_sessions(people, auth):
    laptop = auth.client_for(people.lead)
    phone = auth.client_for(people.lead)
    assert phone.get("/password").status_code == 200
    laptop.post("/logout")
    assert phone.get("/password").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(people, auth, client):
    laptop = auth.client_for(people.lead)
    phone = auth.client_for(people.lead)
    response = laptop.post("/password", data={"current": PASSWORD, "new": "new-password-1",
                                              "confirm": "new-password-1"})
    assert response.status_code == 302
    assert laptop.get("/password").status_code == 200
    assert phone.get("/password").status_code == 302
    assert client.post("/login", data={"email": people.lead.email, "password": "new-password-1"}).status_code == 302


def test_password_change_bad_input_changes_nothing(people, auth, db):
    client = auth.client_for(people.lead)
    before = db.session.get(User, people.lead.id).password_hash
    for data in ({"current": "wrong", "new": "new-password-1", "confirm": "new-password-1"},
                 {"current": PASSWORD, "new": "short", "confirm": "short"},
                 {"current": PASSWORD, "new": "new-password-1", "confirm": "other-password"}):
        response = client.post("/password", data=data)
        assert response.status_code == 200
        db.session.expire_all()
        assert db.session.get(User, people.lead.id).password_hash == before
    assert client.get("/password").status_code == 200


def test_deactivation_ends_sessions(people, auth):
    lead = auth.client_for(people.lead)
    admin = auth.client_for(people.admin)
    response = admin.post(f"/admin/users/{people.lead.id}/edit", data={
        "email": people.lead.email, "name": people.lead.name, "role": "unit_lead",
        "unit_id": str(people.unit.id), "phone": "", "password": "",
    })
    assert response.status_code == 302
    assert lead.get("/password").status_code == 302


def test_open_redirect_after_login_is_refused(client, people):
    response = client.post("/login?next=//evil.example.com/", data={"email": people.lead.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "evil.example.com" not in response.headers["Location"]


def test_login_rate_limit_triggers(app_config, db):
    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"})
    client = app.test_client()
    codes = [client.post("/login", data={"email": "a@example.cn", "password": "x"}).status_code for _ in range(5)]
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]
    assert "操作过于频繁" in client.post("/login", data={"email": "a@example.cn", "password": "x"}).get_data(
        as_text=True)
