"""The daily work of a 督办 office: review with the evidence in view, returned tasks, evidence
periods picked from the task's own, deleting a wrong file before submitting, and the split yellow."""

from __future__ import annotations

import io
import os
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.tasks.conftest import upload
from tracker import periods
from tracker.audit import AuditEntry
from tracker.tasks import lights, services, storage
from tracker.tasks.models import Evidence, EvidenceOpening, ReportingPeriod, Task, TaskState
from tracker.tasks.services import StateConflict, TaskError
from tracker.timeutil import local_today, utcnow


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(100, 700, "Evidence")
    page.showPage()
    page.drawString(100, 700, "Page two")
    page.save()
    return out.getvalue()


def evidence_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Evidence))


# -- periods --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,key", [
    ("2026-H2", "2026-H2"), ("2026-h1", "2026-H1"), ("2026年上半年", "2026-H1"), ("2026 下半年", "2026-H2"),
    ("2026年第3季度", "2026-Q3"), ("2026年三季度", "2026-Q3"), ("2026年第一季度", "2026-Q1"),
    ("2026年3月", "2026-03"), ("2026年12月份", "2026-12"), ("2026年", "2026"), ("2026年度", "2026"),
    ("2026年第5周", "2026-W05"), ("2026-Q3", "2026-Q3"),
])
def test_written_periods_become_keys(text, key):
    assert periods.parse_key(text) == key


@pytest.mark.parametrize("text", ["", "上半年", "2026年13月", "2026年第五季度", "近期", "2026-Q5", "2026年中"])
def test_text_that_names_no_period_gives_none(text):
    assert periods.parse_key(text) is None


def test_keys_between_spans_the_periods_touched():
    assert periods.keys_between("quarterly", date(2026, 3, 2), date(2026, 8, 1)) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert periods.keys_between("half_yearly", date(2026, 3, 2), date(2027, 1, 5)) == ["2026-H1", "2026-H2", "2027-H1"]


def test_period_labels_in_both_languages(app):
    from flask_babel import force_locale

    from tracker.tasks.labels import period_key_label
    with app.test_request_context():
        assert period_key_label("2026-H1") == "2026年上半年"
        assert period_key_label("2026-Q3") == "2026年第3季度"
        assert period_key_label("写的不是期次") == "写的不是期次"
        with force_locale("en"):
            assert period_key_label("2026-H1") == "H1 2026"
            assert period_key_label("2026-Q3") == "Q3 2026"


# -- the evidence period picker -------------------------------------------------------------------

def test_the_picker_offers_the_tasks_periods_and_nothing_else(db, assign, people, auth, now):
    task = assign(period=ReportingPeriod.quarterly, due_on=date(2026, 12, 31))[0]
    later = now + timedelta(days=150)  # 2026-07-30: the third quarter
    assert services.evidence_periods(task, later.date()) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert services.evidence_periods(task, date(2026, 3, 2)) == ["2026-Q1"]  # only the first has begun
    assert services.evidence_periods(task, date(2027, 5, 1)) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    page = auth.client_for(people.lead).get(f"/tasks/{task.id}").get_data(as_text=True)
    offered = re.findall(r'<select id="e-proves" name="proves">(.*?)</select>', page, re.S)[0]
    expected = services.evidence_periods(task, local_today(utcnow()))
    assert expected and re.findall(r'<option value="([^"]+)"', offered) == expected
    assert "2026年第1季度" in offered and "半年" not in offered


def test_a_period_outside_the_tasks_is_refused_and_nothing_is_stored(db, assign, people, now, app):
    task = assign(period=ReportingPeriod.quarterly, due_on=date(2026, 12, 31))[0]
    folder = app.config["UPLOAD_FOLDER"]
    before = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    for bad in ("2026-Q4", "2026-H1", "2026年第四季度", "近期"):
        with pytest.raises(TaskError, match="报送期次中选择：2026年第1季度"):
            services.add_evidence(task, actor=people.lead, files=[upload()], period_key=bad, now=now)
        db.session.rollback()
    assert evidence_count(db) == 0
    after = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    assert after <= before
    row = services.add_evidence(task, actor=people.lead, files=[upload()], proves="2026年一季度", now=now)[0]
    db.session.commit()
    assert row.period_key == "2026-Q1"


# -- deleting a wrong file ------------------------------------------------------------------------

