"""督办单 pages: the list, issuing, the printable notice, Word/PDF downloads, the unit's feedback."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import access, timeutil
from tracker.auth.permissions import supervisor_required
from tracker.db import retry_on_conflict
from tracker.downloads import send_document
from tracker.errors import show_again
from tracker.extensions import db
from tracker.notices import documents, services
from tracker.notices.models import SupervisionNotice
from tracker.tasks import labels
from tracker.tasks.models import Task
from tracker.units.models import Unit

bp = Blueprint("notices", __name__, url_prefix="/notices")


def _list_context(**extra) -> dict:
    period = services.normalise_period(request.args.get("period") or "")
    query = services.visible_notices(current_user)
    if period:
        # the period's 督办单 and its 补发督办单 (2026-H1+1, …)
        query = query.where(sa.or_(SupervisionNotice.period_key == period,
                                   SupervisionNotice.period_key.like(f"{period}+%")))
    page = db.paginate(query, per_page=50, error_out=False)
    today = timeutil.local_today()
    units = list(db.session.scalars(
        sa.select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.sort_order, Unit.code)))
    return {"page": page, "period": period, "default_period": services.current_period(today), "units": units,
            "today": today, "can_issue": access.may_issue_notices(current_user), **extra}


@bp.route("/")
@login_required
def list_notices():
    return render_template("notices/list.html", **_list_context())


@bp.route("/issue", methods=["POST"])
@supervisor_required
def issue():
    period = services.normalise_period(request.form.get("period") or "")
    unit_id = request.form.get("unit_id") or ""
    unit_ids = [int(unit_id)] if unit_id.isdigit() else None
    supplement = request.form.get("supplement") == "1"
    issue_service = services.issue_supplements if supplement else services.issue_notices
    now = timeutil.utcnow()
    show_again(lambda: render_template("notices/list.html", **_list_context()), 422)
    # a concurrent issue of the same period: wait for it, then issue what it left
    notices = retry_on_conflict(lambda: issue_service(period, unit_ids=unit_ids, actor=current_user, now=now))
    if notices:
        label = _("补发督办单") if supplement else _("督办单")
        flash(_("已印发 %(n)d 份%(label)s：%(numbers)s", n=len(notices), label=label,
                numbers="、".join(n.number_label for n in notices)), "success")
    elif supplement:
        flash(_("没有需要补发的督办单：本期督办单印发后没有新交办的未办结任务。"), "info")
    else:
        flash(_("没有需要印发的督办单：相关单位本期已印发或没有未办结任务。"), "info")
    return redirect(url_for(".list_notices", period=period))


def _notice(notice_id: int) -> SupervisionNotice:
    notice = db.session.get(SupervisionNotice, notice_id)
    if notice is None:
        abort(404)
    if not access.can_see_notice(current_user, notice):
        abort(403)
    return notice


def _render(notice: SupervisionNotice, status: int = 200):
    return render_template("notices/notice.html", notice=notice, answers=services.answers_for(notice),
                           can_answer=access.may_answer_notice(current_user, notice), intro=documents.intro(notice),
                           cn_date=services.cn_date, light_labels=labels.translated(labels.LIGHT_LABELS)), status


@bp.route("/<int:notice_id>")
@access.protects("notice_id", access.can_see_notice)
@login_required
def show(notice_id: int):
    return _render(_notice(notice_id))


@bp.route("/<int:notice_id>/answer", methods=["POST"])
@access.protects("notice_id", access.can_see_notice, access.may_answer_notice)
@login_required
def answer(notice_id: int):
    notice = _notice(notice_id)
    answers: dict[int, tuple[str, int | None]] = {}
    for item in notice.items:
        text = request.form.get(f"text-{item.id}", "")
        raw = (request.form.get(f"percent-{item.id}") or "").strip()
        if raw and not raw.isdigit():
            flash(_("完成进度必须是 0 到 100 之间的整数。"), "danger")
            return _render(notice, 422)
        answers[item.id] = (text, int(raw) if raw else None)
    show_again(lambda: _render(_notice(notice_id)))
    services.answer_notice(notice, answers, actor=current_user, now=timeutil.utcnow())
    db.session.commit()
    flash(_("反馈已提交。"), "success")
    return redirect(url_for(".show", notice_id=notice_id))


@bp.route("/<int:notice_id>.docx")
@access.protects("notice_id", access.can_see_notice)
@login_required
def docx(notice_id: int):
    notice = _notice(notice_id)
    return send_document(documents.render_docx(notice), services.download_name(notice, "docx"), "docx")


@bp.route("/<int:notice_id>.pdf")
@access.protects("notice_id", access.can_see_notice)
@login_required
def pdf(notice_id: int):
    notice = _notice(notice_id)
    return send_document(documents.render_pdf(notice), services.download_name(notice, "pdf"), "pdf")


@bp.route("/chase/<int:task_id>", methods=["POST"])
@access.protects("task_id", access.can_see_task, access.may_chase)
@supervisor_required
def chase(task_id: int):
    task = db.session.get(Task, task_id)
    if task is None:
        abort(404)
    now = timeutil.utcnow()
    show_again(lambda: redirect(url_for("tasks.view_task", task_id=task_id)))
    notice = retry_on_conflict(lambda: services.issue_chase_notice(task, actor=current_user, now=now))
    flash(_("已发出%(number)s。", number=notice.number_label), "success")
    return redirect(url_for(".show", notice_id=notice.id))
