"""Less burden on units (减负): reports start from the last one, files are reused, not uploaded again."""

from __future__ import annotations

import os
from datetime import date, timedelta

import lxml.html
import pytest
import sqlalchemy as sa

from tests.tasks.conftest import upload
from tracker.audit import AuditEntry
from tracker.auth.permissions import PermissionDenied
from tracker.tasks import services, storage
from tracker.tasks.models import Evidence, ReportingPeriod


def _audit(db, action=None) -> int:
    query = sa.select(sa.func.count()).select_from(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    return db.session.scalar(query)


def _form(client, task) -> lxml.html.HtmlElement:
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    return lxml.html.fromstring(page)


def _picker(client, task) -> lxml.html.HtmlElement:
    """The page listing the unit's files to reuse on ``task`` (linked from the task page)."""
    assert f"/tasks/{task.id}/evidence/reuse" in client.get(f"/tasks/{task.id}").get_data(as_text=True)
    response = client.get(f"/tasks/{task.id}/evidence/reuse")
    assert response.status_code == 200
    return lxml.html.fromstring(response.get_data(as_text=True))


# --------------------------------------------------------------------------- pre-filled reports

def test_a_periodic_report_starts_from_the_units_last_report(db, auth, people, assign, now):
    [task] = assign(period=ReportingPeriod.quarterly, due_on=date(2026, 12, 31))
    client = auth.client_for(people.member)
    doc = _form(client, task)
    assert doc.xpath("//textarea[@id='p-text']/text()") == []
    services.report_progress(task, actor=people.lead, text="一季度：完成图书采购招标，签订合同。", percent=30,
                             period_key="2026-Q1", now=now)
    services.report_progress(task, actor=people.lead, text="二季度：880册图书到货，编目过半。", percent=55,
                             period_key="2026-Q2", now=now + timedelta(days=1))
    db.session.commit()
    doc = _form(client, task)
    assert doc.xpath("//textarea[@id='p-text']/text()") == ["二季度：880册图书到货，编目过半。"]
    assert doc.xpath("//input[@id='p-percent']/@value") == ["55"]
    assert "2026-Q2" in doc.xpath("string(//p[contains(@class, 'prefill-note')])")


def test_a_report_without_a_percent_keeps_the_tasks_percent(db, auth, people, assign, now):
    [task] = assign(period=ReportingPeriod.monthly, due_on=date(2026, 12, 31))
    services.report_progress(task, actor=people.lead, text="三月：完成方案起草。", percent=20, now=now)
    services.report_progress(task, actor=people.lead, text="三月补充：方案已印发。", percent=None, now=now)
    db.session.commit()
    doc = _form(auth.client_for(people.lead), task)
    assert doc.xpath("//textarea[@id='p-text']/text()") == ["三月补充：方案已印发。"]
    assert doc.xpath("//input[@id='p-percent']/@value") == ["20"]


def test_a_one_off_task_starts_empty(db, auth, people, task, now):
    services.report_progress(task, actor=people.lead, text="已完成方案起草。", percent=40, now=now)
    db.session.commit()
    doc = _form(auth.client_for(people.lead), task)
    assert doc.xpath("//textarea[@id='p-text']/text()") == []
    assert doc.xpath("//input[@id='p-percent']/@value") == ["40"]
    assert not doc.xpath("//p[contains(@class, 'prefill-note')]")


# --------------------------------------------------------------------------- evidence reuse

@pytest.fixture
def two_tasks(assign, measures, people):
    return assign(measures[:2])


@pytest.fixture
def source(db, people, two_tasks, now):
    [item] = services.add_evidence(two_tasks[0], actor=people.lead, files=[upload("2026上半年工作台账.pdf")],
                                   proves="2026 上半年", note="台账", now=now)
    db.session.commit()
    return item


def test_a_file_is_reused_on_another_task_and_stored_once(app, db, auth, people, two_tasks, source):
    client = auth.client_for(people.member)
    picker = _picker(client, two_tasks[1])
    assert picker.xpath("//form[@id='reuse']//input[@name='evidence_id']/@value") == [str(source.id)]
    files_before = sorted(os.listdir(app.config["UPLOAD_FOLDER"]))
    response = client.post(f"/tasks/{two_tasks[1].id}/evidence/reuse", data={"evidence_id": str(source.id)})
    assert response.status_code == 302
    [copy] = db.session.scalars(sa.select(Evidence).where(Evidence.task_id == two_tasks[1].id)).all()
    assert copy.stored_name == source.stored_name and copy.sha256 == source.sha256
    assert copy.reused_from_id == source.id and copy.uploader_id == people.member.id
    assert copy.period_key == source.period_key == "2026-H1" and copy.note == "台账"
    assert sorted(os.listdir(app.config["UPLOAD_FOLDER"])) == files_before
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "task.evidence_reused")).one()
    assert entry.object_id == two_tasks[1].id
    assert entry.data["from_evidence_id"] == source.id and entry.data["from_task_id"] == two_tasks[0].id
    # the file downloads from both tasks; the picker no longer offers it
    assert client.get(f"/tasks/evidence/{copy.id}").data == client.get(f"/tasks/evidence/{source.id}").data
    assert not _picker(client, two_tasks[1]).xpath("//form[@id='reuse']")


