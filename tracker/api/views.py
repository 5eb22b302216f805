"""The /api/v1 routes: parse JSON → call the same service the page calls → commit → JSON.

Every request carries a personal token (``Authorization: Bearer …``) checked against the database;
the session cookie is never read, so the blueprint is exempt from CSRF. Objects the caller may not
see answer 404, exactly like objects that do not exist.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from tracker import access, timeutil
from tracker.api import auth as api_auth
from tracker.api import errors, openapi, schemas
from tracker.api.errors import BadRequest, Invalid, NotFound, Unauthorized
from tracker.api.models import ApiToken
from tracker.api.schemas import MAX_ID, SCHEMAS
from tracker.auth.models import User
from tracker.db import utcnow
from tracker.downloads import send_document, send_stored_file
from tracker.errors import show_again
from tracker.extensions import csrf, db, limiter
from tracker.notices import documents as notice_documents
from tracker.notices import services as notice_services
from tracker.notices.models import SupervisionNotice
from tracker.plans import queries as plan_queries
from tracker.plans import services as plan_services
from tracker.plans import storage as plan_storage
from tracker.plans.models import Plan, PlanState
from tracker.tasks import queries as task_queries
from tracker.tasks import services as task_services
from tracker.tasks import storage
from tracker.tasks.models import AckVia, Evidence, ExtensionRequest, ReportingPeriod, Task, TaskState, UnitRole
from tracker.units import services as unit_services

bp = Blueprint("api", __name__, url_prefix="/api/v1")
#: the document and its human page: public, no token needed
docs_bp = Blueprint("api_docs", __name__, url_prefix="/api")
#: the user's own tokens, on the signed-in pages (session and CSRF as usual)
tokens_bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")
errors.register(bp)


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


limiter.limit(_rate_limit, key_func=api_auth.rate_limit_key)(bp)


def register(app: Flask) -> None:
    """Called by the factory: CSRF exemption (bearer tokens are not ambient), docs and token pages."""
    csrf.exempt(bp)
    csrf.exempt(docs_bp)
    app.register_blueprint(docs_bp)
    app.register_blueprint(tokens_bp)


@bp.before_request
def authenticate() -> None:
    now = utcnow()
    token = api_auth.request_token(now)
    if token is None:
        raise Unauthorized()
    api_auth.touch(token, now)
    g.api_user = db.session.get(User, token.user_id)


@bp.after_request
def content_language(response):
    """Say which language the messages are in (Accept-Language: en asks for English)."""
    response.headers.setdefault("Content-Language", str(get_locale() or "zh_CN").replace("_", "-"))
    return response


def _user() -> User:
    return g.api_user


# ---------------------------------------------------------------------------
# request helpers


def _body(schema_name: str) -> dict[str, Any]:
    """The JSON body, checked against its published schema: 400 when unreadable, 422 when wrong."""
    if not request.is_json:
        raise BadRequest(_("请求体应为 JSON（Content-Type: application/json）。"))
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest(_("请求体不是有效的 JSON。"))
    if not isinstance(data, dict):
        raise Invalid(_("请求体应为 JSON 对象。"))
    return schemas.check(data, SCHEMAS[schema_name])


def _int_arg(name: str, default: int | None = None, *, low: int = 1, high: int = MAX_ID) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(_("参数 %(name)s 应为整数。", name=name)) from None
    if not low <= value <= high:
        raise Invalid(_("参数 %(name)s 超出范围。", name=name))
    return value


def _bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise Invalid(_("参数 %(name)s 应为 true 或 false。", name=name))


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    return schemas.parse_date(raw, name)


def _enum_arg(name: str, enum_cls: Any) -> Any:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    try:
        return enum_cls(raw)
    except ValueError:
        raise Invalid(_("参数 %(name)s 的取值无效。", name=name)) from None


def _page(query: sa.Select, serialize: Any) -> dict[str, Any]:
    page = _int_arg("page", 1, high=100000)
    per_page = _int_arg("per_page", 20, high=100)
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)
    return {"items": [serialize(item) for item in pagination.items], "page": page, "per_page": per_page,
            "total": pagination.total or 0}


def _get(model: Any, object_id: int) -> Any:
    if not 1 <= object_id <= MAX_ID:
        raise NotFound()
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound()
    return obj


def _plan_or_404(plan_id: int) -> Plan:
    plan = _get(Plan, plan_id)
    if plan.is_deleted or not access.can_see_plan(_user(), plan):
        raise NotFound()
    return plan


def _task_or_404(task_id: int, may: Any = None) -> Task:
    """The task, 404 when the caller may not see it, 403 when they may not do ``may`` to it
    (checked before the body is read: a caller who may not act learns nothing about its rules)."""
    task = _get(Task, task_id)
    if not access.can_see_task(_user(), task):
        raise NotFound()
    if may is not None:
        access.check(may(_user(), task))
    return task


def _notice_or_404(notice_id: int) -> SupervisionNotice:
    notice = _get(SupervisionNotice, notice_id)
    if not access.can_see_notice(_user(), notice):
        raise NotFound()
    return notice


def _today() -> date:
    return schemas.today_for(utcnow())


def _created(payload: dict[str, Any]):
    return jsonify(payload), 201


# ---------------------------------------------------------------------------
# plans


@bp.get("/plans")
def list_plans():
    """The plans the caller may see, newest first."""
    query = access.visible_plans(_user())
    state = _enum_arg("state", PlanState)
    if state is not None:
        query = query.where(Plan.state == state)
    return jsonify(_page(query.order_by(Plan.id.desc()), schemas.plan_json))


def _form_bool(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "on", "yes")


@bp.post("/plans")
def import_plan():
    """Parse a plan from text or a file and save it in one step (draft, or active with "activate")."""
    user, now = _user(), utcnow()
    data = filename = text = None
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise Invalid(_("缺少字段 %(field)s。", field="file"))
        data = plan_storage.read_limited(upload.stream)
        filename = upload.filename
        title = (request.form.get("title") or "").strip()
        schemas.check(title, SCHEMAS["PlanCreate"]["properties"]["title"], "title")
        activate = _form_bool(request.form.get("activate"))
    else:
        body = _body("PlanCreate")
        text, title, activate = body["text"], (body.get("title") or "").strip(), bool(body.get("activate"))
    try:
        plans = plan_services.import_plan(source_text=text, source_file=(data, filename) if data is not None else None,
                                          title=title, activate=activate, actor=user, now=now)
    except plan_queries.PlanSourceError as exc:
        raise Invalid(str(exc)) from exc  # the API has always answered an unreadable source with 422
    db.session.commit()
    return _created({"plans": [schemas.plan_detail_json(plan) for plan in plans]})


@bp.get("/plans/<int:plan_id>")
@access.protects("plan_id", access.can_see_plan)
def get_plan(plan_id: int):
    """A plan with its outline of measures (ids to assign)."""
    return jsonify(schemas.plan_detail_json(_plan_or_404(plan_id)))


@bp.post("/plans/<int:plan_id>/assignments")
@access.protects("plan_id", access.can_see_plan, access.may_assign)
def assign_measures(plan_id: int):
    """Hand measures to units: one task per (measure, unit)."""
    plan = _plan_or_404(plan_id)
    access.check(access.may_assign(_user(), plan))
    body = _body("AssignmentCreate")
    unit_ids = body["unit_ids"]
    owner_by_unit = None
    if body.get("owner_id") is not None:
        owner = db.session.get(User, body["owner_id"])
        unit_id = owner.unit_id if owner is not None and owner.unit_id in unit_ids else unit_ids[0]
        owner_by_unit = {unit_id: body["owner_id"]}
    tasks = task_services.assign(
        plan, body["measure_ids"], unit_ids, role=UnitRole(body.get("role", "lead")),
        due_on=schemas.parse_date(body["due_on"], "due_on"),
        reporting_period=ReportingPeriod(body.get("reporting_period", "once")),
        is_key=body.get("is_key", False), evidence_required=body.get("evidence_required", True),
        owner_by_unit=owner_by_unit, actor=_user(), now=utcnow())
    db.session.commit()
    today = _today()
    return _created({"tasks": [schemas.task_json(task, today) for task in tasks]})


@bp.post("/plans/<int:plan_id>/assignment-plans")
@access.protects("plan_id", access.can_see_plan, access.may_assign)
def assign_as_planned(plan_id: int):
    """Hand measures to units as the plan says: each (measure, unit) with its own role, deadline and period."""
    plan = _plan_or_404(plan_id)
    access.check(access.may_assign(_user(), plan))
    body = _body("AssignmentPlanCreate")
    entries = [task_services.Assignment(
        measure_id=e["measure_id"], unit_id=e["unit_id"], role=UnitRole(e.get("role", "lead")),
        due_on=schemas.parse_date(e["due_on"], "due_on"),
        reporting_period=ReportingPeriod(e.get("reporting_period", "once"))) for e in body["entries"]]
    tasks = task_services.assign_many(plan, entries, is_key=body.get("is_key", False),
                                      evidence_required=body.get("evidence_required", True), actor=_user(),
                                      now=utcnow())
    db.session.commit()
    today = _today()
    return _created({"tasks": [schemas.task_json(task, today) for task in tasks]})


# ---------------------------------------------------------------------------
# tasks


@bp.get("/tasks")
def list_tasks():
    """The tasks the caller may see, filtered, a page at a time."""
    today = _today()
    query = access.visible_tasks(_user())
    unit_id, plan_id = _int_arg("unit_id"), _int_arg("plan_id")
    state = _enum_arg("state", TaskState)
    overdue, due_before = _bool_arg("overdue"), _date_arg("due_before")
    if unit_id is not None:
        query = query.where(Task.unit_id == unit_id)
    if plan_id is not None:
        query = query.where(Task.plan_id == plan_id)
    if state is not None:
        query = query.where(Task.state == state)
    late = Task.overdue_condition(today)
    if overdue is True:
        query = query.where(late)
    elif overdue is False:
        query = query.where(sa.not_(late))
    if due_before is not None:
        query = query.where(Task.due_on <= due_before)
    query = query.options(selectinload(Task.measure), selectinload(Task.unit)).order_by(Task.due_on, Task.id)
    return jsonify(_page(query, lambda task: schemas.task_json(task, today)))


@bp.get("/tasks/<int:task_id>")
@access.protects("task_id", access.can_see_task)
def get_task(task_id: int):
    return jsonify(schemas.task_json(_task_or_404(task_id), _today()))


@bp.post("/tasks/<int:task_id>/transitions")
@access.protects("task_id", access.can_see_task)
def transition_task(task_id: int):
    """start, submit, approve, return or cancel, by the same rules as the task page."""
    task = _task_or_404(task_id)
    body = _body("TransitionCreate")
    task_services.check_version(task, body.get("version"))
    task_services.transition(task, body["action"], actor=_user(), note=body.get("note", ""), now=utcnow())
    db.session.commit()
    return jsonify(schemas.task_json(task, _today()))


@bp.post("/tasks/<int:task_id>/acknowledgement")
@access.protects("task_id", access.can_see_task, access.may_acknowledge)
def acknowledge_task(task_id: int):
    """签收, by the same rule as the task page; a second 签收 answers 409."""
    task = _task_or_404(task_id)
    task_services.acknowledge(task, actor=_user(), now=utcnow(), via=AckVia.api)
    db.session.commit()
    return jsonify(schemas.task_json(task, _today()))


@bp.get("/tasks/<int:task_id>/progress")
@access.protects("task_id", access.can_see_task)
def list_progress(task_id: int):
    task = _task_or_404(task_id)
    return jsonify({"items": [schemas.report_json(r) for r in task_queries.task_reports(task)]})


@bp.post("/tasks/<int:task_id>/progress")
@access.protects("task_id", access.can_see_task, access.may_work_on)
def report_progress(task_id: int):
    task = _task_or_404(task_id, access.may_work_on)
    body = _body("ProgressCreate")
    report = task_services.report_progress(task, actor=_user(), text=body["text"], percent=body["percent"],
                                           period_key=body.get("period_key"), proves=body.get("proves"),
                                           now=utcnow())
    db.session.commit()
    return _created(schemas.report_json(report))


@bp.get("/tasks/<int:task_id>/evidence")
@access.protects("task_id", access.can_see_task)
def list_evidence(task_id: int):
    task = _task_or_404(task_id)
    return jsonify({"items": [schemas.evidence_json(e) for e in task_queries.task_evidence(task)]})


@bp.post("/tasks/<int:task_id>/evidence")
@access.protects("task_id", access.can_see_task, access.may_work_on)
def upload_evidence(task_id: int):
    """One or more "file" parts, with an optional "note" and the period the files prove: "period_key"
    ("2026-H1"), or "proves" as it is written ("2026年上半年"); one of the task's own periods."""
    task = _task_or_404(task_id, access.may_work_on)
    if request.mimetype != "multipart/form-data":
        raise BadRequest(_("上传文件请使用 multipart/form-data。"))
    note, proves, period_key = (request.form.get(name) for name in ("note", "proves", "period_key"))
    for name, value in (("note", note), ("proves", proves), ("period_key", period_key)):
        if value is not None:
            schemas.check(value, SCHEMAS["EvidenceUpload"]["properties"][name], name)
    rows = task_services.add_evidence(task, actor=_user(), files=request.files.getlist("file"),
                                      note=note, period_key=period_key, proves=proves, now=utcnow())
    db.session.commit()
    return _created({"items": [schemas.evidence_json(e) for e in rows]})


