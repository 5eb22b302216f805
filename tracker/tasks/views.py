"""Task pages: our tasks, the ledger, the review queue, a task, assignment, the plan matrix."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from tracker import access
from tracker.auth.models import User
from tracker.auth.permissions import staff_required, supervisor_required
from tracker.burden import queries as burden_queries
from tracker.db import utcnow
from tracker.downloads import send_stored_file
from tracker.errors import show_again
from tracker.extensions import db
from tracker.links import services as link_services
from tracker.notices import services as notice_services
from tracker.plans.models import MeasureKind, Plan
from tracker.tasks import filters as task_filters
from tracker.tasks import forms, permissions, queries, services, storage, thumbnails
from tracker.tasks.lights import signal_for
from tracker.tasks.models import (
    AckVia,
    Evidence,
    ExtensionRequest,
    RefusalState,
    ReportingPeriod,
    Task,
    TaskRefusal,
    TaskState,
    UnitRole,
)
from tracker.tasks.progress import progress_class_for
from tracker.timeutil import local_today
from tracker.units import queries as unit_queries
from tracker.units import services as unit_services
from tracker.units.forms import KIND_CHOICES
from tracker.units.models import UnitKind
from tracker.units.services import unit_tree

bp = Blueprint("tasks", __name__)

PER_PAGE = 20


def _me():
    """The signed-in user itself, not the proxy: permission checks read it many times per page."""
    return current_user._get_current_object()


def _warning_days() -> int:
    return int(current_app.config.get("WARNING_DAYS", 7))


def _plan_url(plan: Plan | None) -> str | None:
    return url_for("plans.view_plan", plan_id=plan.id) if plan is not None else None


def _safe_next(default: str) -> str:
    target = request.form.get("next") or request.args.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _load_task(task_id: int) -> Task:
    """The task, or 404 when it does not exist or the user may not see it (no leak of other units)."""
    task = db.session.get(Task, task_id)
    if task is None or not permissions.can_view_task(current_user, task):
        abort(404)
    return task


def _list_page(template: str, endpoint: str, *, with_unit: bool, filters: task_filters.TaskFilters | None = None):
    """A task list; filters that make no sense are explained, and the list is shown unfiltered."""
    today = local_today(utcnow())
    if filters is None:
        show_again(lambda: _list_page(template, endpoint, with_unit=with_unit, filters=task_filters.TaskFilters()))
        filters = task_filters.parse_filters(request.args)
    if not with_unit:
        filters.unit_id = None
    page = forms.parse_int(request.args.get("page")) or 1
    user = _me()
    result = queries.unit_task_page(user, filters, today, page=page, per_page=PER_PAGE,
                                    warning_days=_warning_days())
    plans = access.plan_choices(user)
    units = unit_tree() if with_unit else []
    actions = {row.task.id: services.available_actions(user, row.task, today) for row in result.rows}
    show_unit = with_unit or any(row.task.unit_id != user.unit_id for row in result.rows)
    return render_template(template, result=result, filters=filters, plans=plans, units=units, show_unit=show_unit,
                           states=list(TaskState), endpoint=endpoint, actions=actions,
                           extensions=dict.fromkeys(result.pending, True), today=today,
                           may_set_unit_links=user.unit is not None and access.may_set_unit_links(user, user.unit),
                           returns=queries.return_reasons([row.task.id for row in result.rows
                                                           if row.task.state is TaskState.returned]))


@bp.route("/tasks/mine")
@login_required
def my_tasks():
    """Our unit's tasks, with the next step of each."""
    if not access.is_unit_person(current_user):
        return redirect(url_for(".all_tasks"))
    return _list_page("tasks/my_tasks.html", ".my_tasks", with_unit=False)


@bp.route("/tasks")
@staff_required
def all_tasks():
    """The ledger (台账) of every task the user may see."""
    return _list_page("tasks/list.html", ".all_tasks", with_unit=True)


@bp.route("/tasks/review")
@supervisor_required
def review_queue():
    """Submitted tasks and extension requests waiting for this supervisor, each task with its files
    in view (count, names, a thumbnail of the first), its latest progress and how often it was returned."""
    today = local_today(utcnow())
    queue = queries.review_queue(current_user)
    lights = {t.id: signal_for(t, today, _warning_days()) for t in queue.submitted}
    flags = burden_queries.report_flags(queue.submitted, _me(), latest_only=True)
    files = queries.review_evidence([t.id for t in queue.submitted], _me())
    return render_template("tasks/review.html", queue=queue, lights=lights, flags=flags, today=today, files=files,
                           refusals=queries.pending_refusals(current_user))