def test_removing_one_keeps_the_file_until_no_task_uses_it(app, db, people, two_tasks, source, now):
    [copy] = services.reuse_evidence(two_tasks[1], [source.id], actor=people.lead, now=now)
    db.session.commit()
    path = storage.path_for(source.stored_name)
    services.delete_evidence(source, actor=people.lead, now=now)
    db.session.commit()
    assert os.path.exists(path)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "task.evidence_deleted")).one()
    assert entry.data["file_kept"] is True
    services.delete_evidence(copy, actor=people.lead, now=now)
    db.session.rollback()
    assert os.path.exists(path), "a removal rolled back keeps the file"
    copy = db.session.get(Evidence, copy.id)
    assert not copy.is_deleted
    services.delete_evidence(copy, actor=people.lead, now=now)
    db.session.commit()
    assert not os.path.exists(path)


def test_a_reused_copy_can_be_reused_again_and_points_at_the_first(db, people, assign, measures, two_tasks,
                                                                   source, now):
    [third] = assign(measures[2:3])
    [copy] = services.reuse_evidence(two_tasks[1], [source.id], actor=people.lead, now=now)
    [again] = services.reuse_evidence(third, [copy.id], actor=people.lead, now=now)
    assert again.reused_from_id == source.id and again.stored_name == source.stored_name


def test_a_file_of_another_unit_is_refused_and_nothing_changes(db, auth, people, assign, two_tasks, measures, now):
    [theirs] = assign(measures[:1], [people.other_unit])
    [foreign] = services.add_evidence(theirs, actor=people.other_lead, files=[upload("西城区材料.pdf")], now=now)
    db.session.commit()
    client = auth.client_for(people.lead)
    rows, audits = db.session.scalar(sa.select(sa.func.count(Evidence.id))), _audit(db)
    response = client.post(f"/tasks/{two_tasks[1].id}/evidence/reuse", data={"evidence_id": str(foreign.id)})
    assert response.status_code == 422
    assert "只能引用本单位其他任务中已上传的材料" in response.get_data(as_text=True)
    # a missing id says the same, and leaks nothing
    response = client.post(f"/tasks/{two_tasks[1].id}/evidence/reuse", data={"evidence_id": "999999"})
    assert response.status_code == 422 and "只能引用本单位其他任务中已上传的材料" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == rows
    assert _audit(db) == audits
    assert not _picker(client, two_tasks[1]).xpath(f"//form[@id='reuse']//input[@value='{foreign.id}']")


