"""Tasks: one measure handed to one unit, with its evidence, reports and extensions."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import TimestampMixin, db, str_enum, utcnow


class TaskState(enum.Enum):
    assigned = "assigned"
    in_progress = "in_progress"
    submitted = "submitted"
    completed = "completed"
    returned = "returned"
    cancelled = "cancelled"


OPEN_STATES = (TaskState.assigned, TaskState.in_progress, TaskState.submitted, TaskState.returned)


class UnitRole(enum.Enum):
    lead = "lead"
    support = "support"


class ReportingPeriod(enum.Enum):
    """How often a task reports (反馈周期); the vocabulary and period keys live in tracker.periods."""

    once = "once"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    half_yearly = "half_yearly"
    yearly = "yearly"


class AckVia(enum.Enum):
    """How a task was acknowledged (签收)."""

    signed_in = "signed_in"
    link = "link"
    api = "api"
    #: tasks already under way when 签收 was introduced
    backfill = "backfill"


class Task(TimestampMixin, db.Model):
    __tablename__ = "task"
    __table_args__ = (
        sa.UniqueConstraint("measure_id", "unit_id"),
        sa.Index("ix_task_unit_state_due", "unit_id", "state", "due_on"),
        # the dashboard tally groups by (plan, unit, state) and reads only these columns: a covering
        # index in group order (no sort, no table read); its plan_id prefix serves per-plan lookups
        # (reporting_period: the tasks that owe a periodic report, counted from the same index)
        sa.Index("ix_task_tally", "plan_id", "unit_id", "state", "due_on", "original_due_on", "assigned_on",
                 "progress_percent", "return_count", "completed_at", "reporting_period"),
        sa.Index("ix_task_state_due", "state", "due_on"),
        # the ledger's default order (deadline, then id) without sorting every task; the other columns
        # make it cover the dashboard trend's "open past the deadline" count (due_on < today)
        sa.Index("ix_task_due_id", "due_on", "id", "assigned_on", "completed_at", "cancelled_at", "state",
                 "plan_id", "unit_id"),
        # the dashboard trend's completions per week or month: a range of completed_at, covered
        sa.Index("ix_task_state_completed", "state", "completed_at", "plan_id", "unit_id"),
        # a unit's list in deadline order: read the first page straight from the index
        sa.Index("ix_task_unit_due_id", "unit_id", "due_on", "id"),
        # 未签收 counts and lists: the few rows with no acknowledgement, read from the index alone
        sa.Index("ix_task_unacknowledged", "acknowledged_at", "state", "plan_id", "unit_id", "assigned_on"),
        sa.CheckConstraint("progress_percent >= 0 AND progress_percent <= 100", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("measure.id", ondelete="CASCADE"))
    #: copied from the measure so lists filter by plan without a join
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"))
    role: Mapped[UnitRole] = mapped_column(str_enum(UnitRole), default=UnitRole.lead)
    #: None: the unit lead picks an owner
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    state: Mapped[TaskState] = mapped_column(str_enum(TaskState), default=TaskState.assigned)
    #: the deadline in force (an approved extension moves it); drives reminders and lights
    due_on: Mapped[date]
    #: the deadline as first assigned; scoring uses it
    original_due_on: Mapped[date]
    #: local date of assignment: the start of the expected pace (序时进度)
    assigned_on: Mapped[date]
    reporting_period: Mapped[ReportingPeriod] = mapped_column(
        str_enum(ReportingPeriod), default=ReportingPeriod.once
    )
    is_key: Mapped[bool] = mapped_column(default=False)
    evidence_required: Mapped[bool] = mapped_column(default=True)
    return_count: Mapped[int] = mapped_column(default=0)
    #: the share of the work the unit says is done, for the pace light
    progress_percent: Mapped[int] = mapped_column(default=0)
    last_progress_at: Mapped[datetime | None]
    last_progress_text: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: 签收: None while the unit has not acknowledged the task (its clock has not started)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    acknowledged_via: Mapped[AckVia | None] = mapped_column(str_enum(AckVia))
    #: the address of a one-task link that acknowledged it
    acknowledged_email: Mapped[str | None] = mapped_column(sa.String(254))
    #: set when the task was cancelled because its unit refused it and it went to another unit
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("task.id", ondelete="SET NULL"))
    #: the supervisor insisted on a refusal: the unit can no longer refuse this task
    refusal_closed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: optimistic lock: a concurrent change fails instead of overwriting
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    measure = relationship("Measure")
    plan = relationship("Plan")
    unit = relationship("Unit")
    owner = relationship("User", foreign_keys=[owner_id])
    assigned_by = relationship("User", foreign_keys=[assigned_by_id])
    acknowledged_by = relationship("User", foreign_keys=[acknowledged_by_id])
    replaced_by = relationship("Task", remote_side=[id], foreign_keys=[replaced_by_id])
    #: newest first; read-only here (the services add requests), loaded with the task for its page
    extension_requests = relationship("ExtensionRequest", viewonly=True, order_by="ExtensionRequest.id.desc()")

    def __repr__(self) -> str:
        return f"<Task {self.id} measure={self.measure_id} unit={self.unit_id} {self.state.value}>"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue(self, today: date) -> bool:
        """Overdue (超期): still open on a day past the deadline in force."""
        return self.is_open and self.due_on < today

    @classmethod
    def overdue_condition(cls, today: date) -> sa.ColumnElement[bool]:
        """``is_overdue`` in SQL, for lists, filters and counts."""
        return sa.and_(cls.state.in_(OPEN_STATES), cls.due_on < today)

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def awaits_acknowledgement(self) -> bool:
        """未签收: open and not yet acknowledged by its unit."""
        return self.acknowledged_at is None and self.state in OPEN_STATES

    @classmethod
    def unacknowledged_condition(cls) -> sa.ColumnElement[bool]:
        """``awaits_acknowledgement`` in SQL."""
        return sa.and_(cls.acknowledged_at.is_(None), cls.state.in_(OPEN_STATES))

    @property
    def is_extended(self) -> bool:
        return self.due_on != self.original_due_on


class ProgressReport(db.Model):
    __tablename__ = "progress_report"
    __table_args__ = (
        sa.Index("ix_progress_report_task", "task_id", "id"),
        # the reports of one period key (the dashboard's missing/late reports, the report reminders'
        # "already reported"), with the time of each, without reading the table
        sa.Index("ix_progress_report_period", "period_key", "task_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text)
    percent: Mapped[int | None]
    #: the reporting period this report answers, e.g. "2026-W05", "2026-03", "2026-Q1", "2026-H1", "2026"
    period_key: Mapped[str | None] = mapped_column(sa.String(16))
    #: set when the report answers a 督办单
    notice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supervision_notice.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    task = relationship("Task")
    author = relationship("User")
    evidence = relationship("Evidence", back_populates="report")


class Evidence(db.Model):
    __tablename__ = "evidence"
    __table_args__ = (
        sa.Index("ix_evidence_task", "task_id", "id"),
        # a file reused on several tasks is stored once: its rows share the stored name, and the file
        # goes only with the last live row naming it
        sa.Index("ix_evidence_stored_name", "stored_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"))
    report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("progress_report.id", ondelete="SET NULL"))
    uploader_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: the name the user's file had (Chinese kept), for display and download
    original_name: Mapped[str] = mapped_column(sa.String(255))
    #: generated name under the evidence folder; never derived from user input; shared by the rows
    #: of one file reused on other tasks of the unit
    stored_name: Mapped[str] = mapped_column(sa.String(64))
    #: the row first uploaded, when this one attaches the same file to another task (引用)
    reused_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence.id", ondelete="SET NULL"))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    #: the reporting period the file proves, as a key ("2026-H1", "2026-Q3"; tracker.periods), picked
    #: from the task's own periods; separate from the upload time
    period_key: Mapped[str | None] = mapped_column(sa.String(16))
    #: what an older upload wrote as its period, kept as written when it named no period key
    proves: Mapped[str | None] = mapped_column(sa.String(50))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_deleted: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None]

    task = relationship("Task")
    uploader = relationship("User")
    report = relationship("ProgressReport", back_populates="evidence")
    reused_from = relationship("Evidence", remote_side=[id])


class EvidenceOpening(db.Model):
    """A reviewer opened (downloaded) an evidence file: recorded by the server, so that batch
    approval covers only tasks whose files the reviewer has looked at."""

    __tablename__ = "evidence_opening"

    evidence_id: Mapped[int] = mapped_column(sa.ForeignKey("evidence.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExtensionState(enum.Enum):
    pending = "pending"
    approved = "approved"
    refused = "refused"


class ExtensionRequest(db.Model):
    __tablename__ = "extension_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.Text)
    old_due_on: Mapped[date]
    new_due_on: Mapped[date]
    state: Mapped[ExtensionState] = mapped_column(str_enum(ExtensionState), default=ExtensionState.pending)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    task = relationship("Task")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


class RefusalState(enum.Enum):
    pending = "pending"
    #: the supervisor gave the measure to another unit; this task was cancelled
    reassigned = "reassigned"
    #: the supervisor kept the task with this unit; final
    insisted = "insisted"


class TaskRefusal(db.Model):
    """退回交办: a unit says a task is not theirs, and the supervisor's ruling."""

    __tablename__ = "task_refusal"
    __table_args__ = (sa.Index("ix_task_refusal_state", "state", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    refused_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: the address of the one-task link it came through
    refused_email: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[RefusalState] = mapped_column(str_enum(RefusalState), default=RefusalState.pending)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    #: the task the measure went to instead
    new_task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("task.id", ondelete="SET NULL"))

    task = relationship("Task", foreign_keys=[task_id])
    new_task = relationship("Task", foreign_keys=[new_task_id])
    refused_by = relationship("User", foreign_keys=[refused_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<TaskRefusal {self.id} task={self.task_id} {self.state.value}>"
