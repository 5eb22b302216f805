"""What every page shares: the signed-in user, the menu for their role, date filters."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import Flask, g, request, url_for
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from tracker import access, fonts, timeutil
from tracker.auth.models import User
from tracker.extensions import db, login_manager
from tracker.notify import channels
from tracker.notify.outbox import unread_count_column
from tracker.tasks import labels, progress

# (endpoint, label); who sees an entry is tracker.access.can_open
MENU = (
    ("main.home", _l("首页")),
    ("tasks.my_tasks", _l("本单位任务")),
    ("plans.list_plans", _l("工作计划")),
    ("tasks.review_queue", _l("待审核")),
    ("tasks.all_tasks", _l("任务台账")),
    ("reports.dashboard", _l("统计分析")),
    ("scoring.ranking", _l("考核评分")),
    ("reports.unit_dashboard", _l("工作台")),
    ("scoring.my_score", _l("本单位得分")),
    ("notices.list_notices", _l("督办单")),
    ("notify.outbox", _l("邮件发件箱")),
    ("units.list_units", _l("单位管理")),
    ("admin_users.list_users", _l("用户管理")),
    ("auditlog.list_entries", _l("审计日志")),
    ("admin_import.upload", _l("批量导入")),
)

#: kept under its old name: the user roles' words live in the one vocabulary
ROLE_LABELS = labels.USER_ROLE_LABELS


def register(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The cookie holds "id:session_token"; a rotated token or an inactive user signs out."""
        ident, _, token = user_id.partition(":")
        if not ident.isdigit() or not token:
            return None
        # the layout's unread count comes in the same statement as the user (one round trip)
        # and the user's unit (the layout and the unit pages read it), joined in the same statement
        row = db.session.execute(sa.select(User, unread_count_column(User.id)).where(User.id == int(ident))
                                 .options(joinedload(User.unit))).first()
        if row is None:
            return None
        user, unread = row
        if not user.is_active or user.session_token != token:
            return None
        g.unread_notifications = unread
        return user

    @app.context_processor
    def inject_globals() -> dict:
        gettext, ngettext = template_gettext()
        return {
            # shadow Flask-Babel's template callables with ones bound to this render's catalog:
            # same results, without the locale and catalog lookups on every one of a page's strings
            "_": gettext, "gettext": gettext, "ngettext": ngettext,
            "menu": menu_for(app),
            "current_locale": str(get_locale() or "zh_CN"),
            "role_label": lambda role: ROLE_LABELS.get(role, role),
            "organisation_name": app.config.get("ORGANISATION_NAME"),
        }

    # the outbox and admin pages warn when PDFs cannot embed their fonts
    app.add_template_global(fonts.missing_names, "pdf_fonts_missing")

    # the task vocabulary (tracker.tasks.labels) for every template
    app.add_template_global(labels.state_label, "task_state_label")
    app.add_template_global(labels.role_label, "task_role_label")
    app.add_template_global(labels.period_label, "task_period_label")
    app.add_template_global(lambda: labels.translated(labels.STATE_LABELS), "task_state_labels")
    app.add_template_global(lambda: labels.translated(labels.LIGHT_MEANINGS), "task_light_meanings")
    app.add_template_global(lambda: labels.translated(progress.LABELS), "task_progress_labels")
    app.add_template_global(lambda: labels.translated(labels.SUGGESTED_PERIOD_LABELS), "suggested_period_labels")
    app.add_template_global(lambda: labels.translated(labels.SIGNAL_LABELS), "task_signal_labels")
    app.add_template_global(lambda: labels.translated(labels.SIGNAL_EXPLANATIONS), "task_signal_explanations")
    app.add_template_global(labels.period_key_label, "period_key_label")
    app.add_template_global(labels.outbox_kind_label, "outbox_kind_label")
    app.add_template_global(labels.audit_action_label, "audit_action_label")
    app.add_template_global(labels.object_type_label, "object_type_label")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(format_date, "date")
    app.add_template_filter(channels.mask_url, "mask_url")


def template_gettext() -> tuple:
    """Jinja's new-style gettext and ngettext (autoescaped, ``%`` formatting), over the catalog of
    the current locale looked up once."""
    translations = get_translations()

    @pass_context
    def gettext(context, string: str, **variables) -> str:
        rv = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    @pass_context
    def ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        rv = translations.ungettext(singular, plural, num)
        if context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    return gettext, ngettext


def menu_for(app: Flask) -> list[dict]:
    if not getattr(current_user, "is_authenticated", False):
        return []
    items = []
    for endpoint, label in MENU:
        if not access.can_open(current_user, endpoint):
            continue
        items.append({"endpoint": endpoint, "label": label, "url": url_for(endpoint),
                      "active": request.endpoint == endpoint})
    return items


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return timeutil.to_local(value).strftime(fmt)


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timeutil.to_local(value).date()
    return value.isoformat()
