"""Admin pages for user accounts."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker import access
from tracker.auth import services
from tracker.auth.forms import UserForm
from tracker.auth.models import Role, User
from tracker.auth.permissions import admin_required
from tracker.db import utcnow
from tracker.errors import show_again
from tracker.extensions import db
from tracker.units.services import unit_tree

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
    return render_template("admin/users.html", pagination=pagination)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def create():
    form = UserForm()
    _fill_choices(form)
    if form.validate_on_submit():
        show_again(lambda: render_template("admin/user_edit.html", form=form, user=None), status=200)
        services.create_user(_data(form), form.password.data or "", actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("用户已创建。"), "success")
        return redirect(url_for(".list_users"))
    return render_template("admin/user_edit.html", form=form, user=None)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@access.protects("user_id", access.may_manage_user, access.may_manage_user)
@admin_required
def edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user)
    _fill_choices(form)
    if not form.is_submitted():
        form.role.data = user.role.value
        form.unit_id.data = str(user.unit_id or "")
    if form.validate_on_submit():
        show_again(lambda: render_template("admin/user_edit.html", form=form, user=db.session.get(User, user_id)),
                   status=200)
        services.update_user(user, _data(form), actor=current_user, now=utcnow())
        if form.password.data:
            services.set_password(user, form.password.data, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("用户已保存。"), "success")
        return redirect(url_for(".list_users"))
    return render_template("admin/user_edit.html", form=form, user=user)
