"""督办单, 补发督办单 and 催办单: issue numbered notices, send them once to each unit, record the answers.

Numbers (督办〔2026〕N号) come from ``DocumentCounter``, one row per series and year: 督办单 and
补发督办单 share the 督办 series, 催办单 and 通报 have their own. An issue first locks its series'
row (``lock_series``), then reads what is already issued, then takes serials with an atomic
``UPDATE … SET last_serial = last_serial + 1 … RETURNING``. The lock holds until commit
(PostgreSQL row lock; SQLite's single writer), so a second process issuing at the same time waits,
then sees the first one's notices and skips them; a failed issue rolls its serials back with
everything else, so the numbers have neither gaps nor repeats.
"""

from __future__ import annotations

import logging
import os
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from tracker import access, audit, timeutil
from tracker.auth.models import User
from tracker.auth.permissions import PermissionDenied
from tracker.db import insert_ignoring
from tracker.errors import UserError
from tracker.extensions import db
from tracker.notices import documents
from tracker.notices.models import (
    SERIES_CHASE,
    SERIES_SUPERVISION,
    DocumentCounter,
    NoticeItem,
    NoticeKind,
    SupervisionNotice,
)
from tracker.notify import links, outbox, workdays
from tracker.plans.models import Plan
from tracker.tasks import lights
from tracker.tasks.labels import state_label
from tracker.tasks.models import OPEN_STATES, ProgressReport, Task
from tracker.units.models import Unit

log = logging.getLogger(__name__)

PERIOD_RE = re.compile(r"^(\d{4})-H([12])$")
CN_PERIOD_RE = re.compile(r"^(\d{4})年?(上|下)半年$")
DEFAULT_REQUIREMENTS = "请于{reply_by}前将办理情况书面反馈{organisation}，并在系统中逐项填报。"


class NoticeError(UserError):
    """A refused notice action, with a message for the user."""


class _Address:
    """A unit's contact address: gets the email, has no account for an in-app notice."""

    id = None

    def __init__(self, email: str, name: str) -> None:
        self.email = email
        self.name = name


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def parse_period(period_key: str) -> tuple[int, int]:
    match = PERIOD_RE.match((period_key or "").strip())
    if not match:
        raise NoticeError(_("督办期次格式应为“2026-H1”或“2026-H2”。"))
    return int(match.group(1)), int(match.group(2))


def normalise_period(text: str) -> str:
    """2026-H1, 2026-h1, 2026年上半年 and 2026上半年 all mean "2026-H1"."""
    text = (text or "").strip()
    if match := CN_PERIOD_RE.match(text):
        return f"{match.group(1)}-H{1 if match.group(2) == '上' else 2}"
    return text.upper() if PERIOD_RE.match(text.upper()) else text


def period_label(period_key: str) -> str:
    """2026-H1 as 2026年上半年 (the key itself when it is not a half year)."""
    match = PERIOD_RE.match((period_key or "").split("+")[0])
    if not match:
        return period_key
    return f"{match.group(1)}年{'上' if match.group(2) == '1' else '下'}半年"


def current_period(today: date) -> str:
    return f"{today.year}-H{1 if today.month <= 6 else 2}"


def _ensure_counter(series: str, year: int) -> None:
    table = DocumentCounter.__table__
    db.session.execute(insert_ignoring(table).values(series=series, year=year, last_serial=0))


def lock_series(series: str, year: int) -> None:
    """Hold the series' counter row until the transaction ends, before reading what is issued:
    a concurrent issuer waits here and then sees this one's notices."""
    table = DocumentCounter.__table__
    _ensure_counter(series, year)
    db.session.execute(sa.update(table).where(table.c.series == series, table.c.year == year)
                       .values(last_serial=table.c.last_serial))


def next_serial(series: str, year: int) -> int:
    """The next number of ``series`` in ``year``, taken under the counter row's lock until the
    transaction ends."""
    table = DocumentCounter.__table__
    bump = (sa.update(table).where(table.c.series == series, table.c.year == year)
            .values(last_serial=table.c.last_serial + 1).returning(table.c.last_serial))
    serial = db.session.execute(bump).scalar()
    if serial is None:
        _ensure_counter(series, year)
        serial = db.session.execute(bump).scalar()
    return int(serial)


