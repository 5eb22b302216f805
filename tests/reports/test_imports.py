"""Bulk import of units and users: preview with row errors, nothing saved until the file is valid."""

from __future__ import annotations

import io
import os
import re

import openpyxl
import sqlalchemy as sa

from tracker.auth.models import Role, User
from tracker.units.models import Unit


def csv_file(text: str, name: str = "导入.csv"):
    return (io.BytesIO(("\ufeff" + text).encode("utf-8")), name)


def xlsx_file(rows: list[list[str]], name: str = "用户.xlsx"):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return (out, name)


def upload(client, kind: str, file):
    return client.post("/admin/import", data={"kind": kind, "file": file}, content_type="multipart/form-data")


def token_of(html: str) -> str:
    return re.search(r'name="token"[^>]*value="([^"]+)"', html).group(1)


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_valid_users_file_previews_then_saves_all_with_passwords_shown_once(auth, db, people):
    client = auth.client_for(people.admin)
    before = count(db, User)
    response = upload(client, "users", xlsx_file([
        ["邮箱", "姓名", "电话", "单位代码", "角色"],
        ["Zhao@Example.cn", "赵干事", "13800000000", people.unit.code, "责任单位成员"],
        ["qian@example.cn", "钱督办", "", "", "督办人"],
        ["sun@example.cn", "孙领导", "", "", "viewer"],
    ]))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "全部有效" in html and "赵干事" in html
    assert count(db, User) == before
    token = token_of(html)
    result = client.post("/admin/import/confirm", data={"kind": "users", "token": token})
    assert result.status_code == 200 and result.headers["Cache-Control"] == "no-store"
    page = result.get_data(as_text=True)
    assert count(db, User) == before + 3
    zhao = db.session.scalar(sa.select(User).where(User.email == "zhao@example.cn"))
    assert zhao.role is Role.unit_member and zhao.unit_id == people.unit.id
    password = re.search(r'<td class="password">([^<]+)</td>', page).group(1)
    assert zhao.check_password(password)
    # the stash is gone: a second confirm is refused, nothing saved twice
    again = client.post("/admin/import/confirm", data={"kind": "users", "token": token}, follow_redirects=True)
    assert "已失效" in again.get_data(as_text=True)
    assert count(db, User) == before + 3


def test_users_file_with_row_errors_saves_nothing(auth, db, people):
    client = auth.client_for(people.admin)
    before = count(db, User)
    response = upload(client, "users", csv_file(
        "邮箱,姓名,电话,单位代码,角色\n"
        f"{people.lead.email},重复者,,{people.unit.code},责任单位负责人\n"
        "new@example.cn,新用户,,nowhere,责任单位成员\n"
        "new@example.cn,又一个,,,督办人\n"
        "not-an-email,无效,,,督办人\n"
        "ok@example.cn,,,,局长\n"
        "member@example.cn,无单位,,,责任单位成员\n"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "已被其他用户使用" in html
    assert "单位代码 nowhere 不存在" in html
    assert "与第 3 行重复" in html
    assert "无效" in html and "姓名为空" in html and "未知的角色" in html
    assert "必须填写单位代码" in html
    assert 'name="token"' not in html
    assert count(db, User) == before


def test_users_file_missing_columns(auth, db, people):
    response = upload(auth.client_for(people.admin), "users", csv_file("姓名,电话\n张三,123\n"))
    assert response.status_code == 422
    assert "缺少必需的列" in response.get_data(as_text=True)


def test_units_file_previews_and_saves_through_the_units_import(auth, db, people):
    client = auth.client_for(people.admin)
    before = count(db, Unit)
    response = upload(client, "units", csv_file(
        f"代码,名称,上级代码,类型\nxc-jyj,西城区教育局,{people.other_unit.code},部门\nxc-jyj-zx,中学科,xc-jyj,科室\n"))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert count(db, Unit) == before  # the preview ran the import and rolled it back
    client.post("/admin/import/confirm", data={"kind": "units", "token": token_of(response.get_data(as_text=True))})
    child = db.session.scalar(sa.select(Unit).where(Unit.code == "xc-jyj-zx"))
    assert child.parent.code == "xc-jyj" and child.parent.parent_id == people.other_unit.id


def test_units_file_with_a_cycle_or_unknown_parent_is_refused_row_by_row(auth, db, people):
    client = auth.client_for(people.admin)
    before = count(db, Unit)
    response = upload(client, "units", csv_file("代码,名称,上级代码\na1,甲,b1\nb1,乙,a1\nc1,丙,nowhere\n"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "循环" in html and "上级单位 nowhere 不存在" in html
    assert count(db, Unit) == before


def test_units_file_missing_columns_and_wrong_type(auth, people):
    client = auth.client_for(people.admin)
    response = upload(client, "units", csv_file("名称\n甲\n"))
    assert response.status_code == 422 and "缺少必需的列" in response.get_data(as_text=True)
    response = upload(client, "units", (io.BytesIO(b"x"), "units.txt"))
    assert response.status_code == 422 and "只支持" in response.get_data(as_text=True)
    assert upload(client, "units", (io.BytesIO(b""), "")).status_code == 400


def test_confirm_never_takes_a_path(auth, app, db, people):
    client = auth.client_for(people.admin)
    secret = os.path.join(app.instance_path, "secret.csv")
    with open(secret, "w", encoding="utf-8") as fh:
        fh.write("邮箱,姓名,角色\nx@example.cn,某人,管理员\n")
    for token in ("../secret.csv", "..%2Fsecret.csv", "secretcsv", "a" * 30 + "csv"):
        response = client.post("/admin/import/confirm", data={"kind": "users", "token": token},
                               follow_redirects=True)
        assert "已失效" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.email == "x@example.cn")) is None


def test_stale_uploads_are_removed(app, auth, people):
    folder = os.path.join(app.instance_path, "imports")
    os.makedirs(folder, exist_ok=True)
    old = os.path.join(folder, "x" * 32 + ".csv")
    with open(old, "w", encoding="utf-8") as fh:
        fh.write("邮箱,姓名,角色\n")
    os.utime(old, (1, 1))
    upload(auth.client_for(people.admin), "users", csv_file("邮箱,姓名,角色\na@example.cn,甲,督办人\n"))
    assert not os.path.exists(old)
    assert len(os.listdir(folder)) == 2  # the new upload: its bytes and its name
