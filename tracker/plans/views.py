"""Plan pages: list, import (paste/upload → preview → correct → save), plan page, edits."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from tracker import access
from tracker.auth.permissions import supervisor_required
from tracker.db import utcnow
from tracker.errors import show_again
from tracker.extensions import db
from tracker.plans import queries, services, storage, validation
from tracker.plans.forms import ActionForm, ImportForm, OutlineForm, PlanForm, SaveForm
from tracker.plans.models import MeasureKind, Plan, PlanState
from tracker.tasks import queries as task_queries
from tracker.units import queries as unit_queries

bp = Blueprint("plans", __name__, url_prefix="/plans")

PER_PAGE = 30
BIG_FORM_ENDPOINTS = {"plans.import_plan", "plans.save_import", "plans.edit_outline"}


@bp.url_value_preprocessor
def _allow_big_forms(endpoint: str | None, values: dict | None) -> None:
    """A pasted plan and its edited outline are form fields far above Flask's 500 kB default.

    This runs before any before_request (CSRF reads the form there), so the limit applies.
    """
    if endpoint in BIG_FORM_ENDPOINTS:
        request.max_form_memory_size = storage.max_upload_bytes() * 4


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    """A friendly page instead of a bare 413 when an upload is over MAX_CONTENT_LENGTH."""
    if request.endpoint not in BIG_FORM_ENDPOINTS or not access.may_import_plans(current_user):
        return render_template("errors/error.html", code=413, title=_("上传的文件过大"), message=None), 413
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = _("上传的文件过大（上限 %(limit)d MB），请拆分或压缩后重试。", limit=max(1, limit // (1024 * 1024)))
    return render_template("plans/import.html", form=ImportForm(formdata=None), error=message), 413


def _plan_or_404(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None or plan.is_deleted:
        abort(404)
    return plan


def _viewable(plan_id: int, rule=access.can_see_plan) -> Plan:
    plan = _plan_or_404(plan_id)
    if not rule(current_user, plan):
        abort(403)
    return plan


def _editable(plan_id: int) -> Plan:
    plan = _plan_or_404(plan_id)
    if not access.may_edit_plan(current_user, plan):
        abort(403)
    return plan


@bp.route("/")
@login_required
def list_plans():
    """The plans this user may see, by state."""
    state = request.args.get("state") or ""
    query = access.visible_plans(current_user)
    if state in PlanState.__members__:
        query = query.where(Plan.state == PlanState(state))
    else:
        state = ""
    page = db.paginate(query.order_by(Plan.created_at.desc(), Plan.id.desc()), per_page=PER_PAGE,
                       error_out=False)
    counts = queries.state_counts(current_user)
    return render_template("plans/list.html", page=page, plans=page.items, state=state, counts=counts,
                           total=sum(counts.values()), measure_counts=queries.measure_counts(page.items),
                           can_import=access.may_import_plans(current_user), states=list(PlanState))


@bp.route("/import", methods=["GET", "POST"])
@supervisor_required
def import_plan():
    """Paste or upload a plan; POST parses it and shows the preview to correct."""
    form = ImportForm()
    if request.method == "GET":
        return render_template("plans/import.html", form=form, error=None)
    if not form.validate():
        message = "；".join(str(e) for errors in form.errors.values() for e in errors)
        return render_template("plans/import.html", form=form, error=message), 400
    upload = request.files.get("file")
    data = filename = None
    show_again(lambda: render_template("plans/import.html", form=form, error=None))
    if upload is not None and upload.filename:
        filename = upload.filename
        data = storage.read_limited(upload.stream)
    text = None if data is not None else (form.text.data or "")
    outline = queries.preview(data, filename, text)
    lines = queries.source_lines(data, filename, text)
    token = storage.stash_upload(data, filename) if data is not None else ""
    edited = queries.outline_to_edit(outline)
    return _render_preview(edited, lines, token=token, filename=filename, source_text=text or "")


def _render_preview(edited: dict[str, Any], lines: list[str], *, token: str, filename: str | None,
                    source_text: str, error: str | None = None, status: int = 200):
    outline_json = json.dumps(edited, ensure_ascii=False)
    form = SaveForm(formdata=None, outline_json=outline_json, source_text=source_text, token=token)
    hits: set[int] = set()
    starts: set[int] = set()
    for plan in edited.get("plans", []):
        for item in _walk_dicts(plan.get("items", [])):
            start, end = item.get("start_line"), item.get("end_line")
            if isinstance(start, int):
                starts.add(start)
                hits.update(range(start, (end if isinstance(end, int) and end >= start else start) + 1))
    items = [item for plan in edited.get("plans", []) for item in _walk_dicts(plan.get("items", []))]
    directory = unit_queries.directory()
    names = {name for item in items for key in task_queries.UNIT_KEYS
             for name in (item.get(key) if isinstance(item.get(key), list) else []) if isinstance(name, str)}
    unmatched = sorted(name for name in names if not directory.match(name).matched)
    return render_template(
        "plans/preview.html", form=form, edited=edited, outline_json=outline_json, lines=lines, hits=hits,
        starts=starts, filename=filename, error=error, item_count=len(items), max_items=validation.MAX_ITEMS,
        doubt_count=sum(1 for item in items if queries.doubts(item)), doubt_below=validation.DOUBT_BELOW,
        unmatched_units=unmatched,
    ), status


@bp.app_template_global("plan_doubts")
def _plan_doubts(item: Any) -> set[str]:
    """What the parser doubts of an outline item (the preview's and the plan page's marks)."""
    return queries.doubts(item)


def _walk_dicts(items: Any):
    if not isinstance(items, list):
        return
    for item in items:
        if isinstance(item, dict):
            yield item
            yield from _walk_dicts(item.get("children"))


@bp.route("/import/save", methods=["POST"])
@supervisor_required
def save_import():
    """Save the reviewed outline as draft plans; nothing is saved unless all of it is valid."""
    form = SaveForm()
    token = form.token.data or ""
    stashed = storage.load_upload(token) if token else None
    if token and stashed is None:
        return render_template("plans/import.html", form=ImportForm(formdata=None),
                               error=_("上传的文件已过期，请重新上传。")), 400
    if stashed is not None:
        lines = queries.source_lines(stashed[0], stashed[1], None)
        source_text = "\n".join(lines)
    else:
        source_text = form.source_text.data or ""
        lines = source_text.split("\n")

    def again():
        edited = _edited_or_reparsed(form.outline_json.data, stashed, source_text)
        if edited is None:
            return render_template("plans/import.html", form=ImportForm(formdata=None), error=None)
        return _render_preview(edited, lines, token=token, filename=stashed[1] if stashed else None,
                               source_text="" if stashed else source_text)

    show_again(again)
    if not form.validate():
        raise validation.OutlineError([str(e) for errors in form.errors.values() for e in errors])
    plans = services.import_plan(form.outline_json.data, source_text=source_text, source_file=stashed,
                                 actor=current_user, now=utcnow())
    db.session.commit()
    storage.drop_upload(token)
    flash(_("已导入 %(n)d 份计划（草稿），请核对后启用。", n=len(plans)), "success")
    directory = unit_queries.directory()
    unmatched = {name for plan in plans for name, _count in task_queries.unmatched_names(plan, directory)}
    if unmatched:
        flash(_("计划中有 %(n)d 个单位名称在单位目录中找不到（如“%(name)s”），分解交办时请先指定对应单位。",
                n=len(unmatched), name=sorted(unmatched)[0]), "warning")
    return redirect(url_for(".view_plan", plan_id=plans[0].id))


def _edited_or_reparsed(raw: str | None, stashed: tuple[bytes, str] | None, source_text: str) -> dict | None:
    """What to show again after a refused save: the user's edits if readable, else a fresh parse."""
    try:
        edited = json.loads(raw or "")
        if isinstance(edited, dict) and isinstance(edited.get("plans"), list):
            return edited
    except (ValueError, RecursionError):
        pass
    try:
        outline = queries.preview(stashed[0] if stashed else None, stashed[1] if stashed else None,
                                   None if stashed else source_text)
    except validation.PlanError:
        return None
    return queries.outline_to_edit(outline)