def test_a_unit_deletes_its_file_before_submitting(db, task, people, now):
    row = services.add_evidence(task, actor=people.lead, files=[upload("错的.pdf")], now=now)[0]
    db.session.commit()
    path = storage.path_for(row.stored_name)
    services.delete_evidence(row, actor=people.member, now=now)
    # the file stays until the deletion commits
    assert os.path.exists(path)
    db.session.commit()
    assert not os.path.exists(path)
    row = db.session.get(Evidence, row.id)
    assert row.is_deleted and row.deleted_at == now
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "task.evidence_deleted"))
    assert entry.object_id == task.id and entry.data["name"] == "错的.pdf"


def test_a_deletion_rolled_back_keeps_the_file(db, task, people, now):
    row = services.add_evidence(task, actor=people.lead, files=[upload()], now=now)[0]
    db.session.commit()
    path = storage.path_for(row.stored_name)
    services.delete_evidence(row, actor=people.lead, now=now)
    db.session.rollback()
    assert os.path.exists(path)
    assert not db.session.get(Evidence, row.id).is_deleted


def test_no_deletion_after_submitting(db, task, people, auth, now):
    row = services.add_evidence(task, actor=people.lead, files=[upload()], now=now)[0]
    services.start(task, actor=people.lead, now=now)
    task.progress_percent = 100
    services.submit(task, actor=people.lead, now=now)
    db.session.commit()
    client = auth.client_for(people.lead)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert f"/tasks/evidence/{row.id}/delete" not in page
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    response = client.post(f"/tasks/evidence/{row.id}/delete", data={"version": task.version})
    assert response.status_code == 409 and "不能再删除" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(Evidence, row.id).is_deleted
    assert os.path.exists(storage.path_for(row.stored_name))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before
    # returned: the files already submitted stay, a new one may go again
    services.return_task(task, actor=people.supervisor, reason="材料不全", now=now + timedelta(hours=1))
    db.session.commit()
    with pytest.raises(StateConflict):
        services.delete_evidence(db.session.get(Evidence, row.id), actor=people.lead, now=now + timedelta(hours=2))
    db.session.rollback()
    task = db.session.get(Task, task.id)
    new = services.add_evidence(task, actor=people.lead, files=[upload("补充.pdf")], now=now + timedelta(hours=2))[0]
    db.session.commit()
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert f"/tasks/evidence/{new.id}/delete" in page and f"/tasks/evidence/{row.id}/delete" not in page


def test_another_unit_cannot_delete(db, task, people, now):
    from tracker.auth.permissions import PermissionDenied
    row = services.add_evidence(task, actor=people.lead, files=[upload()], now=now)[0]
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.delete_evidence(row, actor=people.other_lead, now=now)


# -- submitting -----------------------------------------------------------------------------------

def test_submitting_below_full_progress_asks_why(db, task, people, now):
    services.add_evidence(task, actor=people.lead, files=[upload()], now=now)
    services.report_progress(task, actor=people.lead, text="大部分完成", percent=60, now=now)
    db.session.commit()
    with pytest.raises(TaskError, match="完成进度为 60%"):
        services.submit(task, actor=people.lead, now=now)
    db.session.rollback()
    assert db.session.get(Task, task.id).state is TaskState.in_progress
    services.submit(db.session.get(Task, task.id), actor=people.lead, note="剩余工作为长期事项", now=now)
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "task.submitted"))
    assert entry.data["note"] == "剩余工作为长期事项" and entry.data["percent"] == 60


# -- review with the evidence in view -------------------------------------------------------------

def _submitted(db, task, people, now, files):
    services.add_evidence(task, actor=people.lead, files=files, now=now)
    services.report_progress(task, actor=people.lead, text="已召开专题会议", percent=100, now=now)
    services.submit(task, actor=people.lead, now=now)
    db.session.commit()
    return task