def _detail(task: Task, status: int = 200):
    """A task's page: the task (with its measure, plan, unit, owner and extension requests), then
    three statements for its files, reports and history; its refusals; and what only some readers
    see: the unit's people for a lead, reusable files for the unit, flags and live links for a reviewer."""
    now = utcnow()
    today = local_today(now)
    owners = []
    user = _me()
    actions = services.available_actions(user, task, today)
    review = access.may_review(user, task)
    if "owner" in actions:
        owners = list(db.session.scalars(sa.select(User).where(User.unit_id == task.unit_id, User.is_active)
                                         .order_by(User.name)))
    page = queries.task_page(task)
    reported = page.reported_periods
    actions_seen = {item.action: item.data for item in page.timeline if item.kind == "audit"}
    # refusals and the task this one was reassigned from are read only when its history names them
    refusals = queries.task_refusals(task) if "task.refused" in actions_seen else []
    refusal = next((r for r in refusals if r.state is RefusalState.pending), None)
    earlier_id = (actions_seen.get("task.assigned") or {}).get("reassigned_from")
    earlier = db.session.get(Task, earlier_id) if earlier_id else None
    # the banner of a returned task and the files still removable come from the history read above
    returned = None
    if task.state is TaskState.returned:
        entry = next((item for item in reversed(page.timeline) if item.action == "task.returned"), None)
        if entry is not None:
            returned = {"reason": entry.data.get("reason") or "", "at": entry.at, "actor": entry.actor,
                        "count": task.return_count}
    last_submitted = max((item.at for item in page.timeline if item.action == "task.submitted"), default=None)
    report_flags, evidence_flags = [], {}
    if review:
        report_flags = burden_queries.report_flags([task], user).get(task.id, [])
        evidence_flags = burden_queries.evidence_flags(task, page.evidence)
    return render_template(
        "tasks/detail.html", task=task, light=signal_for(task, today, _warning_days()), actions=actions,
        progress=progress_class_for(task, today),
        evidence=page.evidence, reports=page.reports, extensions=page.extensions, pending=page.pending,
        report_flags=report_flags, evidence_flags=evidence_flags, returned=returned,
        deletable=services.deletable_evidence(user, task, page.evidence, last_submitted=last_submitted),
        evidence_periods=services.evidence_periods(task, today) if "evidence" in actions else [],
        report_form=forms.report_defaults(task, page.reports[0] if page.reports else None),
        missing=services.missing_reports(task, today, reported), expected=services.expected_periods(task, today),
        period_key=services.current_period_key(task, today, reported), timeline=page.timeline,
        owners=owners, plan_url=_plan_url(task.plan), today=today,
        may_chase=access.may_chase(user, task) and notice_services.can_chase(task, today),
        refusal=refusal, refusals=refusals, refusal_deadline=services.refusal_deadline(task),
        reassign_units=unit_tree(include_inactive=False) if refusal is not None and review else [],
        links=link_services.live_links(task, now) if review else [], may_revoke=access.may_revoke_links(user, task),
        earlier=earlier,
        now=now,
        can_open_replacement=task.replaced_by is not None and access.can_see_task(user, task.replaced_by),
    ), status


@bp.route("/tasks/<int:task_id>")
@access.protects("task_id", access.can_see_task)
@login_required
def view_task(task_id: int):
    """One task: what, who, when, its files, reports and history, and what the user may do."""
    task = queries.load_task_page(task_id)
    if task is None or not permissions.can_view_task(current_user, task):
        abort(404)
    return _detail(task)


def _perform(task_id: int, action, success: str, *, anchor: str = ""):
    """Run one service call for a task page form: commit and redirect, or roll back and explain."""
    task = _load_task(task_id)
    show_again(lambda: _detail(_load_task(task_id)))
    services.check_version(task, request.form.get("version"))
    action(task)
    db.session.commit()
    flash(success, "success")
    return redirect(_safe_next(url_for(".view_task", task_id=task_id) + anchor))


