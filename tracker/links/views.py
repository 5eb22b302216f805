"""The one-task link pages: open one task from an email, without an account, on a phone.

The token in the URL is the only credential: each request resolves it (404 unknown, 410 expired
or revoked, on a page of its own), and what it grants is checked by ``tracker.access`` like any
actor. Its pages can 签收, report, upload evidence, submit and download that task's files; nothing
else. Each token and each address is rate-limited.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from tracker import access
from tracker.db import utcnow
from tracker.downloads import send_stored_file
from tracker.errors import show_again
from tracker.extensions import db, limiter
from tracker.links import services
from tracker.tasks import forms, queries, storage
from tracker.tasks import services as task_services
from tracker.tasks.labels import state_label
from tracker.tasks.lights import light_for
from tracker.tasks.models import Evidence
from tracker.timeutil import local_today
from tracker.units.models import Unit

bp = Blueprint("links", __name__, url_prefix="/l")
#: the signed-in side: a unit's setting
settings_bp = Blueprint("link_settings", __name__)


def _token_key() -> str:
    token = (request.view_args or {}).get("token", "")
    return "link:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _token_limit() -> str:
    return current_app.config.get("LINK_RATE_LIMIT", "30 per minute")


def _address_limit() -> str:
    return current_app.config.get("LINK_IP_RATE_LIMIT", "60 per minute")


limiter.limit(_token_limit, key_func=_token_key)(bp)
limiter.limit(_address_limit, key_func=lambda: "link-ip:" + (get_remote_address() or ""))(bp)


@bp.errorhandler(services.LinkError)
def link_gone(error: services.LinkError):
    """An unknown, expired or revoked link: a plain page saying so; nothing changed."""
    db.session.rollback()
    return render_template("links/gone.html", message=error.message, code=error.status), error.status


def _page(token: str, status: int = 200):
    grant, task = services.resolve(token, utcnow())
    today = local_today(utcnow())
    actions = task_services.available_actions(grant, task, today) & {"acknowledge", "progress", "evidence", "submit"}
    return render_template("links/task.html", token=token, task=task, grant=grant, actions=actions,
                           light=light_for(task, today, int(current_app.config.get("WARNING_DAYS", 7))),
                           evidence=queries.task_evidence(task), reports=queries.task_reports(task),
                           state=state_label(task.state), today=today), status


@bp.route("/<token>")
def open_task(token: str):
    """The task the link was sent about, with what the unit can do to it here."""
    page = _page(token)
    db.session.commit()
    return page


def _perform(token: str, action, success: str, anchor: str = ""):
    """Resolve the link, run one service as the link's grant, commit, back to the page."""
    grant, task = services.resolve(token, utcnow())
    show_again(lambda: _page(token))
    task_services.check_version(task, request.form.get("version"))
    action(grant, task)
    db.session.commit()
    flash(success, "success")
    return redirect(url_for(".open_task", token=token) + anchor)


@bp.route("/<token>/acknowledge", methods=["POST"])
def acknowledge(token: str):
    """签收."""
    return _perform(token, lambda grant, task: task_services.acknowledge(task, actor=grant, now=utcnow()),
                    _("已签收。"))


@bp.route("/<token>/progress", methods=["POST"])
def progress(token: str):
    """A progress report, optionally with files."""
    form = request.form
    return _perform(token, lambda grant, task: task_services.report_progress(
        task, actor=grant, text=form.get("text", ""), percent=forms.parse_percent(form.get("percent")),
        files=forms.uploaded_files(request.files), now=utcnow()), _("进展已报送。"), "#reports")


@bp.route("/<token>/evidence", methods=["POST"])
def evidence(token: str):
    """Evidence files (佐证材料)."""
    return _perform(token, lambda grant, task: task_services.add_evidence(
        task, actor=grant, files=forms.uploaded_files(request.files), note=request.form.get("note") or None,
        now=utcnow()), _("材料已上传。"), "#evidence")


@bp.route("/<token>/submit", methods=["POST"])
def submit(token: str):
    """Submit the task for review (提交审核)."""
    return _perform(token, lambda grant, task: task_services.submit(
        task, actor=grant, note=request.form.get("note", ""), now=utcnow()), _("已提交审核。"))


@bp.route("/<token>/evidence/<int:evidence_id>")
@access.protects("evidence_id", access.link_opens)
def download(token: str, evidence_id: int):
    """One of this task's evidence files; any other file is 404, as for a signed-in user."""
    grant, _task = services.resolve(token, utcnow())
    item = db.session.get(Evidence, evidence_id)
    if item is None or not access.link_opens(grant, item):
        abort(404)
    path = storage.existing_path(item.stored_name)
    if path is None:
        abort(404)
    db.session.commit()
    return send_stored_file(path, mimetype=item.content_type, download_name=item.original_name)


@settings_bp.route("/units/<int:unit_id>/links", methods=["POST"])
@access.protects("unit_id", access.can_see_unit, access.may_set_unit_links)
@login_required
def unit_links(unit_id: int):
    """A unit turns its one-task links on or off (its lead, or an admin)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    services.set_unit_links(unit, request.form.get("enabled") == "1", actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("已开启邮件链接。") if unit.links_enabled else _("已关闭邮件链接，本单位任务的现有链接已失效。"), "success")
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for("tasks.my_tasks"))
