"""督办单: numbering without gaps, snapshots, documents, email with the .docx, feedback."""

from __future__ import annotations

import email
import io
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from docx import Document

from tracker.auth.models import Role
from tracker.auth.permissions import PermissionDenied
from tracker.notices import documents, services
from tracker.notices.models import DocumentCounter, NoticeKind, SupervisionNotice
from tracker.notify import dispatch
from tracker.notify.models import OutboxEmail
from tracker.tasks.models import TaskState


@pytest.fixture
def three_units(db, make, people, make_task):
    units = [people.unit, people.other_unit, make.unit("南城区", parent=people.region)]
    make.user(Role.unit_lead, unit=units[2], name="赵主任")
    for index, unit in enumerate(units):
        make_task(unit, date(2026, 6, 30), text=f"推进第{index + 1}项民生实事。", supervisor=people.supervisor)
        make_task(unit, date(2026, 2, 20), text="完成老旧小区改造。")
    make_task(units[0], date(2026, 1, 30), state=TaskState.completed, text="已办结的任务。")
    db.session.commit()
    return units


def numbers(db) -> list[str]:
    return [n.number_label for n in db.session.scalars(sa.select(SupervisionNotice).order_by(SupervisionNotice.serial))]


def test_issue_numbers_without_gaps_or_repeats(db, people, three_units, now):
    notices = services.issue_notices("2026-H1", actor=people.supervisor, now=now)
    db.session.commit()
    assert [n.number_label for n in notices] == ["督办〔2026〕1号", "督办〔2026〕2号", "督办〔2026〕3号"]
    assert {n.unit_id for n in notices} == {u.id for u in three_units}
    # open tasks only, frozen as they stood
    first = next(n for n in notices if n.unit_id == people.unit.id)
    assert len(first.items) == 2
    snap = first.items[0].snapshot
    assert snap["plan"] == "2026年重点工作实施方案" and snap["state_label"] == "待办理"
    assert {i.snapshot["light"] for i in first.items} == {"red", "yellow"}
    assert first.reply_by == date(2026, 3, 17)
    assert "3月17日" in first.requirements and first.issuer_name == "督查督办室"

    assert services.issue_notices("2026-H1", actor=people.supervisor, now=now) == []
    db.session.commit()
    later = datetime(2026, 7, 1, 2, tzinfo=UTC)
    second = services.issue_notices("2026-H2", actor=people.supervisor, now=later)
    db.session.commit()
    assert [n.serial for n in second] == [4, 5, 6]
    assert db.session.get(DocumentCounter, ("supervision", 2026)).last_serial == 6


def test_failure_midway_leaves_no_gap(db, people, three_units, now, monkeypatch):
    calls = {"n": 0}
    real = documents.render_docx

    def flaky(notice):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(notice)

    monkeypatch.setattr(documents, "render_docx", flaky)
    with pytest.raises(OSError):
        services.issue_notices("2026-H1", actor=people.supervisor, now=now)
    db.session.rollback()
    assert numbers(db) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0
    monkeypatch.setattr(documents, "render_docx", real)
    services.issue_notices("2026-H1", actor=people.supervisor, now=now)
    db.session.commit()
    assert numbers(db) == ["督办〔2026〕1号", "督办〔2026〕2号", "督办〔2026〕3号"]


def test_only_supervisors_issue(db, people, three_units, now):
    with pytest.raises(PermissionDenied):
        services.issue_notices("2026-H1", actor=people.lead, now=now)
    with pytest.raises(services.NoticeError):
        services.issue_notices("2026年第三半年", actor=people.supervisor, now=now)
    # the Chinese name of a half year is the same period
    assert [n.period_key for n in services.issue_notices("2026年上半年", actor=people.supervisor, now=now)] == \
        ["2026-H1"] * 3


