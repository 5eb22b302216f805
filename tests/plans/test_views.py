"""Plan pages: import through the page, bad input never saves and never 500s, who may open what."""

from __future__ import annotations

import html
import io
import json
import os
import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ROLES
from tests.plans import docx_factory
from tracker.auth.models import Role
from tracker.db import utcnow
from tracker.plans import queries, services, storage
from tracker.plans.models import Measure, Plan, PlanState
from tracker.tasks.models import Task

DATA = Path(__file__).resolve().parent.parent / "data"
SEED_COUNTS = [34, 6, 17, 11, 107]
SMALL = ("某县2026年营商环境提升工作方案\n一、加强组织领导\n（一）成立工作专班。\n（二）每季度召开一次推进会。\n"
         "二、抓好重点任务\n")


def hidden(page: str, name: str) -> str:
    match = re.search(r'<input[^>]*name="' + name + r'"[^>]*>', page)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def upload(client, data: bytes, filename: str):
    return client.post("/plans/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


@pytest.fixture
def sup(auth, people):
    return auth.client_for(people.supervisor)


def test_seed_text_through_the_page(sup, db):
    text = (DATA / "seed-work-plans.txt").read_text(encoding="utf-8")
    page = sup.post("/plans/import", data={"text": text})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "识别出 5 份计划、175 个条目" in body
    response = sup.post("/plans/import/save", data={
        "outline_json": hidden(body, "outline_json"), "source_text": hidden(body, "source_text"),
        "token": hidden(body, "token")})
    assert response.status_code == 302
    plans = db.session.scalars(sa.select(Plan).order_by(Plan.id)).all()
    assert [len(p.measures) for p in plans] == SEED_COUNTS
    assert response.headers["Location"].endswith(f"/plans/{plans[0].id}")
    assert plans[0].source_text == text
    page = sup.get(response.headers["Location"]).get_data(as_text=True)
    assert "工作计划和总结范文第1篇" in page and "班况分析" in page


def test_docx_with_automatic_numbering_through_the_page(sup, db, app):
    data = docx_factory.build_plan_docx()
    page = upload(sup, data, "教育督导工作要点.docx")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    token = hidden(body, "token")
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert hidden(body, "source_text") == ""  # the file stays on the server, not in the form
    edited = json.loads(hidden(body, "outline_json"))
    assert edited["plans"][0]["title"] == "某区2024年教育督导工作要点"
    # the supervisor marks the three sections as headings before saving
    for item in edited["plans"][0]["items"]:
        item["kind"] = "heading"
    response = sup.post("/plans/import/save", data={"outline_json": json.dumps(edited, ensure_ascii=False),
                                                    "token": token})
    assert response.status_code == 302
    [plan] = db.session.scalars(sa.select(Plan)).all()
    assert len(plan.measures) == 19
    assert [m.number for m in plan.measures[:3]] == ["一", "（一）", "1"]
    assert [m.kind.value for m in plan.measures if m.level == 1] == ["heading"] * 3
    assert plan.source_filename == "教育督导工作要点.docx"
    assert "健全督导工作机制" in plan.source_text
    download = sup.get(f"/plans/{plan.id}/source/file")
    assert download.status_code == 200 and download.data == data
    assert "attachment" in download.headers["Content-Disposition"]
    # the stash is gone after saving
    assert storage.load_upload(token) is None


def test_save_as_parsed_without_changes(sup, db):
    body = sup.post("/plans/import", data={"text": SMALL}).get_data(as_text=True)
    response = sup.post("/plans/import/save", data={"outline_json": hidden(body, "outline_json"),
                                                    "source_text": hidden(body, "source_text")})
    assert response.status_code == 302
    plan = db.session.scalar(sa.select(Plan))
    assert [m.text for m in plan.measures] == [
        "加强组织领导", "成立工作专班。", "每季度召开一次推进会。", "抓好重点任务"]


# --------------------------------------------------------------------- bad input


def _zip_bomb(tmp_path) -> bytes:
    path = docx_factory.write_zip_bomb(tmp_path / "bomb.docx", size=210 * 1024 * 1024)
    return path.read_bytes()


@pytest.mark.parametrize("case", ["empty", "binary", "corrupt_docx", "zip_bomb", "unknown_encoding", "no_items",
                                  "unsupported"])
def test_bad_uploads_show_a_message_and_save_nothing(sup, db, app, tmp_path, case):
    data, name, fragment = {
        "empty": (b"", "plan.txt", "文件为空"),
        "binary": (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 8, "plan.txt", "不是文本"),
        "corrupt_docx": (b"PK\x03\x04 this is not really a zip archive", "plan.docx", "Word 文件已损坏"),
        "zip_bomb": (None, "plan.docx", "解压后过大"),
        "unknown_encoding": ("学校の安全管理について、毎週点検を行います。".encode("shift_jis") * 3, "plan.txt",
                             "无法识别文件的文字编码"),
        "no_items": ("只有一段没有编号的文字。\n第二段也没有。".encode(), "plan.txt", "没有找到带编号的条目"),
        "unsupported": (b"%PDF-1.4", "plan.pdf", "只支持"),
    }[case]
    if data is None:
        data = _zip_bomb(tmp_path)
    response = upload(sup, data, name)
    assert response.status_code in (400, 413, 422)
    assert fragment in response.get_data(as_text=True)
    assert count(db, Plan) == 0
    stash = os.path.join(app.instance_path, "plan_uploads")
    assert not os.path.isdir(stash) or os.listdir(stash) == []


def test_nothing_given(sup):
    response = sup.post("/plans/import", data={"text": "   "})
    assert response.status_code == 400
    assert "请粘贴计划文字" in response.get_data(as_text=True)


@pytest.fixture
def small_limits(app_config):
    app_config.update(MAX_CONTENT_LENGTH=1024 * 1024, PLAN_MAX_MB=1)
    return app_config


def test_upload_over_max_content_length(small_limits, app, db, auth, people):
    client = auth.client_for(people.supervisor)
    response = upload(client, b"x" * (2 * 1024 * 1024), "plan.txt")
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "上传的文件过大" in body and "导入计划" in body
    assert count(db, Plan) == 0


@pytest.fixture
def plan_limit(app_config):
    app_config.update(PLAN_MAX_MB=1)
    return app_config


def test_upload_over_plan_max_mb(plan_limit, app, db, auth, people):
    client = auth.client_for(people.supervisor)
    response = upload(client, "一、措施\n".encode() * 200_000, "plan.txt")
    assert response.status_code == 413
    assert "文件过大（上限 1 MB）" in response.get_data(as_text=True)


@pytest.mark.parametrize("outline_json, fragment", [
    ("{not json", "无法读取"),
    ('{"plans": []}', "格式不对"),
    (json.dumps({"plans": [{"title": "计划", "items": [{"number": "一", "text": "措施", "level": 2}]}]}), "层级"),
    (json.dumps({"plans": [{"title": "长" * 201, "items": [{"number": "一", "text": "措施", "level": 1}]}]}),
     "不能超过 200"),
    (json.dumps({"plans": [{"title": "计划", "items": [{"number": "一", "text": "", "level": 1}]}]}),
     "内容不能为空"),
])
def test_bad_edited_outline_is_refused(sup, db, outline_json, fragment):
    response = sup.post("/plans/import/save", data={"outline_json": outline_json, "source_text": SMALL})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert fragment in body
    assert count(db, Plan) == 0 and count(db, Measure) == 0
    # the page offers the outline again (the user's edits, or the source parsed afresh)
    assert 'id="save-form"' in body


def test_tampered_token_is_not_a_path(sup, db):
    body = sup.post("/plans/import", data={"text": SMALL}).get_data(as_text=True)
    for token in ("../../config", "0" * 32, "/etc/passwd"):
        response = sup.post("/plans/import/save", data={"outline_json": hidden(body, "outline_json"),
                                                        "token": token})
        assert response.status_code == 400
        assert "已过期" in response.get_data(as_text=True)
    assert count(db, Plan) == 0


def test_failing_file_store_through_the_page_leaves_nothing(sup, db, app, monkeypatch):
    body = upload(sup, SMALL.encode(), "plan.txt").get_data(as_text=True)

    def broken(data, filename):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "store_source_file", broken)
    response = sup.post("/plans/import/save", data={"outline_json": hidden(body, "outline_json"),
                                                    "token": hidden(body, "token")})
    assert response.status_code == 422
    assert "原文件未能保存" in response.get_data(as_text=True)
    assert count(db, Plan) == 0
    folder = app.config["PLAN_SOURCE_FOLDER"]
    assert not os.path.isdir(folder) or os.listdir(folder) == []