def test_the_queue_shows_files_progress_and_returns(db, task, people, auth, now):
    _submitted(db, task, people, now, [upload("会议纪要.pdf", pdf_bytes()), upload("现场.png", png_bytes())])
    client = auth.client_for(people.supervisor)
    page = client.get("/tasks/review").get_data(as_text=True)
    items = db.session.scalars(sa.select(Evidence).order_by(Evidence.id)).all()
    assert "会议纪要.pdf" in page and "现场.png" in page and "2 份" in page
    assert "已召开专题会议" in page
    # the first image is the thumbnail, and 办结 opens the task's review panel
    assert f"/tasks/evidence/{items[1].id}/thumbnail" in page
    assert f"/tasks/{task.id}#review" in page and f"/tasks/{task.id}/do/approve" not in page
    thumb = client.get(f"/tasks/evidence/{items[1].id}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/png"
    assert max(Image.open(io.BytesIO(thumb.data)).size) <= 160
    pdf = client.get(f"/tasks/evidence/{items[0].id}/thumbnail")
    assert pdf.status_code == 200 and pdf.mimetype == "image/png"
    # another unit's lead sees no thumbnail of this file
    assert auth.client_for(people.other_lead).get(f"/tasks/evidence/{items[0].id}/thumbnail").status_code in (403, 404)


def test_an_unreadable_file_gets_an_icon(db, task, people, auth, now):
    _submitted(db, task, people, now, [upload("坏的.pdf")])
    item = db.session.scalar(sa.select(Evidence))
    thumb = auth.client_for(people.supervisor).get(f"/tasks/evidence/{item.id}/thumbnail")
    assert thumb.status_code == 200 and thumb.mimetype == "image/svg+xml" and b"PDF" in thumb.data


def test_batch_approval_only_after_the_evidence_was_opened(db, assign, measures, people, auth, now):
    first, second = assign(measures[:2])
    for task in (first, second):
        _submitted(db, task, people, now, [upload("一.pdf"), upload("二.pdf")])
    client = auth.client_for(people.supervisor)
    page = client.get("/tasks/review").get_data(as_text=True)
    assert 'name="task_id"' not in page  # nothing opened: no row can be ticked
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    refused = client.post("/tasks/review/approve", data={"task_id": [first.id]})
    assert refused.status_code == 422 and "还没有全部打开查看" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before
    files = db.session.scalars(sa.select(Evidence).where(Evidence.task_id == first.id)).all()
    # one file opened is not enough
    assert client.get(f"/tasks/evidence/{files[0].id}").status_code == 200
    assert client.post("/tasks/review/approve", data={"task_id": [first.id]}).status_code == 422
    assert client.get(f"/tasks/evidence/{files[1].id}").status_code == 200
    page = client.get("/tasks/review").get_data(as_text=True)
    assert f'name="task_id" value="{first.id}"' in page and f'name="task_id" value="{second.id}"' not in page
    # the second task's files were opened by nobody: a batch with it is refused whole
    assert client.post("/tasks/review/approve", data={"task_id": [first.id, second.id]}).status_code == 422
    db.session.expire_all()
    assert db.session.get(Task, first.id).state is TaskState.submitted
    assert client.post("/tasks/review/approve", data={"task_id": [first.id]}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, first.id).state is TaskState.completed
    assert db.session.get(Task, second.id).state is TaskState.submitted
    # the openings are this reviewer's: the admin opened nothing
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EvidenceOpening).where(
        EvidenceOpening.user_id == people.admin.id)) == 0


# -- returned -------------------------------------------------------------------------------------

def test_a_returned_task_leads_with_its_reason(db, task, people, auth, now):
    _submitted(db, task, people, now, [upload()])
    services.return_task(task, actor=people.supervisor, reason="缺少会议签到表", now=now + timedelta(hours=1))
    db.session.commit()
    services.start  # noqa: B018 - the unit may not "start" a returned task again
    assert "start" not in services.available_actions(people.lead, task)
    assert {"submit", "progress", "evidence"} <= services.available_actions(people.lead, task)
    client = auth.client_for(people.lead)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    banner = page.index('class="return-banner"')
    assert banner < page.index('id="actions"') and "缺少会议签到表" in page[banner:banner + 800]
    assert "修改后重新提交" in page and "/do/start" not in page
    mine = client.get("/tasks/mine").get_data(as_text=True)
    assert "缺少会议签到表" in mine
    # resubmitted and returned again: the timeline keeps both reasons
    task = db.session.get(Task, task.id)
    services.submit(task, actor=people.lead, note="已补充", now=now + timedelta(hours=2))
    services.return_task(task, actor=people.supervisor, reason="签到表无盖章", now=now + timedelta(hours=3))
    db.session.commit()
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"'):]
    assert "缺少会议签到表" in timeline and "签到表无盖章" in timeline
    assert "第 2 次" in page


# -- the split yellow -----------------------------------------------------------------------------

