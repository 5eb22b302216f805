"""Which reminder facts are due at ``now``: computed from database state and the clock alone.

Every rule uses a *window* ("the offset's date has come and the deadline has not passed"),
never "today equals the date", so a sweep that did not run for days catches up once. The
fact's key names it (task, deadline, offset or chase index), so running the sweep again, or
after the clock stepped back, queues nothing new.

Catch-up rule for the before-deadline offsets (default 7, 3, 1, 0 days): only the most recent
offset reached is due. After three days down the unit gets the one reminder that is true now
(距截止还有1天), not a burst of the stale 7- and 3-day ones it missed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from tracker import periods
from tracker.notify import workdays


def N_(text: str) -> str:
    """Marks a message for the catalog without translating it: a fact's reason is put into each
    recipient's language when the reminder is queued (``reason_text``)."""
    return text


def NN_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message whose wording follows a count (English: "1 day", "3 days"), likewise."""
    return singular, plural


class Catalog(Protocol):
    """The two lookups of one language's message catalog (gettext's own interface)."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


class _Untranslated:
    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural


#: audiences: the task's owner (else the unit's leads); escalation adds the unit's supervising
#: leader and the plan's supervisor; a notice goes to the unit's leads
ASSIGNEE, ESCALATION, NOTICE_UNIT = "assignee", "escalation", "notice-unit"


@dataclass(frozen=True)
class Fact:
    """One thing worth telling someone, independent of who is told."""

    kind: str
    #: names the fact; the outbox dedupe key adds ":user-<id>"
    key: str
    #: the reason as a catalog message (Chinese, with %(name)s placeholders filled from ``values``);
    #: a (singular, plural) pair when its wording follows the number of days
    reason: str | tuple[str, str]
    audience: str
    task_id: int | None = None
    notice_id: int | None = None
    values: tuple[tuple[str, Any], ...] = ()


def reason_text(fact: Fact, catalog: Catalog | None = None) -> str:
    """The fact's reason in the language of ``catalog`` (one recipient's); Chinese without one."""
    catalog = catalog or _Untranslated()
    values = dict(fact.values)
    if isinstance(fact.reason, tuple):
        text = catalog.ngettext(*fact.reason, values["days"])
    else:
        text = catalog.gettext(fact.reason)
    return text % values if values else text


@dataclass(frozen=True)
class TaskRow:
    id: int
    due_on: date
    reporting_period: str = "once"


def reminder_date(due_on: date, offset: int, working_days: bool) -> date:
    """The day the ``offset``-day reminder is due; on a non-working day, the working day before."""
    day = due_on - timedelta(days=offset)
    return workdays.previous_workday(day) if working_days else day


def before_deadline_offset(due_on: date, today: date, offsets: Iterable[int], working_days: bool = False) -> int | None:
    """The most recent offset whose date has come, while the deadline has not passed; else None."""
    if today > due_on:
        return None
    reached = [(reminder_date(due_on, o, working_days), -o, o) for o in offsets
               if o >= 0 and reminder_date(due_on, o, working_days) <= today]
    if not reached:
        return None
    return max(reached)[2]


def due_reason(days_left: int) -> tuple[str | tuple[str, str], tuple[tuple[str, Any], ...]]:
    """The reason of a before-deadline reminder and its values."""
    if days_left == 0:
        return N_("今天截止"), ()
    return NN_("距截止还有%(days)d天", "距截止还有%(days)d天"), (("days", days_left),)


def task_facts(task: TaskRow, today: date, *, offsets: Iterable[int], chase_days: int,
               escalate_after: int, working_days: bool = False) -> list[Fact]:
    """Deadline facts of one open task: a before-deadline reminder, an overdue chase, an escalation."""
    facts: list[Fact] = []
    offset = before_deadline_offset(task.due_on, today, offsets, working_days)
    if offset is not None:
        reason, values = due_reason((task.due_on - today).days)
        facts.append(Fact("task_due", f"task-due:{task.id}:{task.due_on}:{offset}", reason,
                          ASSIGNEE, task_id=task.id, values=values))
    days_over = (today - task.due_on).days
    if days_over >= 1:
        index = days_over // max(chase_days, 1)
        facts.append(Fact("task_overdue", f"task-overdue:{task.id}:{task.due_on}:{index}",
                          NN_("已超期%(days)d天", "已超期%(days)d天"), ASSIGNEE, task_id=task.id,
                          values=(("days", days_over),)))
        if days_over >= escalate_after:
            facts.append(Fact("task_escalation", f"task-escalate:{task.id}:{task.due_on}",
                              NN_("已超期%(days)d天，提请分管领导督促", "已超期%(days)d天，提请分管领导督促"),
                              ESCALATION, task_id=task.id,
                              values=(("days", days_over),)))
    return facts


def period_of(today: date, period: str) -> tuple[str, date] | None:
    """The reporting period containing ``today``: its key ("2026-W05", "2026-03", "2026-Q1",
    "2026-H1", "2026") and last day; None for a task that reports once."""
    found = periods.bounds(today, period)
    return (found[0], found[2]) if found is not None else None


def report_fact(task: TaskRow, today: date, remind_days: int, reported: bool) -> Fact | None:
    """A periodic report is due in the last ``remind_days`` days of its period and none is in yet."""
    current = period_of(today, task.reporting_period)
    if current is None or reported:
        return None
    key, last_day = current
    days_left = (last_day - today).days
    if days_left > remind_days or today > task.due_on + timedelta(days=remind_days):
        return None
    reason = NN_("本期（%(period)s）进展尚未报送，距报送截止还有%(days)d天",
                 "本期（%(period)s）进展尚未报送，距报送截止还有%(days)d天")
    return Fact("task_report", f"task-report:{task.id}:{key}", reason, ASSIGNEE, task_id=task.id,
                values=(("period", key), ("days", days_left)))


def notice_chase_fact(notice_id: int, reply_by: date, today: date, chase_days: int) -> Fact | None:
    """A 督办单 with unanswered items, past its reply-by date: chased every ``chase_days`` days."""
    days_over = (today - reply_by).days
    if days_over < 1:
        return None
    index = days_over // max(chase_days, 1)
    return Fact("notice_chase", f"notice-chase:{notice_id}:{index}",
                NN_("督办单反馈已逾期%(days)d天", "督办单反馈已逾期%(days)d天"), NOTICE_UNIT, notice_id=notice_id,
                values=(("days", days_over),))


def ack_fact(task_id: int, assigned_on: date, today: date, remind_workdays: int) -> Fact | None:
    """签收提醒: a task its unit has not acknowledged ``remind_workdays`` working days after it was
    handed over; once per handing (the key carries the hand-over date)."""
    if remind_workdays <= 0:
        return None
    due = workdays.nth_workday_after(assigned_on, remind_workdays)
    if today < due:
        return None
    return Fact("task_unacknowledged", f"task-ack:{task_id}:{assigned_on}", NN_(
        "交办已超过%(days)d个工作日仍未签收", "交办已超过%(days)d个工作日仍未签收"), ASSIGNEE, task_id=task_id,
        values=(("days", remind_workdays),))