def test_docx_and_pdf(db, people, three_units, now):
    notice = services.issue_notices("2026-H1", unit_ids=[people.unit.id], actor=people.supervisor, now=now)[0]
    db.session.commit()
    doc = Document(io.BytesIO(documents.render_docx(notice)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "督办〔2026〕1号" in text and "东城区：" in text and "督办要求" in text and "2026年3月2日" in text
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert "任务事项" in cells and any("完成老旧小区改造" in c for c in cells)
    # no owner: the unit's lead, said to be so
    assert any(c.endswith("（单位负责人）") for c in cells)
    section = doc.sections[0]
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    title = next(p for p in doc.paragraphs if p.text.endswith("督办单"))
    assert title.runs[0].font.size.pt == 22
    assert title.runs[0]._element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "方正小标宋简体"
    pdf = documents.render_pdf(notice)
    assert pdf.startswith(b"%PDF") and b"/Type /Page" in pdf


def test_notice_email_has_docx_attached(smtp, db, people, three_units, now):
    notice = services.issue_notices("2026-H1", unit_ids=[people.unit.id], actor=people.supervisor, now=now)[0]
    db.session.commit()
    rows = list(db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))
    # the unit lead and the unit's contact address, once each
    assert sorted(r.dedupe_key for r in rows) == sorted([f"notice:{notice.id}:{people.lead.id}",
                                                        f"notice:{notice.id}:contact"])
    assert dispatch.send_pending(now=now).sent == 2
    message = email.message_from_bytes(smtp.messages[0])
    files = [part.get_filename() for part in message.walk() if part.get_filename()]
    assert files == ["督办〔2026〕1号-东城区.docx"]
    part = next(p for p in message.walk() if p.get_filename())
    doc = Document(io.BytesIO(part.get_payload(decode=True)))
    assert any("督办〔2026〕1号" in p.text for p in doc.paragraphs)
    # issuing again sends nothing more
    services.issue_notices("2026-H1", actor=people.supervisor, now=now)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)
                             .where(OutboxEmail.related_id == notice.id)) == 2


def test_feedback_answers(db, people, three_units, now):
    notice = services.issue_notices("2026-H1", unit_ids=[people.unit.id], actor=people.supervisor, now=now)[0]
    db.session.commit()
    item = notice.items[0]
    with pytest.raises(PermissionDenied):
        services.answer_notice(notice, {item.id: ("无关单位填报", 10)}, actor=people.other_lead, now=now)
    with pytest.raises(services.NoticeError):
        services.answer_notice(notice, {item.id: ("  ", None)}, actor=people.lead, now=now)
    answer = {item.id: ("已完成改造方案审批，正在招标。", 40)}
    reports = services.answer_notice(notice, answer, actor=people.lead, now=now)
    db.session.commit()
    assert reports[0].notice_id == notice.id and reports[0].period_key == "2026-H1"
    assert item.answered_at is not None and notice.items[1].answered_at is None
    assert services.answers_for(notice)[item.task_id][0].text == "已完成改造方案审批，正在招标。"


def test_chase_notice(db, people, make_task, now):
    task = make_task(people.unit, date(2026, 2, 20), supervisor=people.supervisor)
    notice = services.issue_chase_notice(task, actor=people.supervisor, now=now)
    db.session.commit()
    assert notice.kind is NoticeKind.chase and notice.number_label == "催办〔2026〕1号"
    assert len(notice.items) == 1
    with pytest.raises(services.NoticeError):
        services.issue_chase_notice(task, actor=people.supervisor, now=now)


def test_supplement_lists_tasks_assigned_after_the_notice(db, people, three_units, make_task, now):
    with pytest.raises(services.NoticeError):
        services.issue_supplements("2026-H1", actor=people.supervisor, now=now)
    first = services.issue_notices("2026-H1", actor=people.supervisor, now=now)
    db.session.commit()
    assert services.issue_supplements("2026-H1", actor=people.supervisor, now=now) == []
    later = make_task(people.unit, date(2026, 5, 31), text="新交办的任务。")
    supplement = services.issue_supplements("2026年上半年", actor=people.supervisor, now=now)
    db.session.commit()
    # one 补发督办单 for the one unit with a new task, numbered on in the same series
    assert len(supplement) == 1 and supplement[0].number_label == "督办〔2026〕4号"
    assert [i.task_id for i in supplement[0].items] == [later.id]
    assert supplement[0].title_label == "补发督办单" and supplement[0].period_key == "2026-H1+1"
    main = next(n for n in first if n.unit_id == people.unit.id)
    assert supplement[0].supplement_to_id == main.id
    assert "督办〔2026〕1号》印发后" in documents.intro(supplement[0])
    # listed once: a second run finds nothing new
    assert services.issue_supplements("2026-H1", actor=people.supervisor, now=now) == []
    with pytest.raises(PermissionDenied):
        services.issue_supplements("2026-H1", actor=people.lead, now=now)


def test_chase_numbers_its_own_series_and_only_late_tasks(db, people, make_task, now):
    services.issue_notices("2026-H1", actor=people.supervisor, now=now)
    db.session.commit()
    late = make_task(people.unit, date(2026, 2, 20), supervisor=people.supervisor)
    far = make_task(people.unit, date(2026, 9, 30))
    far.progress_percent = 80  # on track: a green light
    db.session.commit()
    notice = services.issue_chase_notice(late, actor=people.supervisor, now=now)
    db.session.commit()
    assert notice.number_label == "催办〔2026〕1号" and notice.series == "chase"
    with pytest.raises(services.NoticeError):
        services.issue_chase_notice(far, actor=people.supervisor, now=now)