@bp.get("/tasks/<int:task_id>/evidence/<int:evidence_id>")
@access.protects("evidence_id", access.can_see_evidence)
def evidence_file(task_id: int, evidence_id: int):
    """The file as an attachment, under its original (Chinese) name."""
    task = _task_or_404(task_id)
    evidence = _get(Evidence, evidence_id)
    if evidence.task_id != task.id or evidence.is_deleted:
        raise NotFound()
    path = storage.existing_path(evidence.stored_name)
    if path is None:
        raise NotFound()
    return send_stored_file(path, mimetype=evidence.content_type, download_name=evidence.original_name)


@bp.get("/tasks/<int:task_id>/extensions")
@access.protects("task_id", access.can_see_task)
def list_extensions(task_id: int):
    task = _task_or_404(task_id)
    return jsonify({"items": [schemas.extension_json(x) for x in task_queries.task_extensions(task)]})


@bp.post("/tasks/<int:task_id>/extensions")
@access.protects("task_id", access.can_see_task, access.may_work_on)
def request_extension(task_id: int):
    task = _task_or_404(task_id, access.may_work_on)
    body = _body("ExtensionCreate")
    ext = task_services.request_extension(task, actor=_user(),
                                          new_due_on=schemas.parse_date(body["new_due_on"], "new_due_on"),
                                          reason=body["reason"], now=utcnow())
    db.session.commit()
    return _created(schemas.extension_json(ext))