def doc_code(series: str) -> str:
    """The configured 机关代字 of a series."""
    config = current_app.config
    if series == SERIES_CHASE:
        return config.get("CHASE_DOC_CODE") or "催办"
    if series == SERIES_SUPERVISION:
        return config.get("NOTICE_DOC_CODE") or "督办"
    return config.get("BULLETIN_DOC_CODE") or "督通"


def _can_issue(actor: User | None) -> bool:
    """The scheduler issues with no actor; people only with the rule's leave."""
    return actor is None or access.may_issue_notices(actor)


def _official(label, value) -> str:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return label(value)


def owner_or_lead(task: Task) -> tuple[str, bool]:
    """The task's 责任人: its owner, or else the unit's lead, said to be so."""
    if task.owner is not None:
        return task.owner.name, False
    leads = unit_leads(task.unit_id)
    return (f"{leads[0].name}（单位负责人）", True) if leads else ("", False)


def _snapshot(task: Task, today: date, warning_days: int) -> dict[str, Any]:
    measure, plan = task.measure, task.plan
    owner, owner_is_lead = owner_or_lead(task)
    return {
        "measure_number": measure.number if measure else "",
        "measure": measure.label if measure else "",
        "plan": plan.title if plan else "",
        "plan_doc_number": (plan.doc_number or "") if plan else "",
        "owner": owner,
        "owner_is_lead": owner_is_lead,
        "due_on": task.due_on.isoformat(),
        "original_due_on": task.original_due_on.isoformat(),
        "extended": task.is_extended,
        "state": task.state.value,
        # a 督办单 is a Chinese official document, whoever issues it
        "state_label": _official(state_label, task.state),
        "light": lights.light_for(task, today, warning_days),
        "last_progress": (task.last_progress_text or "")[:500],
        "last_progress_at": task.last_progress_at.isoformat() if task.last_progress_at else None,
        "progress_percent": task.progress_percent,
    }


def _new_notice(unit: Unit, tasks: list[Task], kind: NoticeKind, period_key: str, *, actor: User | None,
                now: datetime, supplement_to: SupervisionNotice | None = None) -> SupervisionNotice:
    config = current_app.config
    today = timeutil.local_today(now)
    reply_by = today + timedelta(days=int(config.get("NOTICE_REPLY_DAYS", 15)))
    organisation = config.get("ORGANISATION_NAME") or "督查督办室"
    template = config.get("NOTICE_REQUIREMENTS") or DEFAULT_REQUIREMENTS
    series = SERIES_CHASE if kind is NoticeKind.chase else SERIES_SUPERVISION
    notice = SupervisionNotice(
        kind=kind, unit_id=unit.id, period_key=period_key, series=series, doc_code=doc_code(series),
        year=today.year, serial=next_serial(series, today.year), issued_on=today, reply_by=reply_by,
        supplement_to_id=supplement_to.id if supplement_to is not None else None,
        requirements=template.format(reply_by=f"{reply_by.month}月{reply_by.day}日", organisation=organisation),
        issuer_name=organisation, issued_by_id=getattr(actor, "id", None), created_at=now,
    )
    notice.unit = unit
    warning_days = int(config.get("WARNING_DAYS", 7))
    for position, task in enumerate(tasks, start=1):
        snapshot = _snapshot(task, today, warning_days)
        notice.items.append(NoticeItem(task_id=task.id, position=position, snapshot=snapshot))
    db.session.add(notice)
    db.session.flush()
    audit.record(actor, "notice.issued", notice, {"number": notice.number_label, "unit_id": unit.id,
                                                  "period_key": period_key, "tasks": [t.id for t in tasks],
                                                  "supplement_to": notice.supplement_to_id}, now=now)
    return notice


