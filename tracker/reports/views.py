"""Dashboards, the 台账 export, the 通报, the summary report and the bulk import pages."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, quote_plus

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import access, timeutil
from tracker.auth.permissions import staff_required, unit_people_required
from tracker.db import retry_on_conflict
from tracker.downloads import send_document
from tracker.errors import show_again
from tracker.extensions import db
from tracker.plans.models import Plan
from tracker.reports import bulletin, exports, ledger, progress_counts, queries, summary
from tracker.tasks import filters as task_filters

bp = Blueprint("reports", __name__)

def _now() -> datetime:
    return timeutil.utcnow()


def task_link(**params) -> str | None:
    """A link to the task list behind a number (its filters: tracker.tasks.filters)."""
    # hundreds of links per dashboard: build the list's URL once per request, and quote only text
    # (the numbers and ids need none)
    base = g.get("_task_list_url")
    if base is None:
        base = g._task_list_url = url_for("tasks.all_tasks")
    args = sorted((k, v) for k, v in params.items() if v is not None and v != "" and v is not False)
    if not args:
        return base
    return base + "?" + "&".join(f"{k}={v}" if type(v) is int else f"{k}={quote_plus(str(v))}" for k, v in args)


def view_task_link(task_id: int) -> str:
    return url_for("tasks.view_task", task_id=task_id)


@bp.app_context_processor
def _helpers() -> dict:
    return {"task_link": task_link, "view_task_link": view_task_link}


def _back_to_list(args: dict | None = None):
    """Back to the task list the user came from, with the same filters."""
    if access.is_unit_person(current_user):
        return redirect(url_for("tasks.my_tasks", **(args or {})))
    return redirect(url_for("tasks.all_tasks", **(args or {})))


# --------------------------------------------------------------------------- dashboards

@bp.route("/dashboard")
@staff_required
def dashboard():
    """Supervisors', leaders' and admins' overview: per plan, per unit, trend."""
    now = _now()
    plan_id = request.args.get("plan_id", "")
    if plan_id and not plan_id.isdigit():
        flash(_("筛选条件“%(label)s”的值 %(value)s 无效。", label=_("计划"), value=plan_id[:40]), "danger")
        return redirect(url_for(".dashboard"))
    plan_id = int(plan_id) if plan_id else None
    sort = request.args.get("sort", "rate")
    period = "month" if request.args.get("trend") == "month" else "week"
    data = queries.dashboard(current_user, now, plan_id)
    ranking = queries.rank_units(data.units, sort)
    points = queries.trend(current_user, now, period, 12, plan_id)
    progress = progress_counts.progress_tally(current_user, now, plan_id)
    return render_template("reports/dashboard.html", data=data, ranking=ranking, points=points, sort=sort,
                           progress=progress,
                           trend_unit=period, plan_id=plan_id, plans=queries.visible_plans(current_user),
                           sorts=queries.RANKING_SORTS)


@bp.route("/dashboard/unit")
@unit_people_required
def unit_dashboard():
    """A unit's open, due-soon and overdue tasks, with what to do next."""
    now = _now()
    groups = queries.unit_tasks(current_user, now)
    return render_template("reports/unit_dashboard.html", groups=groups, next_step=queries.next_step,
                           today=timeutil.local_today(now))


# --------------------------------------------------------------------------- the ledger



def _ledger_name(ext: str) -> str:
    return f"{_('任务台账')}-{timeutil.local_today(_now()).isoformat()}.{ext}"


LEDGER_FORMATS = {
    # written by XlsxWriter to a temporary file, then streamed
    "xlsx": (lambda found: exports.xlsx_chunks(found.values, ledger.headers(), ledger.widths(), ledger.kinds(),
                                               title=found.title, today=found.today),
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    # streamed as it is written
    "csv": (lambda found: exports.csv_chunks(found.values, ledger.headers(), title=found.title, today=found.today),
            "text/csv; charset=utf-8"),
}


def _ledger(ext: str):
    show_again(_back_to_list)
    filters = task_filters.parse_filters(request.args)
    now = _now()
    if not queries.ledger_count(current_user, filters, now):
        flash(_("没有符合条件的任务，未生成台账。"), "warning")
        return _back_to_list(filters.as_args())
    found = ledger.export(current_user, filters, now, queries.warning_days(), queries.visible_condition(current_user))
    write, mimetype = LEDGER_FORMATS[ext]
    response = Response(stream_with_context(write(found)), mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=ledger.{ext}; filename*=UTF-8''{quote(_ledger_name(ext))}")
    return response


@bp.route("/reports/ledger.xlsx")
@login_required
def ledger_xlsx():
    """The 台账 as Excel, with the task list's filters."""
    return _ledger("xlsx")


@bp.route("/reports/ledger.csv")
@login_required
def ledger_csv():
    """The 台账 as CSV (UTF-8 with BOM), with the task list's filters."""
    return _ledger("csv")


# --------------------------------------------------------------------------- the bulletin

@bp.route("/reports/bulletin")
@staff_required
def bulletin_page():
    """Pick a period; with one given, download the 通报 as .docx (or PDF with format=pdf). The
    period's number is taken the first time, so the view commits."""
    args = request.args
    if not any(args.get(k) for k in ("period", "start", "end")):
        return render_template("reports/bulletin.html", error=None, args=args)
    show_again(lambda: render_template("reports/bulletin.html", error=None, args=args))
    period = bulletin.parse_period(args.get("period"), args.get("start"), args.get("end"))
    now = _now()
    number = retry_on_conflict(lambda: bulletin.bulletin_number(period, actor=current_user, now=now))
    data = bulletin.bulletin_data(current_user, period, now)
    name = f"{number.number_label}-{_('通报')}-{period.key}"
    if args.get("format") == "pdf":
        return send_document(bulletin.bulletin_pdf(data, number), f"{name}.pdf", "pdf")
    return send_document(bulletin.bulletin_docx(data, number), f"{name}.docx", "docx")


# --------------------------------------------------------------------------- the summary report

def _summary_for(plan_id: int):
    plan = db.session.get(Plan, plan_id)
    if plan is None or plan.is_deleted:
        abort(404)
    raw = request.args.get("unit_id", "")
    if raw and not raw.isdigit():
        abort(400)
    unit_id = int(raw) if raw else None
    unit_id = access.summary_unit(current_user, unit_id)
    if not access.can_see_summary(current_user, plan, unit_id):
        abort(403)
    return summary.build_summary(current_user, plan, _now(), unit_id)


@bp.route("/plans/<int:plan_id>/summary")
@access.protects("plan_id", access.can_see_plan_summary)
@login_required
def plan_summary(plan_id: int):
    """The 落实情况报告 of a plan, or of one unit's share of it."""
    report = _summary_for(plan_id)
    return render_template("reports/summary.html", report=report)


@bp.route("/plans/<int:plan_id>/summary.docx")
@access.protects("plan_id", access.can_see_plan_summary)
@login_required
def plan_summary_docx(plan_id: int):
    report = _summary_for(plan_id)
    return send_document(summary.summary_docx(report), f"{report.plan.title[:60]}-{_('落实情况报告')}.docx", "docx")


@bp.route("/plans/<int:plan_id>/summary.pdf")
@access.protects("plan_id", access.can_see_plan_summary)
@login_required
def plan_summary_pdf(plan_id: int):
    report = _summary_for(plan_id)
    return send_document(summary.summary_pdf(report), f"{report.plan.title[:60]}-{_('落实情况报告')}.pdf", "pdf")
