"""Notification actions: the reminder sweep, bulk queuing, re-queuing stuck mail, read marks.

All functions work in the caller's transaction (``flush``, never ``commit``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, get_locale, get_translations
from flask_babel import gettext as _
from markupsafe import escape

from tracker import access, audit, timeutil
from tracker.auth.models import DigestMode, User
from tracker.db import insert_ignoring
from tracker.errors import Conflict
from tracker.extensions import db
from tracker.links import services as link_services
from tracker.notices.models import NoticeItem, NoticeKind, SupervisionNotice
from tracker.notify import channels, digests, links, rules
from tracker.notify.models import Notification, OutboxEmail, OutboxStatus
from tracker.notify.outbox import row_values
from tracker.plans.models import Measure, Plan, number_label
from tracker.tasks.models import OPEN_STATES, ProgressReport, RefusalState, ReportingPeriod, Task, TaskRefusal
from tracker.units.models import Unit

_outbox = OutboxEmail.__table__
_notification = Notification.__table__
KEY_CHUNK = 500
#: days of holidays a working-day reminder may move earlier (National Day week and its 调休)
WORKDAY_SLACK = 14

N_ = rules.N_
KIND_LABELS = {
    "task_due": N_("督办提醒"),
    "task_overdue": N_("超期催办"),
    "task_escalation": N_("超期督办"),
    "task_report": N_("进展报送提醒"),
    "notice_chase": N_("督办单催办"),
    "task_unacknowledged": N_("签收提醒"),
}
#: reminder subjects: the kind, then why and the task, or the notice and why
TASK_SUBJECT = N_("【%(label)s】%(reason)s：%(what)s")
NOTICE_SUBJECT = N_("【%(label)s】%(what)s：%(reason)s")


class NotifyError(Conflict):
    """A refused notification action (the message is not in a state for it), for the user."""


@dataclass
class SweepResult:
    """What one sweep found and queued."""

    facts: int = 0
    queued: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        kinds = ", ".join(f"{k}={v}" for k, v in sorted(self.by_kind.items())) or "-"
        return f"facts={self.facts} queued={self.queued} ({kinds})"


@dataclass
class Pending:
    """One email to queue: who, the rendered message and its key."""

    user: Any
    kind: str
    dedupe_key: str
    subject: str
    template: str
    context: dict[str, Any]
    reason: str
    link: str | None = None
    task_id: int | None = None
    related_type: str | None = None
    related_id: int | None = None
    #: the unit the fact is about, and when its digest takes it (None: at once)
    unit_id: int | None = None
    #: the fact the message tells of: its recipients read the same text but for their name and
    #: link, so ``queue_bulk`` renders it once per fact; the weekly chase cap counts facts
    fact_key: str | None = None
    hold_until: datetime | None = None


def existing_keys(keys: list[str]) -> set[str]:
    """The keys of ``keys`` already in the outbox, in one statement whatever their number.

    The list travels as one parameter (a JSON array on SQLite, a text[] on PostgreSQL) and is
    joined against the unique index, instead of thousands of bound IN parameters.
    """
    if not keys:
        return set()
    if db.session.get_bind().dialect.name == "postgresql":
        statement = sa.text("SELECT dedupe_key FROM outbox_email WHERE dedupe_key = ANY(CAST(:keys AS text[]))")
        return set(db.session.scalars(statement, {"keys": list(keys)}))
    statement = sa.text("SELECT o.dedupe_key FROM json_each(:keys) AS k "
                        "JOIN outbox_email AS o ON o.dedupe_key = k.value")
    return set(db.session.scalars(statement, {"keys": json.dumps(list(keys), ensure_ascii=False)}))


def queue_bulk(items: list[Pending], *, now: datetime, catalog: _SweepCatalog | None = None) -> int:
    """Insert many outbox rows at once, skipping keys that exist; in-app notices for the new ones.

    The messages are rendered in the active language (the sweep calls this once per recipients'
    language, inside ``force_locale``), through ``catalog``, the one its subjects came from."""
    if not items:
        return 0
    env = current_app.jinja_env
    templates: dict[str, Any] = {}
    catalog = catalog or _SweepCatalog()

    def gettext(text: str, **variables: Any) -> str:
        translated = catalog.gettext(text)
        return translated % variables if variables else translated

    def render(item: Pending, user: Any, link: str | None) -> tuple[str, str]:
        context = {"user": user, "reason": item.reason, "link": link, "gettext": gettext, "_": gettext,
                   "current_locale": locale, **item.context}
        bodies = []
        for ext in ("txt", "html"):
            name = f"email/{item.template}.{ext}"
            if name not in templates:
                templates[name] = env.get_template(name)
            bodies.append(_render(templates[name], context))
        return bodies[0], bodies[1]

    values = []
    by_key: dict[str, Pending] = {}
    by_fact: dict[tuple[str, str], tuple[str, str]] = {}
    links: dict[str, str | None] = {}
    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    task_ids = {item.task_id for item in items if item.task_id is not None and getattr(item.user, "email", None)}
    # the few fields a link needs, without an ORM task per email
    tasks: dict[int, LinkTask] = {}
    if task_ids:
        rows = db.session.execute(sa.select(Task.id, Task.unit_id).where(Task.id.in_(task_ids))).all()
        units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_({r.unit_id for r in rows})))}
        tasks = {r.id: LinkTask(r.id, r.unit_id, units.get(r.unit_id)) for r in rows}
    unique = []
    for item in items:
        if item.dedupe_key not in by_key:
            by_key[item.dedupe_key] = item
            unique.append(item)
    # each email carries its task's one-task link (or the signed-in page, per the unit's setting)
    linked = [item for item in unique if item.task_id in tasks]
    for item, url in zip(linked, link_services.task_links(
            [(tasks[i.task_id], i.user.email, getattr(i.user, "id", None)) for i in linked], now), strict=True):
        links[item.dedupe_key] = url
    for item in unique:
        link = links.setdefault(item.dedupe_key, item.link)
        if item.fact_key is None:
            body_text, body_html = render(item, item.user, link)
        else:
            # one rendering per fact, with placeholders for the recipient's name and link, which are
            # then put in for each recipient (escaped in the HTML, as the template escapes them)
            fact = (item.template, item.fact_key)
            if fact not in by_fact:
                by_fact[fact] = render(item, _ADDRESSEE_PLACEHOLDER, _LINK_MARK)
            name, link = str(item.user.name), str(link)
            text, html = by_fact[fact]
            # the link first: a name that holds the link's mark stays as written
            body_text = text.replace(_LINK_MARK, link).replace(_NAME_MARK, name)
            body_html = html.replace(_LINK_MARK, str(escape(link))).replace(_NAME_MARK, str(escape(name)))
        values.append(row_values(
            dedupe_key=item.dedupe_key, address=getattr(item.user, "email", None),
            recipient_id=getattr(item.user, "id", None), subject=item.subject, body_text=body_text,
            body_html=body_html, reason=item.reason, kind=item.kind, now=now, related_type=item.related_type,
            related_id=item.related_id, unit_id=item.unit_id, fact_key=item.fact_key, hold_until=item.hold_until))
    statement = insert_ignoring(_outbox, "dedupe_key").returning(_outbox.c.dedupe_key)
    inserted: set[str] = set()
    for start in range(0, len(values), 1000):
        inserted.update(db.session.execute(statement, values[start:start + 1000]).scalars())
    notes = []
    for row in values:
        item = by_key[row["dedupe_key"]]
        if row["dedupe_key"] in inserted and row["recipient_id"] is not None:
            body = row["body_text"]
            link = links.get(row["dedupe_key"])
            if link and link != item.link:
                # the in-app copy points to the signed-in page: a link's token lives only in the email
                body = body.replace(link, item.link or "")
            notes.append({"user_id": row["recipient_id"], "kind": item.kind, "title": row["subject"],
                          "body": body, "link": item.link, "task_id": item.task_id,
                          "created_at": now, "read_at": None})
    if notes:
        db.session.execute(sa.insert(_notification), notes)
    return len(inserted)


def _render(template: Any, context: dict[str, Any]) -> str:
    """``template.render(context)`` without merging the environment's globals into a new context for
    every email: a sweep renders tens of thousands, and ``context`` holds every name a reminder
    template uses (``SWEEP_TEMPLATE_NAMES``; a test checks the templates against it)."""
    return template.environment.concat(template.root_render_func(template.new_context(context, shared=True)))


#: the names ``queue_bulk`` passes to a reminder template, besides each message's own context
SWEEP_TEMPLATE_NAMES = frozenset({"user", "reason", "link", "gettext", "_", "current_locale"})
#: what a reminder template may read of its recipient when the text is shared by a fact's recipients
SHARED_USER_ATTRIBUTES = frozenset({"name"})
#: stand for the recipient's name and link in a text rendered once for all recipients of a fact
#: (private-use characters, which no template or plan text holds and HTML escaping keeps as they are)
_NAME_MARK = "\ue000name\ue000"
_LINK_MARK = "\ue000link\ue000"


@dataclass(frozen=True)
class _Addressee:
    name: str


_ADDRESSEE_PLACEHOLDER = _Addressee(_NAME_MARK)


def task_link(task_id: int, recipient: Any = None, now: datetime | None = None) -> str:
    return links.task_url(task_id, recipient, now)


@dataclass(frozen=True)
class LinkTask:
    """What a one-task link is made from: the task's id and its unit."""

    id: int
    unit_id: int
    unit: Any