def test_yellow_says_which(db, assign, measures, people, now):
    today = now.date()
    due_soon = lights.signal(TaskState.in_progress, today + timedelta(days=3), today - timedelta(days=30), 90, today)
    behind = lights.signal(TaskState.in_progress, today + timedelta(days=60), today - timedelta(days=60), 10, today)
    assert (due_soon, behind) == (lights.DUE_SOON, lights.BEHIND)
    assert lights.light(TaskState.in_progress, today + timedelta(days=3), today, 0, today) == lights.YELLOW
    tasks = assign(measures[:3])
    tasks[0].due_on = today + timedelta(days=2)
    tasks[1].assigned_on, tasks[1].due_on = today - timedelta(days=60), today + timedelta(days=60)
    db.session.commit()
    found = dict(db.session.execute(sa.select(Task.id, lights.signal_expression(today))).all())
    assert found == {t.id: lights.signal_for(t, today) for t in tasks}
    assert [found[t.id] for t in tasks] == [lights.DUE_SOON, lights.BEHIND, lights.GREEN]


# -- the roll-up on the plan page -----------------------------------------------------------------

def test_the_plan_page_rolls_up_each_measure(db, assign, plan, people, auth, now):
    done, waiting = assign(units=[people.unit, people.other_unit])
    _submitted(db, done, people, now, [upload()])
    services.approve(done, actor=people.supervisor, now=now)
    db.session.commit()
    page = auth.client_for(people.supervisor).get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "1/2 办结" in page
    still_open = page[page.index("未办结的单位（1）"):]
    assert f'href="/tasks/{waiting.id}"' in still_open[:600] and "西城区" in still_open[:600]
    assert f'href="/tasks/{done.id}"' not in still_open[:600]


# -- the audit page -------------------------------------------------------------------------------

def test_audit_page_filters_and_a_supervisors_scope(db, make, assign, plan, people, auth, now):
    import openpyxl

    mine = assign()[0]
    other_plan = make.plan(title="别人督办的计划", supervisor=make.user(role=people.supervisor.role))
    other_measure = [m for m in other_plan.measures if m.level == 2][0]
    theirs = services.assign(other_plan, [other_measure.id], [people.other_unit.id], role=mine.role,
                             due_on=date(2026, 6, 30), reporting_period=ReportingPeriod.once, actor=people.admin,
                             now=now)[0]
    db.session.commit()
    services.start(mine, actor=people.lead, now=now)
    services.start(theirs, actor=people.other_lead, now=now)
    db.session.commit()
    supervisor = auth.client_for(people.supervisor)
    page = supervisor.get("/admin/audit/").get_data(as_text=True)
    assert f"/tasks/{mine.id}" in page and f"/tasks/{theirs.id}" not in page
    assert "开始办理" in page and "<code>task.started</code>" in page
    # the admin sees both; each filter narrows
    admin = auth.client_for(people.admin)
    assert f"/tasks/{theirs.id}" in admin.get("/admin/audit/").get_data(as_text=True)
    by_unit = admin.get(f"/admin/audit/?unit_id={people.other_unit.id}").get_data(as_text=True)
    assert f"/tasks/{theirs.id}" in by_unit and f"/tasks/{mine.id}" not in by_unit
    by_person = admin.get(f"/admin/audit/?actor={people.lead.email}").get_data(as_text=True)
    assert by_person.count("<code>task.started</code>") == 1 and f"/tasks/{mine.id}" in by_person
    by_action = admin.get("/admin/audit/?action=task.assigned").get_data(as_text=True)
    assert "<code>task.started</code>" not in by_action and by_action.count("<code>task.assigned</code>") == 2
    by_object = admin.get(f"/admin/audit/?object_type=task&object_id={theirs.id}").get_data(as_text=True)
    assert f"/tasks/{theirs.id}" in by_object and f"/tasks/{mine.id}" not in by_object
    # the Excel export holds what the page holds, in the supervisor's scope
    export = supervisor.get("/admin/audit/export.xlsx")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.data)).worksheets[0]
    assert sheet["A1"].value == "审计日志"
    assert [c.value for c in sheet[2]][:5] == ["编号", "时间", "操作人", "邮箱", "操作"]
    objects = {(r[6], r[7]) for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert ("任务", mine.id) in objects and ("任务", theirs.id) not in objects
    assert auth.client_for(people.lead).get("/admin/audit/export.xlsx").status_code == 403
