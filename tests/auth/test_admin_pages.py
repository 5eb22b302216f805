"""Admin pages: every route × every role, and the bad input they must refuse."""

import pytest

from tracker.auth.models import Role, User

ROLES = [None, Role.viewer, Role.unit_member, Role.unit_lead, Role.supervisor, Role.admin]


def admin_routes(people):
    return [
        ("GET", "/admin/users/"),
        ("GET", "/admin/users/new"),
        ("GET", f"/admin/users/{people.lead.id}/edit"),
        ("GET", "/admin/units/"),
        ("GET", "/admin/units/new"),
        ("GET", f"/admin/units/{people.unit.id}/edit"),
        ("POST", "/admin/users/new"),
        ("POST", f"/admin/users/{people.lead.id}/edit"),
        ("POST", "/admin/units/new"),
        ("POST", f"/admin/units/{people.unit.id}/edit"),
        ("POST", "/admin/units/import"),
    ]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_admin_routes_by_role(app, people, auth, role, db):
    user = people.by_role(role)
    client = auth.client_for(user) if user else app.test_client()
    for method, url in admin_routes(people):
        response = client.open(url, method=method, data={})
        if role is None:
            assert response.status_code == 302 and "/login" in response.headers["Location"], (method, url)
        elif role is Role.admin:
            assert response.status_code in (200, 302), (method, url, response.status_code)
        else:
            assert response.status_code == 403, (method, url, response.status_code)
    # nothing was changed by the refused posts
    assert db.session.get(User, people.lead.id).name == "张主任"


def user_form(**overrides):
    data = {"email": "new@example.cn", "name": "新用户", "role": "unit_member", "unit_id": "", "phone": "",
            "is_active": "y", "password": "long-enough-1"}
    data.update(overrides)
    return data


def test_admin_creates_user(people, auth, db):
    client = auth.client_for(people.admin)
    response = client.post("/admin/users/new", data=user_form(unit_id=str(people.unit.id)))
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).where(User.email == "new@example.cn"))
    assert user.unit_id == people.unit.id and user.password_hash.startswith("scrypt")


@pytest.mark.parametrize("overrides,message", [
    ({"email": "not-an-email"}, "有效的邮箱"),
    ({"name": ""}, "请输入姓名"),
    ({"name": "长" * 65}, ""),
    ({"unit_id": ""}, "必须选择所属单位"),
    ({"password": "short", "role": "viewer"}, "至少需要"),
    ({"email": "DUP"}, "已被其他用户使用"),
])
def test_user_bad_input_changes_nothing(people, auth, db, overrides, message):
    if overrides.get("email") == "DUP":
        overrides = {"email": people.lead.email.upper()}
    client = auth.client_for(people.admin)
    before = db.session.scalar(db.select(db.func.count()).select_from(User))
    response = client.post("/admin/users/new", data=user_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == before


def test_admin_cannot_remove_own_admin_role(people, auth, db):
    client = auth.client_for(people.admin)
    response = client.post(f"/admin/users/{people.admin.id}/edit", data=user_form(
        email=people.admin.email, name="管理员", role="viewer", password=""))
    assert "不能取消自己的管理员角色" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, people.admin.id).role is Role.admin