def _open_tasks(unit_ids: list[int] | None, plans_before: datetime | None = None) -> dict[int, list[Task]]:
    query = (sa.select(Task).where(Task.state.in_(OPEN_STATES))
             .options(selectinload(Task.measure), selectinload(Task.plan), selectinload(Task.owner))
             .order_by(Task.unit_id, Task.plan_id, Task.due_on, Task.id))
    if unit_ids is not None:
        query = query.where(Task.unit_id.in_(unit_ids))
    if plans_before is not None:
        query = query.where(Task.plan_id.in_(sa.select(Plan.id).where(Plan.created_at <= plans_before)))
    grouped: dict[int, list[Task]] = {}
    for task in db.session.scalars(query):
        grouped.setdefault(task.unit_id, []).append(task)
    return grouped


def _begin_supervision_issue(period_key: str, *, actor: User | None, now: datetime) -> str:
    """What issuing 督办单 for a period starts with: the rule, the period checked, the 督办 series
    locked for the year. Returns the period key as stored."""
    if not _can_issue(actor):
        raise PermissionDenied
    period_key = normalise_period(period_key)
    parse_period(period_key)
    lock_series(SERIES_SUPERVISION, timeutil.local_today(now).year)
    return period_key


def issue_notices(period_key: str, *, unit_ids: list[int] | None = None, actor: User | None = None,
                  now: datetime, plans_before: datetime | None = None) -> list[SupervisionNotice]:
    """One 督办单 per unit with open tasks for the half year, numbered in order; emailed once each.

    Units that already have their notice for the period are skipped, so issuing twice (or the
    scheduler catching up after downtime) adds nothing. ``plans_before``: only plans made by then.
    """
    period_key = _begin_supervision_issue(period_key, actor=actor, now=now)
    already = set(db.session.scalars(
        sa.select(SupervisionNotice.unit_id)
        .where(SupervisionNotice.kind == NoticeKind.supervision, SupervisionNotice.period_key == period_key)
    ))
    grouped = _open_tasks(unit_ids, plans_before)
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(list(grouped))))} if grouped else {}
    ordered = sorted((u for u in units.values() if u.id not in already),
                     key=lambda u: (u.sort_order, u.code, u.id))
    notices = []
    for unit in ordered:
        notice = _new_notice(unit, grouped[unit.id], NoticeKind.supervision, period_key, actor=actor, now=now)
        deliver(notice, now=now)
        notices.append(notice)
    return notices


def issue_supplements(period_key: str, *, unit_ids: list[int] | None = None, actor: User | None = None,
                      now: datetime) -> list[SupervisionNotice]:
    """补发督办单: for each unit that has its 督办单 for the period, the open tasks that no notice of
    the period lists yet (assigned after it), numbered in the 督办 series; nothing when none."""
    period_key = _begin_supervision_issue(period_key, actor=actor, now=now)
    period_notices = list(db.session.scalars(
        sa.select(SupervisionNotice).where(
            SupervisionNotice.kind == NoticeKind.supervision,
            sa.or_(SupervisionNotice.period_key == period_key,
                   SupervisionNotice.period_key.like(f"{period_key}+%")))
        .options(selectinload(SupervisionNotice.items)).order_by(SupervisionNotice.id)))
    main = {n.unit_id: n for n in period_notices if "+" not in n.period_key}
    if not main:
        raise NoticeError(_("本期尚未印发督办单，请先印发督办单。"))
    listed: dict[int, set[int]] = {}
    count: dict[int, int] = {}
    for notice in period_notices:
        listed.setdefault(notice.unit_id, set()).update(item.task_id for item in notice.items)
        count[notice.unit_id] = count.get(notice.unit_id, 0) + 1
    wanted = [u for u in main if unit_ids is None or u in unit_ids]
    grouped = _open_tasks(wanted)
    notices = []
    for unit_id in sorted(wanted, key=lambda u: (main[u].unit.sort_order, main[u].unit.code, u)):
        fresh = [t for t in grouped.get(unit_id, []) if t.id not in listed.get(unit_id, set())]
        if not fresh:
            continue
        key = f"{period_key}+{count[unit_id]}"
        notice = _new_notice(main[unit_id].unit, fresh, NoticeKind.supervision, key, actor=actor, now=now,
                             supplement_to=main[unit_id])
        deliver(notice, now=now)
        notices.append(notice)
    return notices


def can_chase(task: Task, today: date) -> bool:
    """A 催办单 is for an open task past or near its deadline (red or yellow light)."""
    warning_days = int(current_app.config.get("WARNING_DAYS", 7))
    return task.state in OPEN_STATES and lights.light_for(task, today, warning_days) in ("red", "yellow")


