"""Report quality on review: near-copies side by side, files proving the wrong period."""

from __future__ import annotations

from datetime import date, timedelta

import lxml.html

from tests.burden.test_quality import ORIGINALS, REWRITES, copies
from tests.tasks.conftest import upload
from tracker.burden import queries
from tracker.tasks import queries as task_queries
from tracker.tasks import services
from tracker.tasks.models import Evidence, ReportingPeriod


def _quality(client, task) -> lxml.html.HtmlElement | None:
    doc = lxml.html.fromstring(client.get(f"/tasks/{task.id}").get_data(as_text=True))
    found = doc.xpath("//section[@id='quality']")
    return found[0] if found else None


def test_a_unit_repeating_its_last_report_is_flagged_to_the_reviewer(db, auth, people, assign, now):
    [task] = assign(period=ReportingPeriod.quarterly, due_on=date(2026, 12, 31))
    services.report_progress(task, actor=people.lead, text=ORIGINALS[0], percent=30, period_key="2026-Q1", now=now)
    services.report_progress(task, actor=people.lead, text=copies(ORIGINALS[0])[2], percent=40,
                             period_key="2026-Q2", now=now + timedelta(days=90))
    db.session.commit()
    section = _quality(auth.client_for(people.supervisor), task)
    assert section is not None
    texts = section.xpath(".//div[@class='side-by-side']//p[@class='report-text']/text()")
    assert texts == [copies(ORIGINALS[0])[2], ORIGINALS[0]]
    assert "本单位此前" in section.text_content() and "%" in section.text_content()
    # the unit itself does not get the reviewer's flag
    assert _quality(auth.client_for(people.lead), task) is None


def test_a_copy_of_another_units_report_is_flagged_with_both_texts(db, auth, people, assign, measures, now):
    [ours, theirs] = assign(measures[:1], [people.unit, people.other_unit])
    services.report_progress(theirs, actor=people.other_lead, text=ORIGINALS[1], percent=45, now=now)
    services.report_progress(ours, actor=people.lead, text=copies(ORIGINALS[1])[1], percent=45,
                             now=now + timedelta(hours=2))
    db.session.commit()
    section = _quality(auth.client_for(people.supervisor), ours)
    assert section is not None and "西城区" in section.text_content()
    assert section.xpath(f".//a[@href='/tasks/{theirs.id}']")
    # the earlier report is the original, not the copy
    assert _quality(auth.client_for(people.supervisor), theirs) is None


def test_a_unit_writing_its_own_words_is_not_flagged(db, auth, people, assign, measures, now):
    [ours, theirs] = assign(measures[:1], [people.unit, people.other_unit])
    for i, (original, rewrite) in enumerate(zip(ORIGINALS, REWRITES, strict=True)):
        services.report_progress(theirs, actor=people.other_lead, text=original, percent=None,
                                 now=now + timedelta(minutes=i))
        services.report_progress(ours, actor=people.lead, text=rewrite, percent=None,
                                 now=now + timedelta(minutes=i, seconds=30))
    db.session.commit()
    assert queries.report_flags([ours, theirs], people.supervisor) == {}
    assert _quality(auth.client_for(people.supervisor), ours) is None


def test_another_plans_reports_and_invisible_tasks_are_not_compared(db, make, people, assign, measures, now):
    [ours] = assign(measures[:1])
    other_plan = make.plan("另一计划", supervisor=make.user(people.supervisor.role, name="赵督办"))
    [elsewhere] = services.assign(other_plan, [other_plan.measures[1].id], [people.other_unit.id],
                                  role=ours.role, due_on=date(2026, 6, 30), reporting_period=ReportingPeriod.once,
                                  actor=people.admin, now=now)
    services.report_progress(elsewhere, actor=people.other_lead, text=ORIGINALS[2], percent=None, now=now)
    services.report_progress(ours, actor=people.lead, text=ORIGINALS[2], percent=None,
                             now=now + timedelta(hours=1))
    db.session.commit()
    assert queries.report_flags([ours], people.supervisor) == {}
    assert queries.report_flags([ours], people.admin) == {}


def test_the_review_queue_marks_the_submitted_copy(db, auth, people, assign, measures, now):
    [ours, theirs] = assign(measures[:1], [people.unit, people.other_unit], evidence_required=False)
    services.report_progress(theirs, actor=people.other_lead, text=ORIGINALS[3], percent=100, now=now)
    services.report_progress(ours, actor=people.lead, text=copies(ORIGINALS[3])[3], percent=100,
                             now=now + timedelta(hours=1))
    services.submit(ours, actor=people.lead, now=now + timedelta(hours=2))
    services.submit(theirs, actor=people.other_lead, now=now + timedelta(hours=2))
    db.session.commit()
    doc = lxml.html.fromstring(auth.client_for(people.supervisor).get("/tasks/review").get_data(as_text=True))
    marks = doc.xpath("//a[contains(@class, 'quality-flag')]/@href")
    assert marks == [f"/tasks/{ours.id}#quality"]


def test_files_proving_a_period_outside_the_tasks_are_flagged(db, auth, people, assign, now):
    [task] = assign(period=ReportingPeriod.quarterly, due_on=date(2026, 12, 31))
    # files from before periods were picked from the task's own: their period is text as written
    for n, (name, proves) in enumerate((("去年台账.pdf", "2025年下半年"), ("今年台账.pdf", "2026 上半年"),
                                         ("无期次.pdf", "会议纪要"))):
        db.session.add(Evidence(task_id=task.id, uploader_id=people.lead.id, original_name=name,
                                stored_name=f"legacy-{n}.pdf", content_type="application/pdf", size=10,
                                sha256="0" * 64, proves=proves, created_at=now))
    db.session.flush()
    # sent with the Q2 report, but proving Q1
    services.report_progress(task, actor=people.lead, text="二季度进展情况如上。", percent=50, period_key="2026-Q2",
                             files=[upload("一季度照片.pdf")], proves="2026年第一季度", now=now)
    db.session.commit()
    evidence = task_queries.task_evidence(task)
    flagged = queries.evidence_flags(task, evidence)
    names = sorted(e.original_name for e in evidence if e.id in flagged)
    assert names == ["一季度照片.pdf", "去年台账.pdf"]
    section = _quality(auth.client_for(people.supervisor), task)
    assert section is not None and "2 份材料" in section.text_content()
    doc = lxml.html.fromstring(auth.client_for(people.supervisor).get(f"/tasks/{task.id}").get_data(as_text=True))
    assert len(doc.xpath("//section[@id='evidence']//div[contains(@class, 'quality-flag')]")) == 2