ACTION_MESSAGES = {
    "start": _l("已开始办理。"), "submit": _l("已提交审核。"), "approve": _l("任务已办结。"),
    "return": _l("任务已退回。"), "cancel": _l("任务已撤销。"),
}


@bp.route("/tasks/<int:task_id>/do/<action>", methods=["POST"])
@access.protects("task_id", access.can_see_task)
@login_required
def act(task_id: int, action: str):
    """A workflow button: start, submit, approve, return (with a reason), cancel (with a reason)."""
    if action not in services.TRANSITIONS:
        abort(404)
    note = request.form.get("note") or request.form.get("reason") or ""
    return _perform(task_id, lambda task: services.transition(task, action, actor=current_user, note=note,
                                                              now=utcnow()),
                    _(ACTION_MESSAGES[action]))


@bp.route("/tasks/<int:task_id>/progress", methods=["POST"])
@access.protects("task_id", access.can_see_task, access.may_work_on)
@login_required
def progress(task_id: int):
    """A progress report (报送进展), optionally with files."""
    form = request.form
    return _perform(task_id, lambda task: services.report_progress(
        task, actor=current_user, text=form.get("text", ""), percent=forms.parse_percent(form.get("percent")),
        period_key=form.get("period_key") or None, files=forms.uploaded_files(request.files),
        proves=form.get("proves") or None, now=utcnow()), _("进展已报送。"), anchor="#reports")


@bp.route("/tasks/<int:task_id>/evidence", methods=["POST"])
@access.protects("task_id", access.can_see_task, access.may_work_on)
@login_required
def evidence(task_id: int):
    """Upload evidence files (佐证材料)."""
    form = request.form
    return _perform(task_id, lambda task: services.add_evidence(
        task, actor=current_user, files=forms.uploaded_files(request.files), note=form.get("note") or None,
        proves=form.get("proves") or None, now=utcnow()), _("材料已上传。"), anchor="#evidence")


@bp.route("/tasks/<int:task_id>/evidence/reuse")
@access.protects("task_id", access.may_work_on)
@login_required
def reuse_picker(task_id: int):
    """The unit's files on its other tasks, to attach to this one (a page of its own, so the task
    page does not read them on every visit)."""
    task = _load_task(task_id)
    if not access.may_work_on(current_user, task):
        abort(404)
    return render_template("tasks/reuse.html", task=task, reusable=queries.reusable_evidence(_me(), task))


@bp.route("/tasks/<int:task_id>/evidence/reuse", methods=["POST"])
@access.protects("task_id", access.can_see_task, access.may_work_on)
@login_required
def reuse(task_id: int):
    """Attach files the unit already uploaded for its other tasks (引用已上传材料)."""
    form = request.form
    return _perform(task_id, lambda task: services.reuse_evidence(
        task, forms.parse_ids(form.getlist("evidence_id")), actor=current_user, proves=form.get("proves") or None,
        note=form.get("note") or None, now=utcnow()), _("材料已引用。"), anchor="#evidence")


@bp.route("/tasks/<int:task_id>/extension", methods=["POST"])
@access.protects("task_id", access.can_see_task, access.may_work_on)
@login_required
def extension(task_id: int):
    """Ask for more time (延期申请)."""
    form = request.form
    return _perform(task_id, lambda task: services.request_extension(
        task, actor=current_user, new_due_on=forms.parse_date(form.get("new_due_on")), reason=form.get("reason", ""),
        now=utcnow()), _("延期申请已提交，等待审核。"))


@bp.route("/tasks/<int:task_id>/deadline", methods=["POST"])
@access.protects("task_id", access.can_see_task, access.may_review)
@login_required
def deadline(task_id: int):
    """Move the deadline in force (the supervisor)."""
    return _perform(task_id, lambda task: services.change_deadline(
        task, forms.parse_date(request.form.get("due_on")), actor=current_user, now=utcnow()), _("时限已调整。"))


@bp.route("/tasks/<int:task_id>/owner", methods=["POST"])
@access.protects("task_id", access.can_see_task, access.may_set_owner)
@login_required
def owner(task_id: int):
    """Name the owner (责任人)."""
    return _perform(task_id, lambda task: services.set_owner(
        task, forms.parse_int(request.form.get("owner_id")), actor=current_user, now=utcnow()), _("责任人已保存。"))