def notice_link(notice_id: int) -> str:
    return links.notice_url(notice_id)


@dataclass(frozen=True)
class Person:
    """The few fields of a user a reminder needs, without an ORM object per recipient."""

    id: int
    name: str
    email: str
    is_active: bool
    unit_id: int | None
    #: the language the user reads Duban in (None: the default)
    locale: str | None = None
    digest_mode: DigestMode = DigestMode.immediate


_PERSON_COLUMNS = (User.id, User.name, User.email, User.is_active, User.unit_id, User.locale, User.digest_mode)


def _users(ids: set[int]) -> dict[int, Person]:
    users: dict[int, Person] = {}
    id_list = sorted(i for i in ids if i)
    for start in range(0, len(id_list), KEY_CHUNK):
        for row in db.session.execute(sa.select(*_PERSON_COLUMNS).where(User.id.in_(id_list[start:start + KEY_CHUNK]))):
            users[row.id] = Person(*row)
    return users


def _leads_by_unit() -> dict[int, list[Person]]:
    leads: dict[int, list[Person]] = defaultdict(list)
    for row in db.session.execute(sa.select(*_PERSON_COLUMNS).where(
            access.unit_leads_condition()).order_by(User.id)):
        leads[row.unit_id].append(Person(*row))
    return leads


