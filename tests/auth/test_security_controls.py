"""等保 level 3 account controls: lockout, password rules, forced change, expiry, TOTP with recovery
codes, session timeouts, sign-in history and security events. Each test switches its control on."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from tests.factories import PASSWORD
from tracker.audit import AuditEntry
from tracker.auth import services
from tracker.auth.models import LoginEvent, Role, User
from tracker.db import utcnow


def actions(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def login(client, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password})


# -- lockout ----------------------------------------------------------------------------------------

def test_five_failures_lock_the_account_for_thirty_minutes(app, client, db, people, auth):
    assert (app.config["LOCKOUT_ATTEMPTS"], app.config["LOCKOUT_WINDOW_MINUTES"],
            app.config["LOCKOUT_MINUTES"]) == (5, 15, 30)
    for _ in range(4):
        response = login(client, people.lead.email, "wrong-password")
        assert response.status_code == 401 and "邮箱或密码不正确" in response.get_data(as_text=True)
    fifth = login(client, people.lead.email, "wrong-password")
    assert fifth.status_code == 401 and "账号已锁定至" in fifth.get_data(as_text=True)
    # the right password does not open a locked account, and says why
    locked = login(client, people.lead.email, PASSWORD)
    assert locked.status_code == 401 and "账号已锁定至" in locked.get_data(as_text=True)
    db.session.expire_all()
    user = db.session.get(User, people.lead.id)
    assert timedelta(minutes=29) < user.locked_until - utcnow() <= timedelta(minutes=30)
    [event] = actions(db, "user.locked")
    assert event.object_id == user.id and event.data["failures"] == 5
    # the admins see it, and may lift it
    admin = auth.client_for(people.admin)
    assert "已锁定至" in admin.get("/admin/users/").get_data(as_text=True)
    assert admin.post(f"/admin/users/{user.id}/unlock").status_code == 302
    assert actions(db, "user.unlocked")
    assert login(client, people.lead.email, PASSWORD).status_code == 302


def test_lock_ends_by_itself_and_failures_outside_the_window_do_not_add_up(app, db, people, now):
    client = services.Client("10.0.0.1")
    user = people.member
    for minutes in (0, 20, 40, 60, 80):  # five failures, never two within 15 minutes... of the first
        with pytest.raises(services.AccountError):
            services.sign_in(user.email, "wrong", now=now + timedelta(minutes=minutes), client=client)
    assert user.locked_until is None
    for seconds in range(5):
        with pytest.raises(services.AccountError):
            services.sign_in(user.email, "wrong", now=now + timedelta(hours=2, seconds=seconds), client=client)
    assert user.locked_until == now + timedelta(hours=2, seconds=4, minutes=30)
    with pytest.raises(services.AccountError, match="锁定"):
        services.sign_in(user.email, PASSWORD, now=now + timedelta(hours=2, minutes=29), client=client)
    result = services.sign_in(user.email, PASSWORD, now=now + timedelta(hours=2, minutes=31), client=client)
    assert result.user is user and user.failed_logins == 0


# -- passwords --------------------------------------------------------------------------------------

@pytest.fixture
def strict_passwords(app):
    app.config.update(PASSWORD_MIN_LENGTH=10, PASSWORD_MIN_CLASSES=3, PASSWORD_HISTORY=5)


@pytest.mark.parametrize("password,message", [
    ("Short-1", "至少需要 10 个字符"),
    ("alllowercase-but-long", "至少 3 类"),
    ("Zhangsan-2026", "不能包含用户名"),
])
def test_password_rules(strict_passwords, db, make, password, message):
    user = make.user(email="zhangsan@example.cn", name="张三")
    with pytest.raises(services.AccountError, match=message):
        services.set_password(user, password, actor=None, now=utcnow())


def test_none_of_the_last_five_passwords(strict_passwords, db, make, now):
    user = make.user(password="Original-Pass-1")
    current = "Original-Pass-1"
    for n in range(1, 6):
        services.change_password(user, current, f"Rotation-{n}-Pass", now=now)
        current = f"Rotation-{n}-Pass"
    db.session.commit()
    for reused in ("Rotation-5-Pass", "Rotation-2-Pass"):
        with pytest.raises(services.AccountError, match="最近 5 次"):
            services.change_password(user, current, reused, now=now)
    # the original is six passwords back: allowed again
    services.change_password(user, current, "Original-Pass-1", now=now)
    assert user.check_password("Original-Pass-1")


def test_admin_set_password_must_be_changed_at_first_sign_in(app, db, people, auth):
    app.config["FORCE_FIRST_PASSWORD_CHANGE"] = True
    admin = auth.client_for(people.admin)
    response = admin.post("/admin/users/new", data={"email": "new@example.cn", "name": "新同事", "role": "viewer",
                                                    "unit_id": "", "is_active": "y", "password": "given-by-admin-1"})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "new@example.cn"))
    assert user.must_change_password
    client = app.test_client()
    assert login(client, "new@example.cn", "given-by-admin-1").status_code == 302
    forced = client.get("/tasks")
    assert forced.status_code == 302 and forced.headers["Location"].endswith("/password")
    assert client.get("/password").status_code == 200
    changed = client.post("/password", data={"current": "given-by-admin-1", "new": "my-own-secret-7",
                                              "confirm": "my-own-secret-7"})
    assert changed.status_code == 302
    assert client.get("/tasks").status_code == 200


def test_expired_password_must_be_changed(app, db, people, auth):
    app.config["PASSWORD_MAX_AGE_DAYS"] = 90
    user = db.session.get(User, people.lead.id)
    user.password_changed_at = utcnow() - timedelta(days=91)
    db.session.commit()
    client = auth.client_for(people.lead)
    response = client.get("/tasks/mine")
    assert response.status_code == 302 and response.headers["Location"].endswith("/password")
    user.password_changed_at = utcnow() - timedelta(days=89)
    db.session.commit()
    assert client.get("/notifications").status_code == 200


# -- second factor ----------------------------------------------------------------------------------

def _set_up_second_factor(client) -> tuple[str, list[str]]:
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in page  # rendered here, nothing fetched
    secret = re.search(r'<code class="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    wrong = client.post("/account/second-factor", data={"code": "000000"})
    assert "验证码不正确" in wrong.get_data(as_text=True)
    done = client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def test_totp_required_for_supervisors_with_recovery_codes(app, db, people, auth):
    app.config["TOTP_REQUIRED"] = True
    client = app.test_client()
    assert login(client, people.supervisor.email, PASSWORD).status_code == 302
    forced = client.get("/tasks/review")
    assert forced.status_code == 302 and forced.headers["Location"].endswith("/account/second-factor")
    secret, codes = _set_up_second_factor(client)
    assert client.get("/tasks/review").status_code == 200
    assert actions(db, "user.totp_enabled")
    client.post("/logout")

    # now the password alone does not sign in
    fresh = app.test_client()
    step = login(fresh, people.supervisor.email, PASSWORD)
    assert step.status_code == 302 and step.headers["Location"].endswith("/login/verify")
    assert fresh.get("/tasks/review").status_code == 302
    wrong = fresh.post("/login/verify", data={"code": "123456"})
    assert wrong.status_code == 401 and "验证码不正确" in wrong.get_data(as_text=True)
    # the code that confirmed the setup cannot be used again
    replay = fresh.post("/login/verify", data={"code": pyotp.TOTP(secret).now()})
    assert replay.status_code == 401
    later = pyotp.TOTP(secret).at(time.time() + 30)
    assert fresh.post("/login/verify", data={"code": later}).status_code == 302
    assert fresh.get("/tasks/review").status_code == 200

    # a recovery code works once
    other = app.test_client()
    login(other, people.supervisor.email, PASSWORD)
    assert other.post("/login/verify", data={"code": codes[0].upper()}).status_code == 302
    again = app.test_client()
    login(again, people.supervisor.email, PASSWORD)
    reused = again.post("/login/verify", data={"code": codes[0]})
    assert reused.status_code == 401 and "已使用过" in reused.get_data(as_text=True)
    events = db.session.scalars(sa.select(LoginEvent.result).where(LoginEvent.user_id == people.supervisor.id)
                                .order_by(LoginEvent.id)).all()
    assert events == ["success", "bad_code", "bad_code", "success", "success", "bad_code"]


def test_totp_not_asked_of_unit_users_nor_when_switched_off(app, people, auth):
    app.config["TOTP_REQUIRED"] = True
    lead = auth.client_for(people.lead)
    assert lead.get("/tasks/mine").status_code == 200
    app.config["TOTP_REQUIRED"] = False
    assert auth.client_for(people.supervisor).get("/tasks/review").status_code == 200


def test_admin_resets_a_lost_authenticator(app, db, people, auth):
    client = auth.client_for(people.supervisor)
    _set_up_second_factor(client)
    admin = auth.client_for(people.admin)
    assert admin.post(f"/admin/users/{people.supervisor.id}/reset-second-factor").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, people.supervisor.id).totp_secret is None
    assert actions(db, "user.totp_reset")
    assert client.get("/tasks/review").status_code == 302  # sessions ended
    assert login(app.test_client(), people.supervisor.email, PASSWORD).headers["Location"].endswith("/")


# -- sessions ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("key,age", [("_seen", 31 * 60), ("_started", 13 * 3600)])
def test_idle_timeout_and_absolute_lifetime(app, people, auth, key, age):
    assert (app.config["IDLE_TIMEOUT_MINUTES"], app.config["SESSION_LIFETIME_HOURS"]) == (30, 12)
    client = auth.client_for(people.lead)
    assert client.get("/tasks/mine").status_code == 200
    with client.session_transaction() as session:
        session[key] = time.time() - age
    response = client.get("/tasks/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/tasks/mine").status_code == 302
    page = client.get("/login").get_data(as_text=True)
    assert "已自动退出" in page and "记住我" not in page


def test_activity_keeps_the_session(app, people, auth):
    client = auth.client_for(people.lead)
    with client.session_transaction() as session:
        session["_seen"] = time.time() - 29 * 60
    assert client.get("/tasks/mine").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["_seen"] < 5


# -- history and security events --------------------------------------------------------------------

def test_sign_in_history_for_the_user_and_the_admin(app, client, people, auth):
    login(client, people.lead.email, "wrong-password")
    lead = auth.client_for(people.lead)
    page = lead.get("/account/sign-ins").get_data(as_text=True)
    assert page.count("127.0.0.1") == 2 and "密码错误" in page and "成功" in page
    admin = auth.client_for(people.admin)
    assert "密码错误" in admin.get(f"/admin/users/{people.lead.id}/sign-ins").get_data(as_text=True)
    assert auth.client_for(people.member).get(f"/admin/users/{people.lead.id}/sign-ins").status_code == 403


def test_security_events_are_audited(app, db, people, auth):
    admin = auth.client_for(people.admin)
    response = admin.post(f"/admin/users/{people.member.id}/edit", data={
        "email": people.member.email, "name": people.member.name, "role": "unit_lead",
        "unit_id": str(people.unit.id), "is_active": "y", "password": ""})
    assert response.status_code == 302
    [change] = actions(db, "user.role_changed")
    assert change.data == {"from": "unit_member", "to": "unit_lead"} and change.actor_id == people.admin.id
    member = auth.client_for(people.lead)
    member.post("/account/tokens", data={"name": "脚本"})
    assert actions(db, "api_token.created")
    assert member.get("/admin/users/").status_code == 403
    [denied] = actions(db, "security.permission_denied")
    assert denied.actor_id == people.lead.id and denied.data["path"] == "/admin/users/"
    assert Role(db.session.get(User, people.member.id).role) is Role.unit_lead