def issue_chase_notice(task: Task, *, actor: User, now: datetime) -> SupervisionNotice:
    """A 催办单 for one overdue or nearly due task, on a supervisor's demand; at most one per task per
    day, numbered in its own series."""
    access.check(access.may_chase(actor, task))
    if task.state not in OPEN_STATES:
        raise NoticeError(_("任务已办结或撤销，无需催办。"))
    if not can_chase(task, timeutil.local_today(now)):
        raise NoticeError(_("任务尚未临近完成时限，无需催办。"))
    lock_series(SERIES_CHASE, timeutil.local_today(now).year)
    period_key = f"task-{task.id}-{timeutil.local_today(now).isoformat()}"
    exists = db.session.scalar(sa.select(SupervisionNotice.id).where(
        SupervisionNotice.unit_id == task.unit_id, SupervisionNotice.kind == NoticeKind.chase,
        SupervisionNotice.period_key == period_key))
    if exists:
        raise NoticeError(_("今天已对该任务发出催办单。"))
    notice = _new_notice(task.unit, [task], NoticeKind.chase, period_key, actor=actor, now=now)
    deliver(notice, now=now)
    return notice


def notice_path(notice: SupervisionNotice, ext: str) -> str:
    folder = current_app.config.get("NOTICE_FOLDER") or os.path.join(current_app.instance_path, "notices")
    return os.path.join(folder, str(notice.year), f"{notice.kind.value}-{notice.year}-{notice.serial:04d}.{ext}")


def download_name(notice: SupervisionNotice, ext: str) -> str:
    return f"{notice.number_label}-{notice.unit.name}.{ext}"


def write_docx(notice: SupervisionNotice) -> str:
    """Generate the .docx under NOTICE_FOLDER; the path relative to the instance folder."""
    path = notice_path(notice, "docx")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(documents.render_docx(notice))
    return os.path.relpath(path, current_app.instance_path)


def unit_leads(unit_id: int) -> list[User]:
    return list(db.session.scalars(sa.select(User).where(access.unit_leads_condition(unit_id)).order_by(User.id)))