def run_reminders(*, now: datetime) -> SweepResult:
    """Queue every reminder that is due at ``now`` and not queued before; idempotent."""
    config = current_app.config
    today = timeutil.local_today(now)
    offsets = sorted({int(o) for o in config.get("REMINDER_OFFSETS", [7, 3, 1, 0])})
    chase_days = int(config.get("OVERDUE_CHASE_DAYS", 3))
    escalate_after = int(config.get("ESCALATE_AFTER_DAYS", 7))
    working_days = bool(config.get("WORKING_DAYS", False))
    report_days = int(config.get("REPORT_REMIND_DAYS", 5))
    window = max(offsets, default=0) + (WORKDAY_SLACK if working_days else 0)

    # candidates in SQL: open tasks due within the offset window or already overdue
    deadline_rows = db.session.execute(
        sa.select(Task.id, Task.due_on, Task.owner_id, Task.unit_id, Task.plan_id, Task.measure_id)
        .where(Task.state.in_(OPEN_STATES), Task.due_on <= today + timedelta(days=window))
    ).all()
    report_rows = db.session.execute(
        sa.select(Task.id, Task.due_on, Task.owner_id, Task.unit_id, Task.plan_id, Task.measure_id,
                  Task.reporting_period)
        .where(Task.state.in_(OPEN_STATES), Task.reporting_period != ReportingPeriod.once,
               Task.due_on >= today)
    ).all()
    task_info: dict[int, Any] = {}
    facts: list[rules.Fact] = []
    for row in deadline_rows:
        task_info[row.id] = row
        facts.extend(rules.task_facts(rules.TaskRow(row.id, row.due_on), today, offsets=offsets,
                                      chase_days=chase_days, escalate_after=escalate_after,
                                      working_days=working_days))
    if report_rows:
        keys = {k for k in (rules.period_of(today, p.value) for p in ReportingPeriod) if k}
        reported = {(r.task_id, r.period_key) for r in db.session.execute(
            sa.select(ProgressReport.task_id, ProgressReport.period_key)
            .where(ProgressReport.period_key.in_([k for k, _d in keys])))}
        for row in report_rows:
            period = rules.period_of(today, row.reporting_period.value)
            task_row = rules.TaskRow(row.id, row.due_on, row.reporting_period.value)
            fact = rules.report_fact(task_row, today, report_days,
                                     reported=bool(period) and (row.id, period[0]) in reported)
            if fact:
                task_info[row.id] = row
                facts.append(fact)
    ack_days = int(config.get("ACK_REMIND_WORKDAYS", 2))
    if ack_days > 0:
        # 未签收 after N working days (at least N calendar days); a pending 退回交办 waits for its ruling
        ack_rows = db.session.execute(
            sa.select(Task.id, Task.due_on, Task.owner_id, Task.unit_id, Task.plan_id, Task.measure_id,
                      Task.assigned_on)
            .where(Task.unacknowledged_condition(), Task.assigned_on <= today - timedelta(days=ack_days),
                   ~sa.exists().where(TaskRefusal.task_id == Task.id, TaskRefusal.state == RefusalState.pending))
        ).all()
        for row in ack_rows:
            fact = rules.ack_fact(row.id, row.assigned_on, today, ack_days)
            if fact:
                task_info.setdefault(row.id, row)
                facts.append(fact)
    notices = _unanswered_notices(today)
    for notice in notices.values():
        fact = rules.notice_chase_fact(notice.id, notice.reply_by, today, chase_days)
        if fact:
            facts.append(fact)

    result = SweepResult(facts=len(facts))
    if not facts:
        return result
    leads = _leads_by_unit()
    task_facts = [f for f in facts if f.task_id is not None]
    plan_ids = {task_info[f.task_id].plan_id for f in task_facts}
    plans = {p.id: p for p in db.session.scalars(sa.select(Plan).where(Plan.id.in_(plan_ids)))} if plan_ids else {}
    unit_ids = {task_info[f.task_id].unit_id for f in task_facts} | {n.unit_id for n in notices.values()}
    units = {u.id: u for u in db.session.scalars(sa.select(Unit).where(Unit.id.in_(unit_ids)))} if unit_ids else {}
    user_ids = {task_info[f.task_id].owner_id for f in task_facts}
    user_ids |= {p.supervisor_id for p in plans.values()} | {u.leader_id for u in units.values()}
    users = _users({i for i in user_ids if i})

    # who is told: expand each fact to users, then drop the keys already queued
    wanted: list[tuple[rules.Fact, Person]] = []
    for fact in facts:
        for user in _audience(fact, task_info, notices, plans, units, users, leads):
            wanted.append((fact, user))
    keys = [f"{fact.key}:user-{user.id}" for fact, user in wanted]
    robots = [(fact, channel, f"{fact.key}:{channel.value}-unit-{unit.id}") for fact in facts
              if fact.audience != rules.ESCALATION
              for unit in [units.get(_fact_unit(fact, task_info, notices))] for channel in channels.unit_channels(unit)]
    known = existing_keys(keys + [key for _f, _c, key in robots])
    new = [(fact, user, key) for (fact, user), key in zip(wanted, keys, strict=True) if key not in known]
    robots = [item for item in robots if item[2] not in known]
    if not new and not robots:
        return result
    over_cap = _over_cap({f for f, _u, _k in new} | {f for f, _c, _k in robots}, task_info, notices, units, now)
    measure_ids = {task_info[f.task_id].measure_id for f, _u, _k in new if f.task_id is not None}
    # the label is all a reminder shows of its measure: two columns, not an ORM object per task
    measures: dict[int, str] = {}
    measure_list = sorted(measure_ids)
    for start in range(0, len(measure_list), KEY_CHUNK):
        chunk = measure_list[start:start + KEY_CHUNK]
        measures.update((row.id, number_label(row.number) + row.text) for row in db.session.execute(
            sa.select(Measure.id, Measure.number, Measure.text).where(Measure.id.in_(chunk))))
    # each recipient reads the reminder in their own language: one batch per language
    default_locale = config["BABEL_DEFAULT_LOCALE"]
    by_locale: dict[str, list[tuple[rules.Fact, Person, str]]] = defaultdict(list)
    for fact, user, key in new:
        by_locale[user.locale or default_locale].append((fact, user, key))
    for locale, group in sorted(by_locale.items()):
        with force_locale(locale):
            catalog = _SweepCatalog()
            items = [_pending(fact, user, key, task_info, notices, plans, units, measures, today, catalog)
                     for fact, user, key in group]
            for item, (fact, user, _key) in zip(items, group, strict=True):
                item.unit_id = _fact_unit(fact, task_info, notices)
                item.fact_key = fact.key
                item.hold_until = digests.hold_until(fact.kind, user.digest_mode, over_cap=fact.key in over_cap,
                                                     now=now)
            result.queued += queue_bulk(items, now=now, catalog=catalog)
        for item in items:
            result.by_kind[item.kind] = result.by_kind.get(item.kind, 0) + 1
    if robots:
        with force_locale(default_locale):
            catalog = _SweepCatalog()
            values = []
            robot_task_ids = sorted({fact.task_id for fact, _c, _k in robots if fact.task_id is not None})
            robot_tasks: dict[int, LinkTask] = {}
            for start in range(0, len(robot_task_ids), KEY_CHUNK):
                robot_tasks.update((r.id, LinkTask(r.id, r.unit_id, units.get(r.unit_id))) for r in db.session.execute(
                    sa.select(Task.id, Task.unit_id).where(Task.id.in_(robot_task_ids[start:start + KEY_CHUNK]))))
            for fact, channel, key in robots:
                unit_id = _fact_unit(fact, task_info, notices)
                item = _pending(fact, None, key, task_info, notices, plans, units, measures, today, catalog)
                # the unit's chat gets the task's one-task link, bound to that chat
                link = (link_services.chat_link(robot_tasks[fact.task_id], now)
                        if fact.task_id in robot_tasks else item.link)
                values.append(row_values(
                    dedupe_key=key, address=channels.address_label(channel, units.get(unit_id)) or channel.value,
                    recipient_id=None, subject=item.subject, body_text=f"{item.subject}\n{link}", body_html="",
                    reason=item.reason, kind=fact.kind, now=now, related_type=item.related_type,
                    related_id=item.related_id, channel=channel, unit_id=unit_id, fact_key=fact.key,
                    hold_until=digests.hold_until(fact.kind, None, over_cap=fact.key in over_cap, now=now)))
        statement = insert_ignoring(_outbox, "dedupe_key").returning(_outbox.c.dedupe_key)
        added = len(db.session.execute(statement, values).scalars().all())
        result.queued += added
        result.by_kind["channel"] = added
    # a sweep's chases go out together: one message per person (and per unit robot or phone)
    digests.fold_due(now=now)
    db.session.flush()
    return result


