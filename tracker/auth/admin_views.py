"""Admin pages for user accounts."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth import services
from tracker.auth.forms import UserForm
from tracker.auth.models import Role, User
from tracker.auth.permissions import admin_required
from tracker.db import utcnow
from tracker.extensions import db
from tracker.units.services import unit_tree
from tracker.web import save_or_explain

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


def _fill_choices(form: UserForm) -> None:
    form.unit_id.choices = [("", _("（无）"))] + [(str(u.id), "　" * d + u.name) for u, d in unit_tree()]


def _data(form: UserForm) -> services.UserData:
    return services.UserData(
        email=form.email.data or "", name=form.name.data or "", role=Role(form.role.data),
        unit_id=int(form.unit_id.data) if form.unit_id.data else None, phone=form.phone.data,
        is_active=form.is_active.data,
    )


@bp.route("/")
@admin_required
def list_users():
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = sa.select(User).order_by(User.role, User.name)
    pagination = db.paginate(query, page=page, per_page=50, error_out=False)
    return render_template("admin/users.html", pagination=pagination, now=utcnow(), is_locked=services.is_locked)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def create():
    form = UserForm()
    _fill_choices(form)
    if form.validate_on_submit() and save_or_explain(
            lambda: services.create_user(_data(form), form.password.data or "", actor=current_user),
            services.AccountError, _("用户已创建。")):
        return redirect(url_for(".list_users"))
    return render_template("admin/user_edit.html", form=form, user=None, locked=False)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user)
    _fill_choices(form)
    if not form.is_submitted():
        form.role.data = user.role.value
        form.unit_id.data = str(user.unit_id or "")
    def change() -> None:
        services.update_user(user, _data(form), actor=current_user)
        if form.password.data:
            services.set_password(user, form.password.data, actor=current_user)

    if form.validate_on_submit() and save_or_explain(change, services.AccountError, _("用户已保存。")):
        return redirect(url_for(".list_users"))
    return render_template("admin/user_edit.html", form=form, user=user, locked=services.is_locked(user, utcnow()))


@bp.route("/<int:user_id>/sign-ins")
@admin_required
def sign_ins(user_id: int):
    """A user's sign-in history (time, address, result), for the admin."""
    user = db.session.get(User, user_id) or abort(404)
    return render_template("auth/sign_ins.html", events=services.sign_in_history(user, limit=500), user=user,
                           locked=services.is_locked(user, utcnow()))


@bp.route("/<int:user_id>/unlock", methods=["POST"])
@admin_required
def unlock(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    services.unlock(user, actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("账号已解锁。"), "success")
    return redirect(url_for(".edit", user_id=user.id))


@bp.route("/<int:user_id>/reset-second-factor", methods=["POST"])
@admin_required
def reset_second_factor(user_id: int):
    """A lost phone: the user sets up a new authenticator at the next sign-in."""
    user = db.session.get(User, user_id) or abort(404)
    services.reset_second_factor(user, actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("双因素认证已重置。"), "success")
    return redirect(url_for(".edit", user_id=user.id))
