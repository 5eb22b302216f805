"""The reminder sweep: windows, catch-up after downtime, the clock going back, once per fact."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from jinja2 import meta
from markupsafe import escape

from tracker.auth.models import User
from tracker.notices import services as notice_services
from tracker.notify import rules, services, workdays
from tracker.notify.models import Notification, OutboxEmail
from tracker.tasks.models import ProgressReport, ReportingPeriod, TaskState


def at(day: date, hour: int = 9) -> datetime:
    """``hour`` o'clock Shanghai time on ``day``, as UTC."""
    return datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC)


def keys(db) -> list[str]:
    return sorted(db.session.scalars(sa.select(OutboxEmail.dedupe_key)))


def sweep(db, now):
    result = services.run_reminders(now=now)
    db.session.commit()
    return result


def test_offsets_most_recent_reached_only():
    due = date(2026, 3, 10)
    offsets = [7, 3, 1, 0]
    assert rules.before_deadline_offset(due, date(2026, 3, 2), offsets) is None
    assert rules.before_deadline_offset(due, date(2026, 3, 3), offsets) == 7
    assert rules.before_deadline_offset(due, date(2026, 3, 6), offsets) == 7
    assert rules.before_deadline_offset(due, date(2026, 3, 7), offsets) == 3
    assert rules.before_deadline_offset(due, date(2026, 3, 10), offsets) == 0
    assert rules.before_deadline_offset(due, date(2026, 3, 11), offsets) is None


def test_sweep_twice_one_row_per_fact(db, people, make_task):
    task = make_task(people.unit, date(2026, 3, 5), owner=people.member)
    first = sweep(db, at(date(2026, 3, 2)))
    assert first.queued == 1
    assert keys(db) == [f"task-due:{task.id}:2026-03-05:3:user-{people.member.id}"]
    assert sweep(db, at(date(2026, 3, 2), 15)).queued == 0
    assert len(keys(db)) == 1
    row = db.session.scalars(sa.select(OutboxEmail)).one()
    # the unit's mail opens the task through a one-task link; the in-app notice through the task page
    assert "距截止还有3天" in row.body_text and "/l/" in row.body_text
    assert row.reason == "距截止还有3天" and row.to_addr == people.member.email
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
    note = db.session.scalars(sa.select(Notification)).one()
    assert f"/tasks/{task.id}" in note.body and "/l/" not in note.body


def test_clock_jumps_three_days_then_back_an_hour(db, people, make_task):
    task = make_task(people.unit, date(2026, 3, 12), owner=people.member)
    sweep(db, at(date(2026, 3, 5)))  # 7 days before
    assert keys(db) == [f"task-due:{task.id}:2026-03-12:7:user-{people.member.id}"]
    jumped = at(date(2026, 3, 11))  # down for days: 3-day reminder missed, now 1 day left
    assert sweep(db, jumped).queued == 1
    assert [k.split(":")[3] for k in keys(db)] == ["1", "7"]
    assert sweep(db, jumped - timedelta(hours=1)).queued == 0
    assert sweep(db, jumped + timedelta(minutes=5)).queued == 0
    assert len(keys(db)) == 2


def test_recipients_owner_else_unit_leads(db, people, make_task):
    make_task(people.unit, date(2026, 3, 3))
    sweep(db, at(date(2026, 3, 2)))
    assert keys(db)[0].endswith(f":user-{people.lead.id}")


def test_closed_tasks_get_nothing(db, people, make_task):
    make_task(people.unit, date(2026, 3, 3), state=TaskState.completed)
    make_task(people.unit, date(2026, 2, 3), state=TaskState.cancelled)
    assert sweep(db, at(date(2026, 3, 2))).facts == 0


def test_overdue_chase_every_n_days_and_escalation(db, people, make_task):
    task = make_task(people.unit, date(2026, 3, 1), owner=people.member, supervisor=people.supervisor)
    sweep(db, at(date(2026, 3, 2)))  # 1 day over: chase 0
    assert keys(db) == [f"task-overdue:{task.id}:2026-03-01:0:user-{people.member.id}"]
    sweep(db, at(date(2026, 3, 3)))
    assert len(keys(db)) == 1
    sweep(db, at(date(2026, 3, 4)))  # 3 days over: chase 1
    assert len(keys(db)) == 2
    sweep(db, at(date(2026, 3, 8)))  # 7 days over: chase 2, escalation to owner, leader and supervisor
    escalations = [k for k in keys(db) if k.startswith("task-escalate")]
    assert sorted(escalations) == sorted(f"task-escalate:{task.id}:2026-03-01:user-{u.id}"
                                         for u in (people.member, people.viewer, people.supervisor))
    assert sweep(db, at(date(2026, 3, 8), 18)).queued == 0