def deliver(notice: SupervisionNotice, *, now: datetime) -> int:
    """Email the notice with its .docx to the unit's leads and contact address, once each."""
    relative = write_docx(notice)
    unit = notice.unit
    attachment = {"filename": download_name(notice, "docx"), "path": relative,
                  "content_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    base = links.base_url()
    organisation = current_app.config.get("ORGANISATION_NAME") or ""
    label = notice.title_label
    recipients: list[tuple[Any, str]] = [(user, f"notice:{notice.id}:{user.id}") for user in unit_leads(unit.id)]
    lead_emails = {u.email.lower() for u, _k in recipients}
    if unit.contact_email and unit.contact_email.lower() not in lead_emails:
        recipients.append((_Address(unit.contact_email, unit.name), f"notice:{notice.id}:contact"))
    count = 0
    for user, key in recipients:
        message = outbox.Message(
            kind=f"notice_{notice.kind.value}", subject=f"【{label}】{notice.number_label}（{unit.name}）",
            template="notice_issued", reason=f"{organisation}印发{label}，请于{cn_date(notice.reply_by)}前反馈",
            context={"notice": notice, "unit": unit, "organisation": organisation},
            link=f"{base}/notices/{notice.id}", related_type="supervision_notice", related_id=notice.id,
            attachments=[attachment],
        )
        if outbox.queue(user, message, key, now=now) is not None:
            count += 1
    # the unit's work chat gets the official (Chinese) wording, like the notice itself
    text = (f"【{label}】{notice.number_label}（{unit.name}）\n"
            f"请于{cn_date(notice.reply_by)}前反馈\n{base}/notices/{notice.id}")
    outbox.queue_channels(unit, kind=f"notice_{notice.kind.value}", text=text, dedupe_key=f"notice:{notice.id}",
                          now=now, related_type="supervision_notice", related_id=notice.id)
    return count


def visible_notices(user: User) -> sa.Select:
    """The notices ``user`` may see, newest first."""
    return access.visible_notices(user).order_by(SupervisionNotice.year.desc(), SupervisionNotice.serial.desc())


def answer_notice(notice: SupervisionNotice, answers: dict[int, tuple[str, int | None]], *, actor: User,
                  now: datetime) -> list[ProgressReport]:
    """The unit's feedback on listed tasks: one progress report per answered item."""
    access.check(access.may_answer_notice(actor, notice))
    items = {item.id: item for item in notice.items}
    reports = []
    for item_id, (text, percent) in answers.items():
        item = items.get(item_id)
        text = (text or "").strip()
        if item is None or not text:
            continue
        if len(text) > 5000:
            raise NoticeError(_("办理情况不能超过5000字。"))
        if percent is not None and not 0 <= percent <= 100:
            raise NoticeError(_("完成进度必须是 0 到 100 之间的整数。"))
        task = item.task
        report = ProgressReport(task_id=task.id, author_id=actor.id, text=text, percent=percent,
                                period_key=notice.period_key if len(notice.period_key) <= 16 else None,
                                notice_id=notice.id, created_at=now)
        db.session.add(report)
        if task.state in OPEN_STATES:
            if percent is not None:
                task.progress_percent = percent
            task.last_progress_at = now
            task.last_progress_text = text[:1000]
        item.answered_at = now
        reports.append(report)
    if not reports:
        raise NoticeError(_("请至少填写一项办理情况。"))
    db.session.flush()
    audit.record(actor, "notice.answered", notice, {"items": [r.task_id for r in reports]}, now=now)
    return reports


def answers_for(notice: SupervisionNotice) -> dict[int, list[ProgressReport]]:
    """The feedback reports per task id, oldest first."""
    grouped: dict[int, list[ProgressReport]] = {}
    for report in db.session.scalars(sa.select(ProgressReport).where(ProgressReport.notice_id == notice.id)
                                     .order_by(ProgressReport.id)):
        grouped.setdefault(report.task_id, []).append(report)
    return grouped


def issue_due_period(*, now: datetime, since: datetime | None = None) -> list[SupervisionNotice]:
    """For the scheduler: issue the current half year's notices once its issue date has passed.

    ``since`` is the install time: a period whose issue date came before it is not issued (the
    office did not use Duban then), and only tasks of plans that existed by the issue date count."""
    today = timeutil.local_today(now)
    period = current_period(today)
    if db.session.scalar(sa.select(SupervisionNotice.id).where(
            SupervisionNotice.kind == NoticeKind.supervision, SupervisionNotice.period_key == period).limit(1)):
        return []
    issue_at = period_issue_time(period)
    if now < issue_at:
        return []
    if since is not None and issue_at < since:
        log.info("notices for %s not issued: due %s, before the install (%s)", period, issue_at, since)
        return []
    return issue_notices(period, now=now, plans_before=issue_at if since is not None else None)


def schedule_entries() -> list[tuple[int, int, int, int]]:
    """NOTICE_SCHEDULE "01-01 09:00,07-01 09:00" as (month, day, hour, minute)."""
    entries = []
    for part in (current_app.config.get("NOTICE_SCHEDULE") or "").split(","):
        part = part.strip()
        if not part:
            continue
        day_part, _sep, time_part = part.partition(" ")
        month, day = (int(x) for x in day_part.split("-"))
        hour, minute = (int(x) for x in (time_part or "09:00").split(":"))
        entries.append((month, day, hour, minute))
    return entries


def period_issue_time(period_key: str) -> datetime:
    """The scheduled issue instant inside the period (the first schedule entry falling in that half)."""
    year, half = parse_period(period_key)
    months = range(1, 7) if half == 1 else range(7, 13)
    for month, day, hour, minute in sorted(schedule_entries()):
        if month in months:
            issue_day = date(year, month, day)
            if current_app.config.get("WORKING_DAYS"):
                # 1 January / 1 July fall in holidays: the notice goes out on the next working day
                issue_day = workdays.next_workday(issue_day)
            return datetime.combine(issue_day, time(hour, minute), tzinfo=timeutil.local_tz()).astimezone(UTC)
    return datetime(year, months[0], 1, tzinfo=timeutil.local_tz()).astimezone(UTC)
