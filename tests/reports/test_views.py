"""The report pages: who may open them, exports, the 通报 and summary .docx, bad input."""

from __future__ import annotations

import io
import re
from datetime import datetime
from urllib.parse import unquote

import openpyxl
import pdfplumber
import pytest
from docx import Document

from tracker.auth.models import Role
from tracker.reports import exports

STAFF_PAGES = ["/dashboard", "/reports/bulletin"]


@pytest.mark.parametrize("url", STAFF_PAGES + ["/dashboard/unit", "/admin/import", "/reports/ledger.xlsx",
                                               "/reports/ledger.csv", "/plans/1/summary"])
def test_anonymous_is_sent_to_login(client, seeded, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.unit_lead, Role.unit_member])
@pytest.mark.parametrize("url", STAFF_PAGES + ["/admin/import"])
def test_unit_people_get_403_on_staff_pages(auth, people, seeded, role, url):
    assert auth.client_for(people.by_role(role)).get(url).status_code == 403


@pytest.mark.parametrize("role", [Role.viewer, Role.supervisor, Role.admin])
def test_staff_read_the_dashboard_and_not_the_unit_dashboard(auth, people, seeded, role):
    client = auth.client_for(people.by_role(role))
    page = client.get("/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "责任单位排名" in html and "<svg" in html and 'style="' not in html
    assert client.get("/dashboard?sort=overdue&trend=month").status_code == 200
    assert client.get("/dashboard/unit").status_code == 403


def test_every_dashboard_number_links_to_its_tasks(auth, people, seeded):
    import html as html_lib
    import re

    client = auth.client_for(people.admin)
    html = client.get("/dashboard").get_data(as_text=True)
    plan = seeded.plan.id
    assert f'href="/tasks?light=red&amp;plan_id={plan}"' in html
    assert f'href="/tasks?overdue=1&amp;plan_id={plan}"' in html
    assert 'href="/tasks?open=1"' in html
    assert f'href="/tasks?plan_id={plan}&amp;state=completed"' in html
    assert f'href="/tasks?overdue=1&amp;unit_id={people.other_unit.id}"' in html
    # and every such link opens a list the task page understands
    links = {html_lib.unescape(h) for h in re.findall(r'href="(/tasks\?[^"]+)"', html)}
    assert len(links) > 10
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, link


def test_dashboard_rejects_a_nonsense_plan(auth, people, seeded):
    response = auth.client_for(people.admin).get("/dashboard?plan_id=abc", follow_redirects=True)
    assert response.status_code == 200 and "无效" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.viewer, Role.supervisor, Role.unit_lead])
def test_only_admins_import(auth, people, role):
    assert auth.client_for(people.by_role(role)).get("/admin/import").status_code == 403


def test_unit_dashboard_lists_the_units_open_tasks(auth, people, seeded):
    html = auth.client_for(people.lead).get("/dashboard/unit").get_data(as_text=True)
    assert "压缩审批时限" in html and "抓好重点任务" not in html
    assert "已逾期" in html


# --------------------------------------------------------------------------- the ledger

def open_xlsx(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]


def test_ledger_xlsx_headers_frozen_pane_dates_and_formula_guard(auth, people, seeded):
    response = auth.client_for(people.admin).get("/reports/ledger.xlsx")
    assert response.status_code == 200
    sheet = open_xlsx(response.data)
    assert sheet["A1"].value == "任务台账" and sheet["O1"].value == "制表日期"
    assert isinstance(sheet["P1"].value, datetime)
    header = [c.value for c in sheet[2]]
    assert header == ["序号", "计划", "编号", "工作任务", "责任单位", "牵头/配合", "责任人", "原定时限", "延期时限",
                      "办结日期", "状态", "灯号", "最新进展", "佐证材料数", "退回次数", "签收时间"]
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:P10"
    assert sheet.max_row == 10
    assert isinstance(sheet["H3"].value, datetime) and sheet["H3"].number_format == "yyyy-mm-dd"
    rows = {(r[3].value, r[4].value): r for r in sheet.iter_rows(min_row=3)}
    first = rows[("成立工作专班，明确责任分工。", "东城区")]
    assert first[13].value == 2  # evidence count
    assert first[2].value == "一、1."  # the full path in the plan's numbering
    # the last column is the 签收 time: blank for a closed task never acknowledged, 未签收 for an open one
    assert first[15].value is None
    assert rows[("每季度召开一次推进会。", "西城区")][15].value == "未签收"
    # the task with an extension shows both deadlines
    extended = [r for r in sheet.iter_rows(min_row=3) if r[8].value is not None]
    assert len(extended) == 1 and extended[0][8].value > extended[0][7].value
    # completed tasks carry the day they were completed, open ones none
    done = [r for r in sheet.iter_rows(min_row=3) if r[10].value == "已办结"]
    assert done and all(isinstance(r[9].value, datetime) for r in done)
    assert all(r[9].value is None for r in sheet.iter_rows(min_row=3) if r[10].value != "已办结")
    injected = [r[12] for r in sheet.iter_rows(min_row=3) if str(r[12].value or "").startswith("=")]
    assert len(injected) == 1 and injected[0].data_type == "s"
    assert sheet.column_dimensions["D"].width >= 40