def test_recipients_of_one_fact_read_the_same_text_addressed_to_them(db, people, make_task):
    """An escalation's text is rendered once for its three recipients; each is greeted by name,
    escaped in the HTML as the template escapes it."""
    people.member.name = "<李&明>"
    task = make_task(people.unit, date(2026, 3, 1), owner=people.member, supervisor=people.supervisor)
    sweep(db, at(date(2026, 3, 8)))
    rows = list(db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.kind == "task_escalation")))
    assert len(rows) == 3
    texts, pages = set(), set()
    for row in rows:
        name = db.session.get(User, row.recipient_id).name
        assert row.body_text.startswith(f"{name}，您好：")
        assert f"<p>{escape(name)}，您好：</p>" in row.body_html
        # each reader's own link: the unit's people a one-task link, the others the signed-in page
        link = re.search(r"查看任务：(\S+)", row.body_text).group(1)
        assert link.endswith(f"/tasks/{task.id}") or "/l/" in link
        assert "\ue000" not in row.body_text + row.body_html
        texts.add(row.body_text.replace(name, "NAME", 1).replace(link, "LINK"))
        pages.add(row.body_html.replace(str(escape(name)), "NAME", 1).replace(str(escape(link)), "LINK"))
    assert len(texts) == len(pages) == 1
    assert "&lt;李&amp;明&gt;" in next(r.body_html for r in rows if r.recipient_id == people.member.id)


@pytest.mark.parametrize("template, own", [
    ("reminder_task", {"plan", "unit", "measure_label", "due_on", "kind_label", "escalation"}),
    ("reminder_notice_chase", {"notice", "unit", "today"}),
])
def test_reminder_templates_read_only_what_the_sweep_passes(app, template, own):
    """The sweep renders without the environment's globals and shares a fact's text among its
    recipients: a template may use only the names it is given, of the recipient only the name, and
    print the link only as it is."""
    for ext in ("txt", "html"):
        source = (Path(app.root_path).parent / "templates" / "email" / f"{template}.{ext}").read_text(encoding="utf-8")
        assert meta.find_undeclared_variables(app.jinja_env.parse(source)) <= services.SWEEP_TEMPLATE_NAMES | own
        uses = re.findall(r"\buser\b(\.\w+)?", source)
        assert uses and {use.lstrip(".") for use in uses} <= services.SHARED_USER_ATTRIBUTES
        # the link is put into the shared text as written: only ever printed, never tested or filtered
        assert re.findall(r"\blink\b[^}]*", source) and set(re.findall(r"\blink\b[^}]*", source)) == {"link "}


def test_moved_deadline_is_a_new_fact(db, people, make_task):
    task = make_task(people.unit, date(2026, 3, 3), owner=people.member)
    sweep(db, at(date(2026, 3, 2)))
    task.due_on = date(2026, 3, 20)
    db.session.commit()
    sweep(db, at(date(2026, 3, 13)))
    assert [k.split(":")[2] for k in keys(db)] == ["2026-03-03", "2026-03-20"]


def test_periodic_report_reminder(db, people, make_task):
    task = make_task(people.unit, date(2026, 12, 31), owner=people.member, period=ReportingPeriod.quarterly)
    sweep(db, at(date(2026, 3, 20)))
    assert keys(db) == []
    sweep(db, at(date(2026, 3, 27)))
    assert keys(db) == [f"task-report:{task.id}:2026-Q1:user-{people.member.id}"]
    # reported for Q2 already: no reminder in June
    db.session.add(ProgressReport(task_id=task.id, text="第二季度已完成阶段目标。", period_key="2026-Q2"))
    db.session.commit()
    sweep(db, at(date(2026, 6, 28)))
    assert len(keys(db)) == 1


def test_weekly_and_yearly_report_reminders(db, people, make_task):
    """A weekly task is reminded near the end of each ISO week, a yearly one in late December;
    a report for the week stops that week's reminder."""
    weekly = make_task(people.unit, date(2026, 12, 31), owner=people.member, period=ReportingPeriod.weekly)
    yearly = make_task(people.other_unit, date(2027, 6, 30), period=ReportingPeriod.yearly)
    sweep(db, at(date(2026, 3, 2)))  # a Monday: six days left in week 10, more than REPORT_REMIND_DAYS
    assert keys(db) == []
    sweep(db, at(date(2026, 3, 4)))
    assert keys(db) == [f"task-report:{weekly.id}:2026-W10:user-{people.member.id}"]
    db.session.add(ProgressReport(task_id=weekly.id, text="本周完成两所学校验收。", period_key="2026-W11"))
    db.session.commit()
    sweep(db, at(date(2026, 3, 12)))
    assert len(keys(db)) == 1
    sweep(db, at(date(2026, 12, 28)))  # week 53 runs to 2027-01-03: too early for it
    assert f"task-report:{weekly.id}:2026-W53:user-{people.member.id}" not in keys(db)
    sweep(db, at(date(2026, 12, 30)))
    assert f"task-report:{yearly.id}:2026:user-{people.other_lead.id}" in keys(db)
    assert f"task-report:{weekly.id}:2026-W53:user-{people.member.id}" in keys(db)