@bp.route("/<int:plan_id>")
@access.protects("plan_id", access.can_see_plan)
@login_required
def view_plan(plan_id: int):
    """The plan page: metadata, state, the outline with suggestions, links onward."""
    return _render_plan(_viewable(plan_id))


def _render_plan(plan: Plan, status: int = 200):
    return render_template(
        "plans/view.html", plan=plan, can_edit=access.may_edit_plan(current_user, plan),
        is_staff=access.can_see_plan_tasks(current_user, plan), action_form=ActionForm(),
        in_use=queries.measures_with_tasks(plan), transitions=services.STATE_TRANSITIONS[plan.state],
        progress=queries.measure_progress(plan, current_user),
        MeasureKind=MeasureKind, PlanState=PlanState,
    ), status


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@access.protects("plan_id", access.may_edit_plan, access.may_edit_plan)
@supervisor_required
def edit_plan(plan_id: int):
    """Correct the title, 文号, 发文单位 and date."""
    plan = _editable(plan_id)
    form = PlanForm(obj=plan)
    if request.method == "POST":
        if not form.validate():
            return render_template("plans/edit.html", form=form, plan=plan), 422
        show_again(lambda: render_template("plans/edit.html", form=form, plan=_editable(plan_id)))
        services.update_plan(plan, form.title.data or "", form.issuer.data, form.doc_number.data,
                             form.issued_on.data, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("计划信息已保存。"), "success")
        return redirect(url_for(".view_plan", plan_id=plan.id))
    return render_template("plans/edit.html", form=form, plan=plan)