def test_ledger_csv_has_bom_and_quotes_formulas(auth, people, seeded):
    response = auth.client_for(people.admin).get(f"/reports/ledger.csv?plan_id={seeded.plan.id}")
    assert response.status_code == 200
    data = response.data
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith(f"{seeded.plan.title}任务台账,")
    assert text.splitlines()[1].startswith("序号,计划,编号,工作任务")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert len(text.strip().splitlines()) == 8


def test_csv_guard_covers_every_dangerous_prefix():
    for value in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert exports.csv_safe(value).startswith("'")
    assert exports.csv_safe("正常文本") == "正常文本"
    assert exports.csv_safe(-5) == "-5"


def test_ledger_is_scoped_to_the_unit_for_unit_people(auth, people, seeded):
    sheet = open_xlsx(auth.client_for(people.lead).get("/reports/ledger.xlsx").data)
    assert {r[4].value for r in sheet.iter_rows(min_row=3)} == {"东城区"}


def test_empty_export_is_a_message_not_a_file(auth, people, seeded):
    client = auth.client_for(people.admin)
    for url in ("/reports/ledger.xlsx?q=不存在的任务", "/reports/ledger.csv?plan_id=99999"):
        response = client.get(url)
        assert response.status_code == 302
        page = client.get(response.headers["Location"], follow_redirects=True)
        assert "没有符合条件的任务" in page.get_data(as_text=True)


@pytest.mark.parametrize("query", ["state=foo", "plan_id=abc", "due_within=-5", "light=purple", "overdue=x"])
def test_nonsense_filters_are_a_clear_message(auth, people, seeded, query):
    client = auth.client_for(people.admin)
    for url in ("/reports/ledger.xlsx?", "/reports/ledger.csv?"):
        response = client.get(url + query, follow_redirects=True)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "无效" in html or "未知" in html or "须为" in html


# --------------------------------------------------------------------------- the bulletin

def docx_text(data: bytes) -> tuple[Document, list[str]]:
    document = Document(io.BytesIO(data))
    return document, [p.text for p in document.paragraphs]


def test_bulletin_docx_ranks_units_and_names_overdue_tasks(auth, people, seeded):
    response = auth.client_for(people.admin).get("/reports/bulletin?period=2026-H1")
    assert response.status_code == 200
    document, paragraphs = docx_text(response.data)
    # a title longer than a line breaks into lines of even length
    title = [p.replace("\n", "") for p in paragraphs].index("关于2026年上半年重点工作任务落实情况的通报")
    assert paragraphs[title] == "关于2026年上半年重点\n工作任务落实情况的通报"
    # its own number, in its own series; the same number the next time
    assert "督通〔2026〕1号" in paragraphs[:title]
    body = next(p for p in paragraphs if "应完成重点工作任务" in p)
    assert "2026年1月1日至2026年6月30日" in body and "-" not in body
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    fonts = document.paragraphs[title].runs[0]._element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "方正小标宋简体"
    body_run = next(p for p in document.paragraphs if p.text == body).runs[0]
    assert body_run.font.size.pt == 16
    again = auth.client_for(people.admin).get("/reports/bulletin?period=2026年上半年")
    assert "督通〔2026〕1号" in docx_text(again.data)[1]
    # the PDF: percentages whole on their line, dates in Chinese
    first_half = auth.client_for(people.admin).get("/reports/bulletin?period=2026-H1&format=pdf")
    with pdfplumber.open(io.BytesIO(first_half.data)) as pdf:
        lines = [line for page in pdf.pages for line in (page.extract_text() or "").splitlines()]
    rates = [line for line in lines if "%" in line]
    assert rates and all(re.search(r"\d+\.\d%", line) for line in rates), rates
    assert not any(line.lstrip().startswith("%") for line in lines)
    assert "2026年1月1日至2026年6月30日" in "".join(lines).replace(" ", "")
    second_half = auth.client_for(people.admin).get("/reports/bulletin?period=2026年下半年&format=pdf")
    assert second_half.status_code == 200 and second_half.data[:4] == b"%PDF"
    assert "督通〔2026〕2号" in unquote(second_half.headers["Content-Disposition"])
    ranking, overdue = document.tables[0], document.tables[1]
    assert ranking.rows[0].cells[1].text == "责任单位"
    assert {ranking.rows[i].cells[1].text for i in (1, 2)} == {"东城区", "西城区"}
    names = [row.cells[2].text for row in overdue.rows[1:]]
    assert any("每季度召开一次推进会" in n for n in names)


