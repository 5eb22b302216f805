"""The outbox page (administrators and supervisors) and each user's in-app notices."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.security import safe_join

from tracker import access, timeutil
from tracker.auth.permissions import supervisor_required
from tracker.errors import show_again
from tracker.extensions import db
from tracker.links import services as link_services
from tracker.notify import dispatch, services
from tracker.notify.forms import DigestForm
from tracker.notify.models import Channel, Notification, OutboxEmail, OutboxStatus
from tracker.notify.outbox import unread_count

bp = Blueprint("notify", __name__)

#: the email body is shown as the recipient sees it, but can run nothing and load nothing
BODY_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
STATUS_LABELS = {
    OutboxStatus.pending: _l("待发送"), OutboxStatus.sending: _l("发送中/状态不明"), OutboxStatus.sent: _l("已发送"),
    OutboxStatus.failed: _l("发送失败"), OutboxStatus.cancelled: _l("仅站内通知"),
    OutboxStatus.held: _l("等待汇总"), OutboxStatus.folded: _l("已并入汇总"),
}
CHANNEL_LABELS = {
    Channel.email: _l("邮件"), Channel.wecom: _l("企业微信"), Channel.dingtalk: _l("钉钉"), Channel.sms: _l("短信"),
}


@bp.app_context_processor
def inject_unread() -> dict:
    def unread_notifications() -> int:
        if not getattr(current_user, "is_authenticated", False):
            return 0
        # read with the user when the session loaded it (tracker.web), unless this request read some
        known = g.get("unread_notifications")
        return known if known is not None else unread_count(current_user.id)

    return {"unread_notifications": unread_notifications}


@bp.route("/outbox")
@supervisor_required
def outbox():
    status = request.args.get("status") or ""
    kind = request.args.get("kind") or ""
    recipient = (request.args.get("recipient") or "").strip()
    channel = request.args.get("channel") or ""
    query = sa.select(OutboxEmail).where(access.outbox_condition(current_user)).order_by(OutboxEmail.id.desc())
    if channel in {c.value for c in Channel}:
        query = query.where(OutboxEmail.channel == Channel(channel))
    if status in {s.value for s in OutboxStatus}:
        query = query.where(OutboxEmail.status == OutboxStatus(status))
    if kind:
        query = query.where(OutboxEmail.kind == kind)
    if recipient:
        query = query.where(OutboxEmail.to_addr.contains(recipient.lower()))
    page = db.paginate(query, per_page=50, error_out=False)
    visible = access.outbox_condition(current_user)
    counts = dict(db.session.execute(sa.select(OutboxEmail.status, sa.func.count()).where(visible)
                                     .group_by(OutboxEmail.status)).all())
    kinds = list(db.session.scalars(sa.select(OutboxEmail.kind).where(visible).distinct().order_by(OutboxEmail.kind)))
    stuck = [row for row in services.stuck(timeutil.utcnow()) if access.can_see_outbox_message(current_user, row)]
    return render_template("notify/outbox.html", page=page, counts=counts, kinds=kinds, stuck=stuck,
                           filters={"status": status, "kind": kind, "recipient": recipient, "channel": channel},
                           statuses=list(OutboxStatus), status_labels=STATUS_LABELS,
                           channels=list(Channel), channel_labels=CHANNEL_LABELS,
                           mail_configured=dispatch.mail_configured())


def _row(message_id: int) -> OutboxEmail:
    row = db.session.get(OutboxEmail, message_id)
    if row is None or not access.can_see_outbox_message(current_user, row):
        abort(404)
    return row


@bp.route("/outbox/<int:message_id>")
@access.protects("message_id", access.can_see_outbox_message)
@supervisor_required
def message(message_id: int):
    row = _row(message_id)
    return render_template("notify/message.html", row=row, body_text=link_services.redact(row.body_text),
                           status_labels=STATUS_LABELS, channel_labels=CHANNEL_LABELS,
                           mail_configured=dispatch.mail_configured())


@bp.route("/outbox/<int:message_id>/body")
@access.protects("message_id", access.can_see_outbox_message)
@supervisor_required
def message_body(message_id: int):
    """The HTML body at its own URL, under a sandbox CSP, for the <iframe sandbox> of the message page."""
    row = _row(message_id)
    response = Response(link_services.redact(row.body_html), mimetype="text/html")
    response.headers["Content-Security-Policy"] = BODY_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/outbox/<int:message_id>/attachments/<int:index>")
@access.protects("message_id", access.can_see_outbox_message)
@supervisor_required
def attachment(message_id: int, index: int):
    row = _row(message_id)
    items = row.attachments or []
    if not 0 <= index < len(items):
        abort(404)
    item = items[index]
    path = safe_join(current_app.instance_path, item.get("path", ""))
    if path is None or not os.path.isfile(path):
        abort(404)
    return send_file(path, mimetype=item.get("content_type") or "application/octet-stream", as_attachment=True,
                     download_name=item.get("filename") or os.path.basename(path))


@bp.route("/outbox/<int:message_id>/requeue", methods=["POST"])
@access.protects("message_id", access.can_see_outbox_message, access.may_requeue)
@supervisor_required
def requeue(message_id: int):
    row = _row(message_id)
    show_again(lambda: render_template("notify/message.html", row=_row(message_id),
                                       body_text=link_services.redact(_row(message_id).body_text),
                                       status_labels=STATUS_LABELS, channel_labels=CHANNEL_LABELS,
                                       mail_configured=dispatch.mail_configured()))
    services.requeue(row, actor=current_user, now=timeutil.utcnow())
    db.session.commit()
    flash(_("邮件已重新排队。"), "success")
    return redirect(url_for(".message", message_id=message_id))


@bp.route("/outbox/send", methods=["POST"])
@supervisor_required
def send_now():
    if not dispatch.mail_configured():
        flash(_("未配置邮件服务器，邮件保留在发件箱中。"), "warning")
        return redirect(url_for(".outbox"))
    result = dispatch.send_pending(now=timeutil.utcnow())
    flash(_("已发送 %(sent)d 封，稍后重试 %(retried)d 封，失败 %(failed)d 封。", sent=result.sent,
            retried=result.retried, failed=result.failed), "success" if not result.failed else "warning")
    return redirect(url_for(".outbox"))


@bp.route("/notifications")
@login_required
def my_notifications():
    query = (sa.select(Notification).where(Notification.user_id == current_user.id)
             .order_by(Notification.read_at.is_not(None), Notification.id.desc()))
    page = db.paginate(query, per_page=30, error_out=False)
    return render_template("notify/notifications.html", page=page)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@access.protects("notification_id", access.can_see_notification, access.can_see_notification)
@login_required
def mark_read(notification_id: int):
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        abort(404)
    services.mark_read(notification, actor=current_user, now=timeutil.utcnow())
    db.session.commit()
    target = request.form.get("go")
    if target == "link" and notification.link:
        return redirect(_in_app(notification.link))
    return redirect(url_for(".my_notifications"))


def _in_app(link: str) -> str:
    """A notice's link (absolute, for the email: BASE_URL + path) as a path of this site, so the
    browser stays on the address the user came by, whatever BASE_URL says."""
    parts = urlsplit(link)
    path = parts.path if parts.path.startswith("/") and not parts.path.startswith("//") else "/"
    return urlunsplit(("", "", path, parts.query, parts.fragment))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def mark_all_read():
    count = services.mark_all_read(actor=current_user, now=timeutil.utcnow())
    db.session.commit()
    flash(_("已将 %(n)d 条通知标为已读。", n=count), "success")
    return redirect(url_for(".my_notifications"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def notification_settings():
    """One's own choice: reminders one by one, or one daily digest."""
    form = DigestForm()
    if not form.is_submitted():
        form.digest_mode.data = current_user.digest_mode.value
    if form.validate_on_submit():
        show_again(lambda: render_template("notify/settings.html", form=form), status=200)
        services.set_digest_mode(current_user, form.digest_mode.data or "", actor=current_user, now=timeutil.utcnow())
        db.session.commit()
        flash(_("提醒方式已保存。"), "success")
        return redirect(url_for(".notification_settings"))
    return render_template("notify/settings.html", form=form)