@bp.route("/<int:plan_id>/state/<state>", methods=["POST"])
@access.protects("plan_id", access.may_edit_plan, access.may_edit_plan)
@supervisor_required
def change_state(plan_id: int, state: str):
    """启用 / 归档 / 退回草稿."""
    plan = _editable(plan_id)
    form = ActionForm()
    if state not in PlanState.__members__ or not form.validate():
        abort(400)
    show_again(lambda: _render_plan(_plan_or_404(plan_id)))
    services.set_state(plan, PlanState(state), actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("计划状态已更新。"), "success")
    return redirect(url_for(".view_plan", plan_id=plan.id))


@bp.route("/<int:plan_id>/outline", methods=["GET", "POST"])
@access.protects("plan_id", access.may_edit_plan, access.may_edit_plan)
@supervisor_required
def edit_outline(plan_id: int):
    """Correct the saved outline; measures that already have tasks stay."""
    plan = _editable(plan_id)
    form = OutlineForm()
    if request.method == "POST":
        show_again(lambda: _outline_page(_editable(plan_id), _posted_items(form.outline_json.data)))
        if not form.validate():
            raise validation.OutlineError([str(e) for errors in form.errors.values() for e in errors])
        services.edit_outline(plan, form.outline_json.data, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("提纲已更新。"), "success")
        return redirect(url_for(".view_plan", plan_id=plan.id))
    return _outline_page(plan, None)


def _posted_items(raw: str | None) -> Any:
    """The items of a refused outline as the user sent them, to correct; None if unreadable."""
    try:
        posted = json.loads(raw or "")
    except (ValueError, RecursionError):
        return None
    return posted.get("items") if isinstance(posted, dict) else None


def _outline_page(plan: Plan, items: Any):
    if items is None:
        items = queries.measure_tree(plan)
    edited = {"plans": [{"title": plan.title, "items": items}]}
    outline_json = json.dumps(edited, ensure_ascii=False)
    form = OutlineForm(formdata=None, outline_json=json.dumps({"items": items}, ensure_ascii=False))
    lines = (plan.source_text or "").split("\n")
    return render_template("plans/outline_edit.html", plan=plan, form=form, outline_json=outline_json,
                           edited=edited, error=None, lines=lines, doubt_below=validation.DOUBT_BELOW,
                           in_use=sorted(queries.measures_with_tasks(plan)))


@bp.route("/<int:plan_id>/source")
@access.protects("plan_id", access.can_see_plan_tasks)
@login_required
def source_text(plan_id: int):
    """The source text, with the lines that became measures highlighted."""
    plan = _viewable(plan_id, access.can_see_plan_tasks)
    hits: set[int] = set()
    starts: set[int] = set()
    for m in plan.measures:
        if m.source_start_line is not None:
            starts.add(m.source_start_line)
            hits.update(range(m.source_start_line, max(m.source_end_line or 0, m.source_start_line) + 1))
    return render_template("plans/source.html", plan=plan, lines=(plan.source_text or "").split("\n"),
                           hits=hits, starts=starts)


@bp.route("/<int:plan_id>/source/file")
@access.protects("plan_id", access.can_see_plan_tasks)
@login_required
def source_file(plan_id: int):
    """The uploaded file as it was sent, under its original name."""
    plan = _viewable(plan_id, access.can_see_plan_tasks)
    path = storage.source_path(plan)
    if path is None:
        abort(404)
    try:
        return send_file(path, as_attachment=True, download_name=plan.source_filename or plan.source_stored_name)
    except FileNotFoundError:
        abort(404)