@bp.route("/tasks/<int:task_id>/flags", methods=["POST"])
@access.protects("task_id", access.can_see_task, access.may_review)
@login_required
def flags(task_id: int):
    """Key task and evidence-needed flags (the supervisor)."""
    return _perform(task_id, lambda task: services.set_flags(
        task, is_key=forms.parse_bool(request.form, "is_key"),
        evidence_required=forms.parse_bool(request.form, "evidence_required"), actor=current_user, now=utcnow()),
        _("设置已保存。"))


@bp.route("/tasks/extensions/<int:request_id>/decide", methods=["POST"])
@access.protects("request_id", access.can_see_extension, access.may_decide_extension)
@login_required
def decide(request_id: int):
    """Approve or refuse an extension request."""
    extension_request = db.session.get(ExtensionRequest, request_id)
    if extension_request is None or not permissions.can_view_task(current_user, extension_request.task):
        abort(404)
    approve = request.form.get("decision") == "approve"
    return _perform(extension_request.task_id, lambda task: services.decide_extension(
        extension_request, actor=current_user, approve=approve, note=request.form.get("note", ""), now=utcnow()),
        _("已同意延期。") if approve else _("已不同意延期。"))


@bp.route("/tasks/<int:task_id>/acknowledge", methods=["POST"])
@access.protects("task_id", access.can_see_task, access.may_acknowledge)
@login_required
def acknowledge(task_id: int):
    """签收: the unit confirms it received the task; its clock starts now."""
    return _perform(task_id, lambda task: services.acknowledge(task, actor=current_user, now=utcnow(),
                                                               via=AckVia.signed_in), _("已签收。"))


@bp.route("/tasks/<int:task_id>/refuse", methods=["POST"])
@access.protects("task_id", access.can_see_task, access.may_refuse)
@login_required
def refuse(task_id: int):
    """退回交办: the unit says the task is not theirs, with a reason."""
    return _perform(task_id, lambda task: services.refuse(task, actor=current_user, reason=request.form.get(
        "reason", ""), now=utcnow()), _("已退回，等待督办人处理。"))


@bp.route("/tasks/refusals/<int:refusal_id>/decide", methods=["POST"])
@access.protects("refusal_id", access.can_see_refusal, access.may_decide_refusal)
@login_required
def decide_refusal(refusal_id: int):
    """The supervisor's ruling on a refusal: reassign to another unit, or insist (final)."""
    refusal = db.session.get(TaskRefusal, refusal_id)
    if refusal is None or not permissions.can_view_task(current_user, refusal.task):
        abort(404)
    note = request.form.get("note", "")
    if request.form.get("decision") == "insist":
        return _perform(refusal.task_id, lambda task: services.insist(refusal, actor=current_user, note=note,
                                                                      now=utcnow()), _("已坚持交办。"))
    task_id = refusal.task_id
    show_again(lambda: _detail(_load_task(task_id)))
    new = services.reassign(refusal, forms.parse_int(request.form.get("unit_id")), actor=current_user, note=note,
                            now=utcnow())
    db.session.commit()
    flash(_("已改派给%(unit)s。", unit=new.unit.name), "success")
    return redirect(url_for(".view_task", task_id=new.id))


@bp.route("/tasks/<int:task_id>/links/revoke", methods=["POST"])
@access.protects("task_id", access.can_see_task, access.may_revoke_links)
@login_required
def revoke_links(task_id: int):
    """收回链接: every one-task link of this task stops working."""
    return _perform(task_id, lambda task: link_services.revoke(task, actor=current_user, now=utcnow()),
                    _("已收回此任务的全部邮件链接。"))


@bp.route("/tasks/evidence/<int:evidence_id>")
@access.protects("evidence_id", access.can_see_evidence)
@login_required
def download(evidence_id: int):
    """Download an evidence file under its original (Chinese) name; never shown inline."""
    item = db.session.get(Evidence, evidence_id)
    if item is None or item.is_deleted or not permissions.can_view_task(current_user, item.task):
        abort(404)
    path = storage.existing_path(item.stored_name)
    if path is None:
        abort(404)
    # the opening is what lets this reviewer approve the task from the queue in a batch
    services.record_opening(item, actor=_me(), now=utcnow())
    db.session.commit()
    return send_stored_file(path, mimetype=item.content_type, download_name=item.original_name)