def test_bad_reuse_requests_are_refused_whole(db, people, two_tasks, source, now):
    with pytest.raises(services.TaskError, match="请选择要引用的材料"):
        services.reuse_evidence(two_tasks[1], [], actor=people.lead, now=now)
    with pytest.raises(services.TaskError, match="只能引用"):
        services.reuse_evidence(two_tasks[0], [source.id], actor=people.lead, now=now)
    services.reuse_evidence(two_tasks[1], [source.id], actor=people.lead, now=now)
    with pytest.raises(services.TaskError, match="已在本任务中"):
        services.reuse_evidence(two_tasks[1], [source.id], actor=people.lead, now=now)
    db.session.rollback()
    # one good id and one bad: nothing is attached
    with pytest.raises(services.TaskError):
        services.reuse_evidence(two_tasks[1], [source.id, 999999], actor=people.lead, now=now)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id)).where(Evidence.task_id == two_tasks[1].id)) == 0
    source = db.session.get(Evidence, source.id)
    source.is_deleted = True
    db.session.commit()
    with pytest.raises(services.TaskError, match="只能引用"):
        services.reuse_evidence(two_tasks[1], [source.id], actor=people.lead, now=now)


def test_only_the_units_people_reuse_and_remove(db, people, two_tasks, source, now):
    for user in (people.supervisor, people.admin, people.viewer, people.other_lead):
        with pytest.raises(PermissionDenied):
            services.reuse_evidence(two_tasks[1], [source.id], actor=user, now=now)
        with pytest.raises(PermissionDenied):
            services.delete_evidence(source, actor=user, now=now)
    db.session.rollback()
    assert not db.session.get(Evidence, source.id).is_deleted


def test_the_other_units_lead_cannot_post_a_reuse_or_removal(db, auth, people, two_tasks, source):
    client = auth.client_for(people.other_lead)
    assert client.post(f"/tasks/{two_tasks[1].id}/evidence/reuse",
                       data={"evidence_id": str(source.id)}).status_code in (403, 404)
    assert client.post(f"/tasks/evidence/{source.id}/delete").status_code in (403, 404)
    db.session.expire_all()
    assert not db.session.get(Evidence, source.id).is_deleted
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == 1


def test_removal_from_the_page(db, auth, people, two_tasks, source):
    client = auth.client_for(people.lead)
    response = client.post(f"/tasks/evidence/{source.id}/delete", data={"version": str(two_tasks[0].version)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Evidence, source.id).is_deleted
    assert client.get(f"/tasks/evidence/{source.id}").status_code == 404


def test_the_timeline_tells_a_reused_file_from_an_upload_and_shows_removals(db, auth, people, two_tasks, source,
                                                                           now):
    [copy] = services.reuse_evidence(two_tasks[1], [source.id], actor=people.lead, now=now)
    db.session.commit()
    client = auth.client_for(people.lead)
    doc = lxml.html.fromstring(client.get(f"/tasks/{two_tasks[1].id}").get_data(as_text=True))
    lines = [li.text_content() for li in doc.xpath("//ol[@class='timeline']/li")]
    assert sum("引用材料：2026上半年工作台账.pdf" in line for line in lines) == 1
    assert not any("上传材料" in line for line in lines)
    services.delete_evidence(copy, actor=people.lead, now=now)
    db.session.commit()
    doc = lxml.html.fromstring(client.get(f"/tasks/{two_tasks[1].id}").get_data(as_text=True))
    lines = [li.text_content() for li in doc.xpath("//ol[@class='timeline']/li")]
    assert any("删除材料：2026上半年工作台账.pdf" in line for line in lines)
    assert not any("引用材料" in line for line in lines)


def test_a_file_removed_meanwhile_elsewhere_is_not_reused(app, db, people, two_tasks, source, now):
    """This page loaded the file; a colleague removed it (its last row: the file left the disk);
    attaching it now is refused instead of naming a file that is gone."""
    mine = db.session.get(Evidence, source.id)
    assert not mine.is_deleted
    with app.app_context():
        services.delete_evidence(db.session.get(Evidence, source.id), actor=people.member, now=now)
        db.session.commit()
    assert not os.path.exists(storage.path_for(source.stored_name))
    with pytest.raises(services.TaskError, match="只能引用"):
        services.reuse_evidence(two_tasks[1], [source.id], actor=people.lead, now=now)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id)).where(Evidence.task_id == two_tasks[1].id)) == 0
