"""The unit tree: create, edit, never under itself, import all or nothing."""

import pytest

from tracker.units import services
from tracker.units.models import Unit


def unit_form(**overrides):
    data = {"name": "南城区", "code": "nc", "kind": "county", "parent_id": "", "contact_email": "",
            "leader_id": "", "sort_order": "0", "is_active": "y"}
    data.update(overrides)
    return data


def test_admin_creates_and_edits_unit(people, auth, db):
    client = auth.client_for(people.admin)
    response = client.post("/admin/units/new", data=unit_form(parent_id=str(people.region.id)))
    assert response.status_code == 302
    unit = db.session.scalar(db.select(Unit).where(Unit.code == "nc"))
    assert unit.parent_id == people.region.id
    assert unit.path_name == "示范市 / 南城区"
    page = client.get("/admin/units/").get_data(as_text=True)
    assert "南城区" in page


def test_unit_cannot_move_under_its_own_child(people, auth, db, make):
    child = make.unit("东城区教育局", parent=people.unit)
    db.session.commit()
    client = auth.client_for(people.admin)
    response = client.post(f"/admin/units/{people.unit.id}/edit", data=unit_form(
        name="东城区", code=people.unit.code, parent_id=str(child.id)))
    assert response.status_code == 200
    assert "不能把单位移到它自己或它的下级单位之下" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Unit, people.unit.id).parent_id == people.region.id


@pytest.mark.parametrize("overrides,message", [
    ({"name": ""}, "请输入单位名称"),
    ({"code": "bad code!"}, "单位代码只能由"),
    ({"name": "长" * 101}, ""),
    ({"contact_email": "nope"}, "有效的联系邮箱"),
])
def test_unit_bad_input_changes_nothing(people, auth, db, overrides, message):
    client = auth.client_for(people.admin)
    before = db.session.scalar(db.select(db.func.count()).select_from(Unit))
    response = client.post("/admin/units/new", data=unit_form(**overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Unit)) == before


def test_duplicate_code_is_refused(people, auth):
    client = auth.client_for(people.admin)
    response = client.post("/admin/units/new", data=unit_form(code=people.unit.code))
    assert "已存在" in response.get_data(as_text=True)


CSV_OK = "代码,名称,上级代码,类型,联系邮箱\nsz,示范州,,地区,\nsz-a,甲县,sz,县区,a@example.cn\nsz-b,乙县,sz,县区,\n"


def test_import_units_csv(people, db, now):
    rows = services.read_rows(CSV_OK.encode("utf-8-sig"), "units.csv")
    services.import_units(rows, actor=people.admin, now=now)
    db.session.commit()
    county = db.session.scalar(db.select(Unit).where(Unit.code == "sz-a"))
    assert county.parent.code == "sz" and county.contact_email == "a@example.cn"


def test_import_units_gb18030_xlsx_page(people, auth, db, tmp_path):
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in [["代码", "名称", "上级代码"], ["x1", "一号单位", ""], ["x2", "二号单位", "x1"]]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    client = auth.client_for(people.admin)
    response = client.post("/admin/units/import", data={"file": (io.BytesIO(buffer.getvalue()), "单位.xlsx")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "已导入 2 个单位" in response.get_data(as_text=True)
    rows = services.read_rows("代码,名称\ng1,国标单位\n".encode("gb18030"), "u.csv")
    assert rows == [{"code": "g1", "name": "国标单位"}]


@pytest.mark.parametrize("csv_text,message", [
    ("名称\n甲县\n", "缺少必需的列"),
    ("代码,名称,上级代码\na,甲,b\nb,乙,a\n", "循环"),
    ("代码,名称,上级代码\na,甲,zz\n", "不存在"),
    ("代码,名称\na,甲\na,乙\n", "重复"),
    ("代码,名称\na,\n", "名称为空"),
])
def test_import_units_bad_files_save_nothing(people, db, csv_text, message, now):
    before = db.session.scalar(db.select(db.func.count()).select_from(Unit))
    with pytest.raises(services.UnitError, match=message):
        rows = services.read_rows(csv_text.encode(), "u.csv")
        services.import_units(rows, actor=people.admin, now=now)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Unit)) == before


def test_import_cycle_with_existing_units(people, db, now):
    # the file moves the region under its own county
    rows = [{"code": people.region.code, "name": "示范市", "parent": people.unit.code}]
    with pytest.raises(services.UnitError, match="循环"):
        services.import_units(rows, actor=people.admin, now=now)


def test_unit_robot_and_phone_kept_secret(people, auth, db, app):
    client = auth.client_for(people.admin)
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    response = client.post(f"/admin/units/{people.unit.id}/edit", data=unit_form(
        name="东城区", code=people.unit.code, parent_id=str(people.region.id), robot_kind="wecom", robot_url=url,
        sms_phone="138 0000 1234", chase_weekly_cap="3"))
    assert response.status_code == 302
    db.session.expire_all()
    unit = db.session.get(Unit, people.unit.id)
    assert (unit.robot_kind, unit.robot_url, unit.sms_phone, unit.chase_weekly_cap) == ("wecom", url, "13800001234", 3)
    page = client.get(f"/admin/units/{unit.id}/edit").get_data(as_text=True)
    assert "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa" not in page and "5aaa" in page
    # a blank address keeps the stored one; a 钉钉 secret is stored and never shown
    client.post(f"/admin/units/{unit.id}/edit", data=unit_form(
        name="东城区", code=unit.code, parent_id=str(people.region.id), robot_kind="dingtalk",
        robot_secret="SECabcdef0123456789", sms_phone="13800001234"))
    db.session.expire_all()
    unit = db.session.get(Unit, people.unit.id)
    assert (unit.robot_kind, unit.robot_url, unit.robot_secret) == ("dingtalk", url, "SECabcdef0123456789")
    assert "SECabcdef0123456789" not in client.get(f"/admin/units/{unit.id}/edit").get_data(as_text=True)


@pytest.mark.parametrize("overrides,message", [
    ({"robot_kind": "wecom", "robot_url": "http://robot.example.cn/send?key=1"}, "必须是 https://"),
    ({"robot_kind": "", "robot_url": "https://robot.example.cn/send?key=1"}, "请选择机器人类型"),
    ({"sms_phone": "call me"}, "有效的手机号码"),
])
def test_unit_bad_channel_changes_nothing(people, auth, db, overrides, message):
    client = auth.client_for(people.admin)
    response = client.post(f"/admin/units/{people.unit.id}/edit", data=unit_form(
        name="东城区改", code=people.unit.code, parent_id=str(people.region.id), **overrides))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    unit = db.session.get(Unit, people.unit.id)
    assert (unit.name, unit.robot_url, unit.sms_phone) == ("东城区", None, None)
