"""Two people act on the same task at once: one wins, the other is told, nothing is lost."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.audit import AuditEntry
from tracker.tasks import services
from tracker.tasks.models import ExtensionRequest, ExtensionState, Task, TaskState
from tracker.tasks.services import StateConflict


def started_count(db, task_id):
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.object_id == task_id, AuditEntry.action == "task.started"))


def test_two_sessions_start_the_same_task(app, db, people, task, now):
    task_id = task.id
    db.session.expire_all()
    mine = db.session.get(Task, task_id)  # this session loads version 1
    assert mine.state is TaskState.assigned
    # a second app context has its own session and connection: a colleague in another browser
    with app.app_context():
        theirs = db.session.get(Task, task_id)
        services.start(theirs, actor=people.member, now=now)
        db.session.commit()
    with pytest.raises(StateConflict, match="已被他人更新"):
        services.start(mine, actor=people.lead, now=now)
    db.session.rollback()
    fresh = db.session.get(Task, task_id)
    assert fresh.state is TaskState.in_progress and fresh.version == 2
    assert started_count(db, task_id) == 1


def test_two_supervisors_decide_the_same_extension(app, db, people, task, now):
    request = services.request_extension(task, actor=people.lead, new_due_on=date(2026, 9, 30), reason="汛期",
                                         now=now)
    db.session.commit()
    request_id = request.id
    db.session.expire_all()
    mine = db.session.get(ExtensionRequest, request_id)
    assert mine.task.state is TaskState.assigned  # loads the task at its current version
    with app.app_context():
        theirs = db.session.get(ExtensionRequest, request_id)
        services.decide_extension(theirs, actor=people.admin, approve=True, note="同意", now=now)
        db.session.commit()
    with pytest.raises(StateConflict):
        services.decide_extension(mine, actor=people.supervisor, approve=False, note="不同意", now=now)
    db.session.rollback()
    fresh = db.session.get(ExtensionRequest, request_id)
    assert fresh.state is ExtensionState.approved and fresh.task.due_on == date(2026, 9, 30)


def test_a_page_older_than_the_task_gets_409_and_changes_nothing(app, db, people, auth, assign):
    task = assign(due_on=date(2030, 6, 30))[0]
    client = auth.client_for(people.lead)
    old_version = task.version
    assert client.post(f"/tasks/{task.id}/do/start", data={"version": old_version}).status_code == 302
    # the same button again from the old page: the task moved on meanwhile
    response = client.post(f"/tasks/{task.id}/progress", data={"version": old_version, "text": "推进中"})
    assert response.status_code == 409
    assert "已被他人更新" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Task, task.id).last_progress_text is None