def test_unanswered_notice_is_chased(db, people, make_task, now):
    make_task(people.unit, date(2026, 6, 30))
    notice = notice_services.issue_notices("2026-H1", now=now)[0]
    db.session.commit()
    assert notice.reply_by == date(2026, 3, 17)
    before = len(keys(db))
    sweep(db, at(date(2026, 3, 17)))
    assert len(keys(db)) == before
    sweep(db, at(date(2026, 3, 18)))
    chases = [k for k in keys(db) if k.startswith("notice-chase")]
    assert chases == [f"notice-chase:{notice.id}:0:user-{people.lead.id}"]
    notice_services.answer_notice(notice, {notice.items[0].id: ("已按要求推进。", 50)}, actor=people.lead, now=now)
    db.session.commit()
    sweep(db, at(date(2026, 3, 25)))
    assert [k for k in keys(db) if k.startswith("notice-chase")] == chases


def test_working_days(app, db, people, make_task):
    assert workdays.is_workday(date(2026, 2, 14))  # 调休 Saturday
    assert not workdays.is_workday(date(2026, 2, 17))  # Spring Festival
    # a year the calendar does not cover: Monday-Friday
    assert workdays.is_workday(date(2031, 1, 6)) and not workdays.is_workday(date(2031, 1, 4))
    # the 3-day reminder of a deadline just after National Day moves before the holiday week
    due = date(2026, 10, 9)
    day = rules.reminder_date(due, 3, working_days=True)
    assert workdays.is_workday(day) and day <= due - timedelta(days=3)
    assert not (date(2026, 10, 1) <= day <= date(2026, 10, 7))
    app.config["WORKING_DAYS"] = True
    task = make_task(people.unit, due, owner=people.member)
    sweep(db, at(day))
    assert keys(db) == [f"task-due:{task.id}:2026-10-09:3:user-{people.member.id}"]


@pytest.mark.parametrize("period,today,key", [
    ("monthly", date(2026, 12, 5), "2026-12"), ("quarterly", date(2026, 11, 5), "2026-Q4"),
    ("half_yearly", date(2026, 6, 1), "2026-H1"), ("weekly", date(2026, 1, 28), "2026-W05"),
    ("weekly", date(2027, 1, 1), "2026-W53"), ("yearly", date(2026, 7, 1), "2026"),
])
def test_period_of(period, today, key):
    assert rules.period_of(today, period)[0] == key


def test_reminders_are_written_in_each_recipients_language(db, people, make_task, now):
    """The sweep runs without a request: the owner reading Duban in English gets an English
    reminder, the unit lead of the other unit a Chinese one, from the same sweep."""
    people.member.locale = "en"
    english_task = make_task(people.unit, date(2026, 3, 5), owner=people.member)
    chinese_task = make_task(people.other_unit, date(2026, 3, 5))
    assert sweep(db, at(date(2026, 3, 2))).queued == 2
    rows = {row.related_id: row for row in db.session.scalars(sa.select(OutboxEmail))}
    english, chinese = rows[english_task.id], rows[chinese_task.id]
    assert english.subject.startswith("[Reminder] due in 3 days: ")
    assert english.reason == "due in 3 days"
    assert english.body_text.startswith(f"Dear {people.member.name},")
    for chinese_words in ("您好", "提醒原因", "完成时限", "请勿直接回复", "距截止"):
        assert chinese_words not in english.body_text and chinese_words not in english.body_html
    assert '<html lang="en">' in english.body_html
    assert chinese.subject.startswith("【督办提醒】距截止还有3天：")
    assert chinese.body_text.startswith(f"{people.other_lead.name}，您好：")
    assert '<html lang="zh-CN">' in chinese.body_html
    # the in-app notice says the same as the email
    titles = {n.user_id: n.title for n in db.session.scalars(sa.select(Notification))}
    assert titles[people.member.id] == english.subject


def test_overdue_notice_chase_in_english(db, people, make_task, now):
    people.lead.locale = "en"
    make_task(people.unit, date(2026, 6, 30), owner=people.member)
    notice = notice_services.issue_notices("2026-H1", now=now)[0]
    sweep(db, at(notice.reply_by + timedelta(days=2)))
    row = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.kind == "notice_chase")).one()
    assert row.subject == f"[Notice feedback overdue] {notice.number_label}: feedback on the supervision notice " \
                          "is 2 days late"
    assert f"asked for feedback by {notice.reply_by.isoformat()}" in row.body_text


def test_english_reminders_count_days_in_the_singular_and_the_plural(db, people, make_task):
    people.member.locale = "en"
    tomorrow = make_task(people.unit, date(2026, 3, 3), owner=people.member)
    later = make_task(people.unit, date(2026, 3, 5), owner=people.member)
    sweep(db, at(date(2026, 3, 2)))
    reasons = {row.related_id: row.reason for row in db.session.scalars(sa.select(OutboxEmail))}
    assert reasons == {tomorrow.id: "due in 1 day", later.id: "due in 3 days"}


def test_reasons_without_a_catalog_are_chinese():
    [due] = rules.task_facts(rules.TaskRow(1, date(2026, 3, 5)), date(2026, 3, 4), offsets=[1], chase_days=3,
                             escalate_after=7)
    assert rules.reason_text(due) == "距截止还有1天"