def _fact_unit(fact: rules.Fact, task_info: dict[int, Any], notices: dict[int, SupervisionNotice]) -> int | None:
    if fact.notice_id is not None:
        return notices[fact.notice_id].unit_id
    return task_info[fact.task_id].unit_id if fact.task_id is not None else None


def _over_cap(facts: set[rules.Fact], task_info, notices, units, now: datetime) -> set[str]:
    """The keys of the chase facts beyond their unit's weekly cap, counting this week's first."""
    capped = sorted((f for f in facts if f.kind in digests.CAPPED_KINDS), key=lambda f: f.key)
    by_unit: dict[int, list[rules.Fact]] = defaultdict(list)
    for fact in capped:
        unit_id = _fact_unit(fact, task_info, notices)
        if unit_id is not None and digests.weekly_cap(units.get(unit_id)) > 0:
            by_unit[unit_id].append(fact)
    seen = digests.chased_this_week(set(by_unit), now)
    over: set[str] = set()
    for unit_id, unit_facts in by_unit.items():
        cap, count = digests.weekly_cap(units.get(unit_id)), len(seen[unit_id])
        for fact in unit_facts:
            if fact.key in seen[unit_id]:
                continue
            count += 1
            if count > cap:
                over.add(fact.key)
    return over


class _SweepCatalog:
    """The active language's catalog, each plain message looked up once per sweep, not per email."""

    def __init__(self) -> None:
        self._translations = get_translations()
        self._seen: dict[str, str] = {}
        self._counted: dict[tuple[str, str, int], str] = {}

    def gettext(self, message: str) -> str:
        if message not in self._seen:
            self._seen[message] = self._translations.gettext(message)
        return self._seen[message]

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        key = (singular, plural, n)
        if key not in self._counted:
            self._counted[key] = self._translations.ngettext(singular, plural, n)
        return self._counted[key]