def test_edit_metadata_and_title_over_200(sup, db, people, make):
    plan = make.plan(supervisor=people.supervisor)
    response = sup.post(f"/plans/{plan.id}/edit", data={"title": "长" * 201})
    assert response.status_code == 422
    db.session.expire_all()
    assert plan.title == "2026年重点工作实施方案"
    response = sup.post(f"/plans/{plan.id}/edit", data={
        "title": "修订后的方案", "doc_number": "某政办发〔2026〕3号", "issuer": "某县人民政府办公室",
        "issued_on": "2026-02-01"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (plan.title, plan.doc_number) == ("修订后的方案", "某政办发〔2026〕3号")


def test_state_buttons(sup, db, people, make):
    plan = make.plan(supervisor=people.supervisor)
    assert plan.state == PlanState.active
    assert sup.post(f"/plans/{plan.id}/state/archived").status_code == 302
    db.session.expire_all()
    assert plan.state == PlanState.archived
    assert sup.post(f"/plans/{plan.id}/state/draft").status_code == 409
    assert sup.post(f"/plans/{plan.id}/state/finished").status_code == 400


def test_outline_page_saves_edits(sup, db, people, make):
    plan = make.plan(supervisor=people.supervisor)
    tree = queries.measure_tree(plan)
    tree[0]["children"].pop()  # delete 2
    tree[1]["kind"] = "heading"
    response = sup.post(f"/plans/{plan.id}/outline", data={"outline_json": json.dumps({"items": tree})})
    assert response.status_code == 302
    db.session.expire_all()
    assert [(m.number, m.kind.value) for m in plan.measures] == [
        ("一", "measure"), ("1", "measure"), ("二", "heading"), ("1", "measure")]
    bad = sup.post(f"/plans/{plan.id}/outline", data={"outline_json": "[{]"})
    assert bad.status_code == 422


def test_list_filters_by_state(sup, db, people, make):
    make.plan("甲方案", supervisor=people.supervisor)
    archived = make.plan("乙方案", supervisor=people.supervisor)
    archived.state = PlanState.archived
    db.session.commit()
    body = sup.get("/plans/?state=archived").get_data(as_text=True)
    assert "乙方案" in body and "甲方案" not in body
    body = sup.get("/plans/").get_data(as_text=True)
    assert "乙方案" in body and "甲方案" in body


# --------------------------------------------------------------------- permissions

ROUTES = [
    ("GET", "/plans/", {None: 302, Role.viewer: 200, Role.unit_member: 200, Role.unit_lead: 200,
                        Role.supervisor: 200, Role.admin: 200}),
    ("GET", "/plans/import", {None: 302, Role.viewer: 403, Role.unit_member: 403, Role.unit_lead: 403,
                              Role.supervisor: 200, Role.admin: 200}),
    ("POST", "/plans/import", {None: 302, Role.viewer: 403, Role.unit_member: 403, Role.unit_lead: 403,
                               Role.supervisor: 200, Role.admin: 200}),
    ("POST", "/plans/import/save", {None: 302, Role.viewer: 403, Role.unit_member: 403, Role.unit_lead: 403,
                                    Role.supervisor: 302, Role.admin: 302}),
    ("GET", "/plans/{id}", {None: 302, Role.viewer: 200, Role.unit_member: 403, Role.unit_lead: 403,
                            Role.supervisor: 200, Role.admin: 200}),
    ("GET", "/plans/{id}/edit", {None: 302, Role.viewer: 403, Role.unit_member: 403, Role.unit_lead: 403,
                                 Role.supervisor: 200, Role.admin: 200}),
    ("POST", "/plans/{id}/edit", {None: 302, Role.viewer: 403, Role.unit_member: 403, Role.unit_lead: 403,
                                  Role.supervisor: 302, Role.admin: 302}),
    ("GET", "/plans/{id}/outline", {None: 302, Role.viewer: 403, Role.unit_member: 403, Role.unit_lead: 403,
                                    Role.supervisor: 200, Role.admin: 200}),
    ("POST", "/plans/{id}/state/archived", {None: 302, Role.viewer: 403, Role.unit_member: 403,
                                            Role.unit_lead: 403, Role.supervisor: 302, Role.admin: 302}),
    ("GET", "/plans/{id}/source", {None: 302, Role.viewer: 200, Role.unit_member: 403, Role.unit_lead: 403,
                                   Role.supervisor: 200, Role.admin: 200}),
    ("GET", "/plans/{id}/source/file", {None: 302, Role.viewer: 200, Role.unit_member: 403,
                                        Role.unit_lead: 403, Role.supervisor: 200, Role.admin: 200}),
]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
@pytest.mark.parametrize("method, path, expected", ROUTES, ids=lambda v: v if isinstance(v, str) else "")
def test_permission_matrix(app, db, auth, people, role, method, path, expected):
    [plan] = _plan_with_file(db, people)
    db.session.commit()
    user = people.by_role(role)
    client = auth.client_for(user) if user else app.test_client()
    url = path.format(id=plan.id)
    data = {
        "/plans/import": {"text": SMALL},
        "/plans/import/save": {"outline_json": json.dumps(
            {"plans": [{"title": "计划", "items": [{"number": "一", "text": "措施", "level": 1}]}]})},
        "/plans/{id}/edit": {"title": "新标题"},
    }.get(path, {})
    response = client.get(url) if method == "GET" else client.post(url, data=data)
    assert response.status_code == expected[role], response.get_data(as_text=True)[:300]
    if expected[role] == 302 and role is None:
        assert "/login" in response.headers["Location"]


def _plan_with_file(db, people) -> list[Plan]:
    return services.import_plan(
        queries.outline_to_edit(queries.preview(None, None, SMALL)), source_text=SMALL,
        source_file=(SMALL.encode(), "方案.txt"), actor=people.supervisor, now=utcnow())


def test_other_supervisor_may_not_edit(app, db, auth, people, make):
    plan = make.plan(supervisor=people.supervisor)
    other = make.user(Role.supervisor, name="赵督办")
    db.session.commit()
    client = auth.client_for(other)
    assert client.get(f"/plans/{plan.id}").status_code == 403
    assert client.get(f"/plans/{plan.id}/edit").status_code == 403
    assert client.post(f"/plans/{plan.id}/state/archived").status_code == 403


def test_unit_user_with_a_task_may_read(app, db, auth, people, make):
    plan = make.plan(supervisor=people.supervisor)
    db.session.add(Task(measure_id=plan.measures[1].id, plan_id=plan.id, unit_id=people.unit.id,
                        due_on=date(2026, 6, 30), original_due_on=date(2026, 6, 30), assigned_on=date(2026, 3, 2)))
    db.session.commit()
    client = auth.client_for(people.member)
    assert client.get(f"/plans/{plan.id}").status_code == 200
    assert "2026年重点工作实施方案" in client.get("/plans/").get_data(as_text=True)
    assert client.get(f"/plans/{plan.id}/source").status_code == 403
    assert client.get(f"/plans/{plan.id}/outline").status_code == 403


def test_big_outline_passes_the_form_size_limit(sup, db):
    """2000 long measures are far above Flask's 500 kB form field default."""
    items = [{"number": str(n), "text": f"第{n}项：" + "落实责任，细化措施，" * 20, "level": 1} for n in range(2000)]
    outline_json = json.dumps({"plans": [{"title": "大计划", "items": items}]}, ensure_ascii=False)
    assert len(outline_json.encode()) > 1024 * 1024
    response = sup.post("/plans/import/save", data={"outline_json": outline_json, "source_text": ""})
    assert response.status_code == 302
    assert len(db.session.scalar(sa.select(Plan)).measures) == 2000


@pytest.fixture
def csrf_limits(app_config):
    app_config.update(MAX_CONTENT_LENGTH=1024 * 1024, WTF_CSRF_ENABLED=True)
    return app_config


def test_too_large_with_csrf_on_still_gets_the_friendly_page(csrf_limits, app, db, auth, people):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = hidden(page, "csrf_token")
    response = client.post("/login", data={"email": people.supervisor.email, "password": "correct-horse-9",
                                           "csrf_token": token})
    assert response.status_code == 302
    response = client.post("/plans/import", data={"file": (io.BytesIO(b"x" * (2 * 1024 * 1024)), "plan.txt"),
                                                  "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "上传的文件过大" in response.get_data(as_text=True)