@bp.route("/tasks/evidence/<int:evidence_id>/thumbnail")
@access.protects("evidence_id", access.can_see_evidence)
@login_required
def thumbnail(evidence_id: int):
    """A small picture of a file, drawn here (an image scaled down, a PDF's first page), or an icon."""
    item = db.session.get(Evidence, evidence_id)
    if item is None or item.is_deleted or not permissions.can_view_task(current_user, item.task):
        abort(404)
    return thumbnails.response(item)


@bp.route("/tasks/evidence/<int:evidence_id>/delete", methods=["POST"])
@access.protects("evidence_id", access.can_see_evidence, access.may_remove_evidence)
@login_required
def delete_evidence(evidence_id: int):
    """Remove a wrong file before the task is submitted."""
    item = db.session.get(Evidence, evidence_id)
    if item is None or item.is_deleted or not permissions.can_view_task(current_user, item.task):
        abort(404)
    return _perform(item.task_id, lambda task: services.delete_evidence(item, actor=current_user, now=utcnow()),
                    _("材料已删除。"), anchor="#evidence")


@bp.route("/tasks/review/approve", methods=["POST"])
@supervisor_required
def approve_batch():
    """Approve the ticked tasks of the review queue whose files this reviewer has opened."""
    show_again(review_queue)
    ids = forms.parse_ids(request.form.getlist("task_id"))
    tasks = [task for task in (db.session.get(Task, i) for i in ids)
             if task is not None and permissions.can_view_task(current_user, task)]
    approved = services.approve_many(tasks, actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("已办结 %(n)d 项任务。", n=len(approved)), "success")
    return redirect(url_for(".review_queue"))


# -- assignment and the plan matrix ----------------------------------------------------------