@bp.post("/tasks/<int:task_id>/extensions/<int:extension_id>/decision")
@access.protects("extension_id", access.can_see_extension, access.may_decide_extension)
def decide_extension(task_id: int, extension_id: int):
    task = _task_or_404(task_id)
    ext = _get(ExtensionRequest, extension_id)
    if ext.task_id != task.id:
        raise NotFound()
    access.check(access.may_decide_extension(_user(), ext))
    body = _body("ExtensionDecision")
    task_services.decide_extension(ext, actor=_user(), approve=body["approve"], note=body.get("note", ""),
                                   now=utcnow())
    db.session.commit()
    return jsonify(schemas.extension_json(ext))


# ---------------------------------------------------------------------------
# units and notices


@bp.get("/me")
def get_me():
    """The token's user: what an integration checks first (and the cheapest signed-in request)."""
    return jsonify(schemas.me_json(_user()))


@bp.get("/units")
def list_units():
    """Every unit in tree order: the ids to assign to and filter by."""
    return jsonify({"items": [schemas.unit_json(unit) for unit, _depth in unit_services.unit_tree()]})


@bp.get("/notices")
def list_notices():
    query = notice_services.visible_notices(_user()).options(selectinload(SupervisionNotice.unit))
    unit_id = _int_arg("unit_id")
    if unit_id is not None:
        query = query.where(SupervisionNotice.unit_id == unit_id)
    return jsonify(_page(query, schemas.notice_json))