def _unanswered_notices(today: date) -> dict[int, SupervisionNotice]:
    rows = db.session.scalars(
        sa.select(SupervisionNotice)
        .where(SupervisionNotice.kind == NoticeKind.supervision, SupervisionNotice.reply_by < today,
               sa.exists().where(NoticeItem.notice_id == SupervisionNotice.id, NoticeItem.answered_at.is_(None)))
    )
    return {n.id: n for n in rows}


def _assignees(owner_id: int | None, unit_id: int, users: dict[int, Person],
               leads: dict[int, list[Person]]) -> list[Person]:
    owner = users.get(owner_id) if owner_id else None
    if owner is not None and owner.is_active:
        return [owner]
    return list(leads.get(unit_id, []))


def _audience(fact, task_info, notices, plans, units, users, leads) -> list[Person]:
    if fact.audience == rules.NOTICE_UNIT:
        return list(leads.get(notices[fact.notice_id].unit_id, []))
    row = task_info[fact.task_id]
    people = _assignees(row.owner_id, row.unit_id, users, leads)
    if fact.audience == rules.ESCALATION:
        unit, plan = units.get(row.unit_id), plans.get(row.plan_id)
        for extra_id in (unit.leader_id if unit else None, plan.supervisor_id if plan else None):
            extra = users.get(extra_id) if extra_id else None
            if extra is not None and extra.is_active and extra not in people:
                people.append(extra)
    seen, unique = set(), []
    for person in people:
        if person.id not in seen:
            seen.add(person.id)
            unique.append(person)
    return unique