def _load_plan(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None or plan.is_deleted:
        abort(404)
    return plan


#: the most rows one assignment page carries (measures × units)
MAX_PLAN_ROWS = services.MAX_ASSIGNMENTS


def _proposals(plan: Plan, selected: list[int], posted: list[queries.ProposedRow] | None = None
               ) -> list[queries.Proposal]:
    """The selected measures with the tasks their suggestions propose; after a refused POST, with the
    rows as the supervisor sent them instead."""
    directory = unit_queries.directory()
    chosen = [m for m in queries.assignable_measures(plan)
              if m.id in set(selected) and m.kind is not MeasureKind.heading]
    proposals = [queries.propose(m, directory) for m in chosen]
    if posted is not None:
        by_measure: dict[int, list[queries.ProposedRow]] = {}
        for row in posted:
            by_measure.setdefault(row.measure_id, []).append(row)
        for proposal in proposals:
            proposal.rows = by_measure.get(proposal.measure.id, [])
    return proposals


def _assign_page(plan: Plan, status: int = 200, *, selected_measures: set[int], selected_units: set[int],
                 values: dict, proposals: list[queries.Proposal] | None = None, plan_values: dict | None = None):
    measures = queries.assignable_measures(plan)
    tree = unit_tree(include_inactive=False)
    people = list(db.session.scalars(sa.select(User).where(access.assignable_people_condition())
                                     .order_by(User.unit_id, User.name)))
    rollup = queries.measure_rollup(plan.id)
    directory = unit_queries.directory()
    proposals = proposals or []
    rows = [row for proposal in proposals for row in proposal.rows if row.unit_id is not None and row.keep]
    counts = {"total": len(rows), "lead": sum(1 for r in rows if r.role is UnitRole.lead)}
    counts["support"] = counts["total"] - counts["lead"]
    return render_template("tasks/assign.html", plan=plan, measures=measures, tree=tree, people=people,
                           selected_measures=selected_measures, selected_units=selected_units, values=values,
                           rollup=rollup, heading=MeasureKind.heading, county=UnitKind.county,
                           township=UnitKind.township,
                           role_choices=forms.ROLE_CHOICES, period_choices=forms.PERIOD_CHOICES,
                           proposals=proposals, counts=counts, plan_values=plan_values or PLAN_DEFAULTS,
                           unmatched=queries.unmatched_names(plan, directory),
                           unit_options=[label for label, _unit in directory.labelled()] if proposals else [],
                           new_unit_kinds=NEW_UNIT_KINDS, lead=UnitRole.lead,
                           plan_url=_plan_url(plan), today=local_today(utcnow())), status


PLAN_DEFAULTS = {"evidence_required": True, "is_key": False}
#: the kinds a name that matched nothing may become, as the mapping panel offers them
NEW_UNIT_KINDS = [(UnitKind.department, _l("新建为部门")), (UnitKind.county, _l("新建为县区")),
                  (UnitKind.township, _l("新建为乡镇（街道）"))]


def _posted_rows(form, directory: unit_queries.UnitDirectory) -> tuple[list[queries.ProposedRow], list[str]]:
    """The rows of the assignment list as sent, in order (unit-less rows kept, to show them again), and
    the unit names typed that mean no one unit. A row names its unit by id (``row-N-unit``) or by the
    name picked from the page's list (``row-N-unit_name``)."""
    count = min(forms.parse_int(form.get("rows")) or 0, MAX_PLAN_ROWS)
    rows, unknown = [], []
    for i in range(count):
        measure_id = forms.parse_int(form.get(f"row-{i}-measure"))
        if measure_id is None:
            continue
        role = forms.parse_role(form.get(f"row-{i}-role"))
        keep = forms.parse_bool(form, f"row-{i}-keep")
        unit_id = forms.parse_int(form.get(f"row-{i}-unit"))
        label = (form.get(f"row-{i}-unit_name") or "").strip()[:200]
        if unit_id is None and label:
            unit = directory.resolve(label)
            if unit is not None:
                unit_id, label = unit.id, directory.label(unit)
            elif keep:
                unknown.append(label)
        elif unit_id is not None and unit_id in directory.by_id:
            label = directory.label(directory.by_id[unit_id])
        rows.append(queries.ProposedRow(
            measure_id=measure_id, unit_id=unit_id, role=role or UnitRole.lead,
            due_on=form.get(f"row-{i}-due_on", "")[:20],
            reporting_period=(forms.parse_period(form.get(f"row-{i}-period")) or ReportingPeriod.once).value,
            unit_label=label, written=form.get(f"row-{i}-written", "")[:200], keep=keep))
    return rows, unknown


def _assign_plan(plan: Plan):
    """POST of the assignment list: every kept row with a unit becomes a task, in one transaction."""
    form = request.form
    rows, unknown = _posted_rows(form, unit_queries.directory())
    plan_values = {"evidence_required": forms.parse_bool(form, "evidence_required"),
                   "is_key": forms.parse_bool(form, "is_key")}
    entries = [services.Assignment(measure_id=row.measure_id, unit_id=row.unit_id, role=row.role,
                                   due_on=forms.parse_date(row.due_on),
                                   reporting_period=ReportingPeriod(row.reporting_period))
               for row in rows if row.keep and row.unit_id is not None]
    plan_id = plan.id

    def again():
        fresh = _load_plan(plan_id)
        selected = list(dict.fromkeys(row.measure_id for row in rows))
        return _assign_page(fresh, 422, selected_measures=set(selected), selected_units=set(),
                            values=dict(MANUAL_DEFAULTS), proposals=_proposals(fresh, selected, rows),
                            plan_values=plan_values)

    show_again(again, 422)
    if unknown:
        raise services.TaskError(_("单位“%(name)s”不在单位目录中，请从列表中选择。", name=unknown[0]))
    tasks = services.assign_many(plan, entries, is_key=plan_values["is_key"],
                                 evidence_required=plan_values["evidence_required"], actor=current_user,
                                 now=utcnow())
    db.session.commit()
    flash(_("已交办 %(n)d 项任务。", n=len(tasks)), "success")
    return redirect(url_for(".matrix", plan_id=plan.id))


MANUAL_DEFAULTS = {"role": "lead", "reporting_period": "once", "evidence_required": True, "is_key": False,
                   "due_on": ""}


@bp.route("/plans/<int:plan_id>/assign", methods=["GET", "POST"])
@access.protects("plan_id", access.may_assign, access.may_assign)
@login_required
def assign(plan_id: int):
    """Hand measures to units (分解交办): the selected measures as the plan says (each with its own
    units, roles, deadline and period, pre-filled from the suggestions), or many measures × many
    units with one role and deadline picked by hand."""
    plan = _load_plan(plan_id)
    if not permissions.can_assign(current_user, plan):
        abort(403)
    if request.method == "GET":
        if request.args.get("all"):
            # the measures not yet handed out: re-confirming assigned ones would reset what was changed since
            measures = [m for m in queries.assignable_measures(plan) if m.kind is not MeasureKind.heading]
            assigned = queries.measure_rollup(plan.id)
            selected = [m.id for m in measures if m.id not in assigned] or [m.id for m in measures]
        else:
            selected = forms.parse_ids(request.args.getlist("measure_id"))
        return _assign_page(plan, selected_measures=set(selected), selected_units=set(),
                            values=dict(MANUAL_DEFAULTS), proposals=_proposals(plan, selected))
    if request.form.get("mode") == "plan":
        return _assign_plan(plan)

    form = request.form
    measure_ids = forms.parse_ids(form.getlist("measure_id"))
    unit_ids = forms.parse_ids(form.getlist("unit_id"))
    owner_id = forms.parse_int(form.get("owner_id"))
    values = {"role": form.get("role", "lead"), "reporting_period": form.get("reporting_period", "once"),
              "evidence_required": forms.parse_bool(form, "evidence_required"),
              "is_key": forms.parse_bool(form, "is_key"), "due_on": form.get("due_on", ""), "owner_id": owner_id}
    show_again(lambda: _assign_page(_load_plan(plan_id), selected_measures=set(measure_ids),
                                    selected_units=set(unit_ids), values=values))
    owner_by_unit = None
    if owner_id is not None:
        owner_user = db.session.get(User, owner_id)
        if owner_user is None or owner_user.unit_id is None:
            raise services.TaskError(_("责任人必须是该责任单位的人员。"))
        owner_by_unit = {owner_user.unit_id: owner_user.id}
    tasks = services.assign(
        plan, measure_ids, unit_ids, role=forms.parse_role(form.get("role")) or UnitRole.lead,
        due_on=forms.parse_date(form.get("due_on")),
        reporting_period=forms.parse_period(form.get("reporting_period")) or ReportingPeriod.once,
        is_key=values["is_key"], evidence_required=values["evidence_required"], owner_by_unit=owner_by_unit,
        actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("已交办 %(n)d 项任务。", n=len(tasks)), "success")
    return redirect(url_for(".matrix", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/assign/names", methods=["POST"])
@access.protects("plan_id", access.may_assign, access.may_assign)
@login_required
def map_names(plan_id: int):
    """Place the unit names the plan uses that matched no unit: each becomes an alias of the unit
    chosen (remembered for every later plan) or a new unit."""
    plan = _load_plan(plan_id)
    access.check(access.may_assign(current_user, plan))
    form = request.form
    choices = []
    for i in range(min(forms.parse_int(form.get("names")) or 0, 500)):
        name, choice = form.get(f"name-{i}", ""), form.get(f"choice-{i}", "")
        kind, _sep, value = choice.partition(":")
        if kind == "unit" and value.isdigit():
            choices.append(unit_services.NameChoice(name, unit_id=int(value)))
        elif kind == "new" and value in UnitKind.__members__:
            choices.append(unit_services.NameChoice(name, new_kind=UnitKind(value)))
    back = url_for(".assign", plan_id=plan.id, measure_id=forms.parse_ids(form.getlist("measure_id")))
    show_again(lambda: redirect(back))
    units = unit_services.resolve_names(choices, actor=current_user, now=utcnow(), context={"plan_id": plan.id})
    db.session.commit()
    flash(_("已记住 %(n)d 个单位名称。", n=len(units)), "success")
    return redirect(back)


@bp.route("/plans/<int:plan_id>/matrix")
@access.protects("plan_id", access.can_see_plan_tasks)
@login_required
def matrix(plan_id: int):
    """Measures × units: each cell's state and light, each measure's 办结 count."""
    plan = _load_plan(plan_id)
    if not permissions.can_view_plan_tasks(current_user, plan):
        abort(403)
    today = local_today(utcnow())
    page = forms.parse_int(request.args.get("page")) or 1
    grid = queries.plan_matrix(plan, current_user, today=today, warning_days=_warning_days(),
                               kind=request.args.get("kind") or None, page=page)
    return render_template("tasks/matrix.html", plan=plan, grid=grid, heading=MeasureKind.heading,
                           can_assign=permissions.can_assign(current_user, plan), plan_url=_plan_url(plan),
                           kind_labels=dict(KIND_CHOICES), task_url=url_for(".view_task", task_id=0)[:-1])