@bp.get("/notices/<int:notice_id>")
@access.protects("notice_id", access.can_see_notice)
def get_notice(notice_id: int):
    return jsonify(schemas.notice_detail_json(_notice_or_404(notice_id)))


@bp.get("/notices/<int:notice_id>.docx")
@access.protects("notice_id", access.can_see_notice)
def get_notice_docx(notice_id: int):
    notice = _notice_or_404(notice_id)
    return send_document(notice_documents.render_docx(notice), notice_services.download_name(notice, "docx"), "docx")


@bp.get("/notices/<int:notice_id>.pdf")
@access.protects("notice_id", access.can_see_notice)
def get_notice_pdf(notice_id: int):
    notice = _notice_or_404(notice_id)
    return send_document(notice_documents.render_pdf(notice), notice_services.download_name(notice, "pdf"), "pdf")


# ---------------------------------------------------------------------------
# the document and its page


@docs_bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI document of /api/v1."""
    return jsonify(openapi.document())


@docs_bp.get("/docs")
def docs():
    """The operations of the document, for people, rendered here (nothing loaded from elsewhere)."""
    document = openapi.document()
    operations = []
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            operations.append({"method": method.upper(), "path": path, **op})
    return render_template("api/docs.html", document=document, operations=operations,
                           schemas=document["components"]["schemas"])


# ---------------------------------------------------------------------------
# personal tokens


def _expires(value: str) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise api_auth.TokenError(_("有效期应为日期（YYYY-MM-DD）。")) from None
    return timeutil.end_of_day_utc(day)


@tokens_bp.route("", methods=["GET", "POST"])
@login_required
def list_tokens():
    """One's own API tokens; a new token's secret is shown on this response only."""
    secret = None
    if request.method == "POST":
        show_again(lambda: render_template("auth/tokens.html", tokens=api_auth.tokens_of(current_user), secret=None,
                                           now=utcnow()))
        _token, secret = api_auth.create_token(current_user, request.form.get("name", ""), actor=current_user,
                                               now=utcnow(), expires_at=_expires(request.form.get("expires_on")))
        db.session.commit()
        flash(_("令牌已创建。请立即复制保存，离开本页后将无法再次查看。"), "success")
    return render_template("auth/tokens.html", tokens=api_auth.tokens_of(current_user), secret=secret,
                           now=utcnow())


@tokens_bp.post("/<int:token_id>/revoke")
@access.protects("token_id", access.can_see_token, access.can_see_token)
@login_required
def revoke(token_id: int):
    """Revoke one of one's own tokens; it stops working on the next request."""
    token = db.session.get(ApiToken, token_id) if token_id <= MAX_ID else None
    if token is None or token.user_id != current_user.id:
        return render_template("errors/404.html", code=404, title=_("页面不存在"), message=None), 404
    api_auth.revoke_token(token, actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("令牌“%(name)s”已吊销。", name=token.name), "success")
    return redirect(url_for("tokens.list_tokens"))