def _pending(fact, user, key, task_info, notices, plans, units, measures, today, catalog) -> Pending:
    """The email of one fact for one user, in the language of ``catalog``."""
    label = catalog.gettext(KIND_LABELS.get(fact.kind, KIND_LABELS["task_due"]))
    reason = rules.reason_text(fact, catalog)
    if fact.notice_id is not None:
        notice = notices[fact.notice_id]
        unit = units.get(notice.unit_id)
        subject = catalog.gettext(NOTICE_SUBJECT) % {"label": label, "what": notice.number_label, "reason": reason}
        return Pending(user=user, kind=fact.kind, dedupe_key=key, template="reminder_notice_chase", subject=subject,
                       context={"notice": notice, "unit": unit, "today": today},
                       reason=reason, link=notice_link(notice.id),
                       related_type="supervision_notice", related_id=notice.id, fact_key=fact.key)
    row = task_info[fact.task_id]
    plan, unit = plans.get(row.plan_id), units.get(row.unit_id)
    measure_label = measures.get(row.measure_id, "")
    short = measure_label if len(measure_label) <= 30 else measure_label[:30] + "…"
    return Pending(user=user, kind=fact.kind, dedupe_key=key, template="reminder_task",
                   subject=catalog.gettext(TASK_SUBJECT) % {"label": label, "what": short, "reason": reason},
                   context={"plan": plan, "unit": unit, "measure_label": measure_label,
                            "due_on": row.due_on, "kind_label": label, "escalation": fact.kind == "task_escalation"},
                   reason=reason, link=task_link(row.id), task_id=row.id,
                   related_type="task", related_id=row.id, fact_key=fact.key)


