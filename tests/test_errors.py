"""One error path: a UserError is explained and changes nothing; anything else is a logged 500."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from tracker import errors
from tracker.api import auth as api_auth
from tracker.api import errors as api_errors
from tracker.tasks import services as task_services
from tracker.tasks.models import ProgressReport, Task, TaskState


def test_every_feature_error_is_a_user_error():
    from tracker.api.auth import TokenError
    from tracker.auth.services import AccountError
    from tracker.notices.services import NoticeError
    from tracker.notify.services import NotifyError
    from tracker.plans.queries import PlanSourceError
    from tracker.plans.services import MeasureInUse
    from tracker.plans.storage import UploadTooLarge
    from tracker.plans.validation import OutlineError, PlanError
    from tracker.reports.bulletin import PeriodError
    from tracker.tabular import TableError
    from tracker.tasks.filters import FilterError
    from tracker.tasks.services import EvidenceTooLarge, StateConflict, TaskError
    from tracker.tasks.storage import FileTooLarge, StorageError
    from tracker.units.services import UnitError

    kinds = [TokenError, AccountError, NoticeError, NotifyError, PlanError, OutlineError, MeasureInUse,
             PlanSourceError, UploadTooLarge, PeriodError, TableError, FilterError, TaskError,
             StateConflict, EvidenceTooLarge, StorageError, FileTooLarge, UnitError]
    assert all(issubclass(kind, errors.UserError) and not issubclass(kind, ValueError) for kind in kinds)
    assert (StateConflict.status, StateConflict.code) == (409, "state_conflict")
    assert (EvidenceTooLarge.status, UploadTooLarge.status, FileTooLarge.status) == (413, 413, 413)


def test_the_api_maps_user_errors_and_leaves_bugs_alone(app):
    with app.test_request_context():
        response, status = api_errors.from_exception(task_services.StateConflict("任务已变更。"))
        assert status == 409 and response.get_json()["error"] == {"code": "state_conflict", "message": "任务已变更。"}
        assert api_errors.from_exception(ValueError("a bug")) is None
        assert api_errors.from_exception(KeyError("a bug")) is None


def test_a_bug_in_an_api_route_is_a_logged_500_and_nothing_is_kept(app, db, people, assigned_task, now, monkeypatch,
                                                                  caplog):
    """A ValueError that is not a UserError used to come back as a silent 422."""
    _token, secret = api_auth.create_token(people.lead, "测试", actor=people.lead, now=now)
    db.session.commit()
    real = task_services.report_progress

    def report_then_fail(task, **kwargs):
        real(task, **kwargs)
        int("not a number")  # a programming error after the service wrote

    monkeypatch.setattr(task_services, "report_progress", report_then_fail)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().post(f"/api/v1/tasks/{assigned_task.id}/progress",
                                          json={"text": "进展", "percent": 10},
                                          headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_server_error"
    assert any(record.exc_info and "invalid literal" in str(record.exc_info[1]) for record in caplog.records)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(ProgressReport.id))) == 0
    assert db.session.get(Task, assigned_task.id).state is TaskState.assigned


def test_a_bug_in_a_page_is_a_logged_500_page(app, db, auth, people, assigned_task, monkeypatch, caplog):
    def broken(task, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(task_services, "report_progress", broken)
    client = auth.client_for(people.lead)
    with caplog.at_level(logging.ERROR):
        response = client.post(f"/tasks/{assigned_task.id}/progress", data={"text": "进展"})
    assert response.status_code == 500 and "服务器内部错误" in response.get_data(as_text=True)
    assert any(record.exc_info for record in caplog.records)


def test_a_user_error_on_a_page_without_a_form_goes_back_with_the_message(app, auth, people):
    def refuse():
        raise errors.UserError("这一步不能做。")

    app.add_url_rule("/probe", "probe", refuse)
    client = auth.client_for(people.lead)
    response = client.get("/probe", headers={"Referer": "http://localhost/notices/?period=2026-H1"})
    assert response.status_code == 302 and response.headers["Location"] == "/notices/?period=2026-H1"
    assert "这一步不能做。" in client.get(response.headers["Location"]).get_data(as_text=True)
    elsewhere = client.get("/probe", headers={"Referer": "https://example.com/phish"})
    assert elsewhere.headers["Location"] == "/"


def test_a_refused_form_is_shown_again_with_its_status(auth, people, assigned_task):
    client = auth.client_for(people.lead)
    response = client.post(f"/tasks/{assigned_task.id}/do/submit")
    assert response.status_code in (409, 422)
    body = response.get_data(as_text=True)
    assert 'class="flash flash-danger"' in body and assigned_task.measure.text in body
