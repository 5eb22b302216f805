"""督办单 pages: issue, view, download, answer, chase; who may do what."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tracker.notices.models import SupervisionNotice


def test_issue_view_download_answer(db, people, make_task, auth):
    task = make_task(people.unit, date(2026, 6, 30), text="推进<script>x</script>民生实事。",
                     supervisor=people.supervisor)
    supervisor = auth.client_for(people.supervisor)
    assert auth.client_for(people.lead).post("/notices/issue", data={"period": "2026-H1"}).status_code == 403
    bad = supervisor.post("/notices/issue", data={"period": "上半年"})
    assert bad.status_code == 422 and "督办期次格式" in bad.get_data(as_text=True)
    response = supervisor.post("/notices/issue", data={"period": "2026-H1"}, follow_redirects=True)
    assert "已印发 1 份督办单" in response.get_data(as_text=True)
    notice = db.session.scalars(sa.select(SupervisionNotice)).one()
    page = supervisor.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert notice.number_label in page and "东城区" in page and "督办单" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert supervisor.get(f"/notices/{notice.id}.docx").data[:2] == b"PK"
    assert supervisor.get(f"/notices/{notice.id}.pdf").data[:4] == b"%PDF"
    # another unit may not see it; the unit's lead answers
    assert auth.client_for(people.other_lead).get(f"/notices/{notice.id}").status_code == 403
    lead = auth.client_for(people.lead)
    item = notice.items[0]
    assert lead.post(f"/notices/{notice.id}/answer", data={f"text-{item.id}": ""}).status_code == 422
    assert lead.post(f"/notices/{notice.id}/answer", data={f"percent-{item.id}": "x"}).status_code == 422
    response = lead.post(f"/notices/{notice.id}/answer",
                         data={f"text-{item.id}": "已完成方案编制。", f"percent-{item.id}": "30"})
    assert response.status_code == 302
    page = supervisor.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "已完成方案编制。" in page and "30%" in page
    listing = lead.get("/notices/").get_data(as_text=True)
    assert notice.number_label in listing and "1 / 1" in listing
    assert notice.number_label not in auth.client_for(people.other_lead).get("/notices/").get_data(as_text=True)
    chase = supervisor.post(f"/notices/chase/{task.id}", follow_redirects=True)
    assert "催办〔2026〕1号" in chase.get_data(as_text=True)  # its own series


def test_supplement_and_chase_buttons(db, people, make_task, auth):
    make_task(people.unit, date(2026, 6, 30), text="第一批任务。", supervisor=people.supervisor)
    supervisor = auth.client_for(people.supervisor)
    listing = supervisor.get("/notices/").get_data(as_text=True)
    assert 'name="supplement"' in listing
    refused = supervisor.post("/notices/issue", data={"period": "2026年上半年", "supplement": "1"})
    assert refused.status_code == 422 and "请先印发督办单" in refused.get_data(as_text=True)
    supervisor.post("/notices/issue", data={"period": "2026年上半年"})
    later = make_task(people.unit, date(2026, 6, 30), text="后来交办的任务。", supervisor=people.supervisor)
    response = supervisor.post("/notices/issue", data={"period": "2026-H1", "supplement": "1"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "已印发 1 份补发督办单：督办〔2026〕2号" in html and "2026年上半年 补发" in html
    notice = db.session.scalars(sa.select(SupervisionNotice).order_by(SupervisionNotice.id.desc())).first()
    assert [i.task_id for i in notice.items] == [later.id]
    page = supervisor.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "补发督办单" in page and "后来交办的任务。" in page
    # the task page of an overdue task offers the 催办单 to a supervisor only
    task_page = supervisor.get(f"/tasks/{later.id}").get_data(as_text=True)
    assert "印发催办单" in task_page
    assert "印发催办单" not in auth.client_for(people.lead).get(f"/tasks/{later.id}").get_data(as_text=True)