# --- outbox administration and in-app notices ---------------------------------------------

REQUEUEABLE = (OutboxStatus.failed, OutboxStatus.sending, OutboxStatus.cancelled)


def requeue(row: OutboxEmail, *, actor: User, now: datetime) -> OutboxEmail:
    """Send a failed or stuck ("in doubt") message again, on an administrator's decision."""
    access.check(access.may_requeue(actor, row))
    if row.status not in REQUEUEABLE:
        raise NotifyError(_("只有发送失败或状态不明的邮件可以重新排队。"))
    if not row.to_addr:
        raise NotifyError(_("收件人没有邮箱地址，无法发送。"))
    previous = row.status
    row.status = OutboxStatus.pending
    row.attempts = 0
    row.next_attempt_at = now
    row.claimed_at = None
    audit.record(actor, "outbox.requeued", row, {"from": previous.value, "dedupe_key": row.dedupe_key}, now=now)
    db.session.flush()
    return row


def stuck(now: datetime, older_than: timedelta = timedelta(minutes=10)) -> list[OutboxEmail]:
    """Rows claimed but never marked: the process that sent them died. Shown, not re-sent."""
    return list(db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.status == OutboxStatus.sending,
                                     OutboxEmail.claimed_at < now - older_than).order_by(OutboxEmail.id)
    ))


def mark_read(notification: Notification, *, actor: User, now: datetime) -> None:
    """A user marks one of their own notices read."""
    access.check(access.can_see_notification(actor, notification))
    if notification.read_at is None:
        notification.read_at = now
    db.session.flush()


def mark_all_read(*, actor: User, now: datetime) -> int:
    result = db.session.execute(
        sa.update(_notification).where(_notification.c.user_id == actor.id, _notification.c.read_at.is_(None))
        .values(read_at=now)
    )
    return result.rowcount or 0


def set_digest_mode(user: User, mode: str, *, actor: User, now: datetime) -> None:
    """A person chooses reminders one by one or in one daily message (their own setting only)."""
    access.check(access.may_edit_settings(actor, user))
    try:
        chosen = DigestMode(mode)
    except ValueError:
        raise NotifyError(_("请选择一种提醒方式。")) from None
    if user.digest_mode is not chosen:
        audit.record(actor, "user.digest_mode", user, {"from": user.digest_mode.value, "to": chosen.value}, now=now)
        user.digest_mode = chosen
    db.session.flush()
