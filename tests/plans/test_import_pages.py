"""What the import pages show: the outline beside its source, data for the editor, no inline script."""

from __future__ import annotations

import html
import json
import re

import pytest
import sqlalchemy as sa

from tracker.plans import storage
from tracker.plans.models import Plan, PlanState

SMALL = ("某县2026年营商环境提升工作方案\n一、加强组织领导\n（一）成立工作专班，由县发改局牵头，2026年6月底前完成。\n"
         "（二）每季度召开一次推进会。\n二、抓好重点任务\n")


def hidden(page: str, name: str) -> str:
    match = re.search(r'<input[^>]*name="' + name + r'"[^>]*>', page)
    assert match, name
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


@pytest.fixture
def sup(auth, people):
    return auth.client_for(people.supervisor)


def test_import_page_has_paste_upload_and_progress(sup):
    response = sup.get("/plans/import")
    body = response.get_data(as_text=True)
    assert 'name="text"' in body and 'type="file"' in body and 'accept=".txt,.md,.csv,.docx,.xlsx"' in body
    assert 'enctype="multipart/form-data"' in body
    assert 'id="import-busy"' in body and "js/outline-editor.js" in body
    assert "css/plans.css" in body


def test_preview_shows_outline_beside_highlighted_source(sup):
    response = sup.post("/plans/import", data={"text": SMALL})
    body = response.get_data(as_text=True)
    # the source, one element per line, item lines highlighted
    assert 'id="src-0"' in body and 'id="src-4"' in body
    first_line = re.search(r'<div class="sline([^"]*)" id="src-0">', body).group(1)
    assert "hit" not in first_line  # the title line is not an item
    assert re.search(r'<div class="sline hit hit-start" id="src-1">', body)
    # the static tree for pages without script, with suggestion tags
    assert "加强组织领导" in body and 'class="tag tag-deadline"' in body and "2026-06-30" in body
    # the editor's data block is JSON, the same outline as the hidden field
    data = re.search(r'<script type="application/json" id="outline-data">(.*?)</script>', body, re.S).group(1)
    assert json.loads(data) == json.loads(hidden(body, "outline_json"))
    assert json.loads(data)["plans"][0]["items"][0]["children"][0]["start_line"] == 2


def test_no_inline_script_or_style(sup, people, make):
    plan = make.plan(supervisor=people.supervisor)
    pages = [sup.get("/plans/import"), sup.post("/plans/import", data={"text": SMALL}), sup.get("/plans/"),
             sup.get(f"/plans/{plan.id}"), sup.get(f"/plans/{plan.id}/outline"), sup.get(f"/plans/{plan.id}/edit")]
    for response in pages:
        body = response.get_data(as_text=True)
        assert " style=" not in body
        for tag in re.findall(r"<script[^>]*>", body):
            assert "src=" in tag or 'type="application/json"' in tag, tag
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_outline_data_cannot_break_out_of_its_block(sup):
    text = "计划</script><script>alert(1)</script>\n一、措施</script>\n"
    body = sup.post("/plans/import", data={"text": text}).get_data(as_text=True)
    block = re.search(r'id="outline-data">(.*?)</script>', body, re.S).group(1)
    assert "<" not in block
    assert "<script>alert" not in body


def test_plan_page_shows_suggestions_and_guarded_links(sup, db, app):
    body = sup.post("/plans/import", data={"text": SMALL}).get_data(as_text=True)
    response = sup.post("/plans/import/save", data={"outline_json": hidden(body, "outline_json"),
                                                    "source_text": hidden(body, "source_text")})
    page = sup.get(response.headers["Location"]).get_data(as_text=True)
    assert "某县2026年营商环境提升工作方案" in page and "草稿" in page
    assert '<span class="onum">（一）</span>成立工作专班' in page and "2026-06-30" in page
    assert "县发改局" in page
    assert "启用" in page and "编辑信息" in page and "修改提纲" in page
    if "tasks.assign" not in app.view_functions:
        assert "分解交办" not in page
    plan = db.session.scalar(sa.select(Plan))
    source = sup.get(f"/plans/{plan.id}/source").get_data(as_text=True)
    assert 'class="sline hit hit-start" id="src-1"' in source


def test_viewer_sees_no_edit_buttons(auth, people, make):
    plan = make.plan(supervisor=people.supervisor)
    page = auth.client_for(people.viewer).get(f"/plans/{plan.id}").get_data(as_text=True)
    assert plan.title in page
    assert "编辑信息" not in page and "修改提纲" not in page and "归档" not in page


def test_list_shows_counts_per_state(sup, db, people, make):
    make.plan("甲方案", supervisor=people.supervisor)
    make.plan("乙方案", supervisor=people.supervisor)
    body = sup.get("/plans/").get_data(as_text=True)
    assert re.search(r'<div class="value">2</div><div class="label">执行中</div>', body)
    assert "导入计划" in body


def test_error_keeps_the_pasted_text(sup):
    text = "没有编号的一段话。"
    response = sup.post("/plans/import", data={"text": text})
    assert response.status_code == 422
    assert text in response.get_data(as_text=True)


def test_demo_data_imports_the_seed_plans(app, db, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    plans = db.session.scalars(sa.select(Plan).order_by(Plan.id)).all()
    assert len(plans) == 5
    assert all(p.state == PlanState.active for p in plans)
    assert [len(p.measures) for p in plans] == [34, 6, 17, 11, 107]
    assert plans[0].source_filename == "seed-work-plans.txt"
    with open(storage.source_path(plans[0]), "rb") as handle:
        assert len(handle.read()) > 1000


def test_pages_render_in_english(sup, people, make):
    plan = make.plan(supervisor=people.supervisor)
    assert sup.post("/language/en", data={"next": "/plans/"}).status_code == 302
    for response in (sup.get("/plans/"), sup.get("/plans/import"), sup.post("/plans/import", data={"text": SMALL}),
                     sup.get(f"/plans/{plan.id}"), sup.get(f"/plans/{plan.id}/outline"),
                     sup.get(f"/plans/{plan.id}/source")):
        assert response.status_code == 200
        assert '<html lang="en">' in response.get_data(as_text=True)
    response = sup.post("/plans/import", data={"text": "没有编号。"})
    assert response.status_code == 422