def test_bulletin_by_date_range_and_bad_periods(auth, people, seeded):
    client = auth.client_for(people.viewer)
    assert client.get("/reports/bulletin").status_code == 200
    assert client.get("/reports/bulletin?start=2026-01-01&end=2026-03-31").status_code == 200
    for bad in ("period=2026-H3", "period=abc", "start=2026-05-01&end=2026-01-01", "start=2026-13-01&end=x"):
        response = client.get("/reports/bulletin?" + bad)
        assert response.status_code == 400, bad


# --------------------------------------------------------------------------- the summary report

def test_summary_page_and_docx_follow_the_plans_numbering(auth, people, seeded):
    client = auth.client_for(people.supervisor)
    page = client.get(f"/plans/{seeded.plan.id}/summary")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "召开专题会议，明确责任分工。" in html and "专班成立通知.pdf" in html
    response = client.get(f"/plans/{seeded.plan.id}/summary.docx")
    _doc, paragraphs = docx_text(response.data)
    chapters = [p for p in paragraphs if p in ("一、加强组织领导", "二、抓好重点任务")]
    assert chapters == ["一、加强组织领导", "二、抓好重点任务"]
    first = paragraphs[paragraphs.index("一、加强组织领导") + 1]
    # per measure, in the plan's numbering: what was reported, the evidence counted
    assert "已办结：1.成立工作专班" in first and "召开专题会议，明确责任分工" in first and "佐证材料2份" in first
    assert "正在推进：2.每季度召开一次推" in first
    totals = next(p for p in paragraphs if p.startswith("截至"))
    assert "已办结" in totals and "办理中" in totals and "未启动" in totals and "正在办理" not in totals
    assert any(p.startswith(("超期未办结", "退回重办")) for p in paragraphs)
    pdf = client.get(f"/plans/{seeded.plan.id}/summary.pdf")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"


def test_summary_for_one_unit_keeps_only_its_share(auth, people, seeded):
    client = auth.client_for(people.lead)
    response = client.get(f"/plans/{seeded.plan.id}/summary.docx")
    assert response.status_code == 200
    _doc, paragraphs = docx_text(response.data)
    assert any("东城区" in p for p in paragraphs) and not any("西城区" in p for p in paragraphs)
    assert client.get(f"/plans/{seeded.plan.id}/summary?unit_id={people.other_unit.id}").status_code == 403


def test_summary_permissions(auth, people, seeded):
    assert auth.client_for(people.viewer).get(f"/plans/{seeded.plan.id}/summary").status_code == 200
    # the other plan has no supervisor: this supervisor may not see it
    assert auth.client_for(people.supervisor).get(f"/plans/{seeded.other_plan.id}/summary").status_code == 403
    assert auth.client_for(people.admin).get("/plans/9999/summary").status_code == 404
    assert auth.client_for(people.admin).get(f"/plans/{seeded.plan.id}/summary?unit_id=x").status_code == 400


def test_ledger_for_a_supervisor_holds_only_their_plans(auth, people, seeded):
    sheet = open_xlsx(auth.client_for(people.supervisor).get("/reports/ledger.xlsx").data)
    assert {r[1].value for r in sheet.iter_rows(min_row=3)} == {seeded.plan.title}
    assert sheet.max_row == 8


def test_unit_dashboard_links_each_task(auth, people, seeded):
    html = auth.client_for(people.member).get("/dashboard/unit").get_data(as_text=True)
    assert f'href="/tasks/{seeded.tasks[6].id}"' in html
    assert "签收并开始办理" in html
