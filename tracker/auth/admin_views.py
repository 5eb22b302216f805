"""Admin pages: user accounts, and the bulk import of units and users."""

import os

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker import access
from tracker.auth import services
from tracker.auth.forms import ImportConfirmForm, ImportUploadForm, UserForm
from tracker.auth.models import Role, User
from tracker.auth.permissions import admin_required
from tracker.db import utcnow
from tracker.errors import show_again
from tracker.extensions import db
from tracker.tabular import Preview, read_upload
from tracker.units import services as unit_services
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
    return render_template("admin/users.html", pagination=pagination, now=utcnow(), is_locked=services.is_locked)


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
    return render_template("admin/user_edit.html", form=form, user=None, locked=False)


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
    return render_template("admin/user_edit.html", form=form, user=user, locked=services.is_locked(user, utcnow()))


@bp.route("/<int:user_id>/sign-ins")
@access.protects("user_id", access.may_manage_user)
@admin_required
def sign_ins(user_id: int):
    """A user's sign-in history (time, address, result), for the admin."""
    user = db.session.get(User, user_id) or abort(404)
    return render_template("auth/sign_ins.html", events=services.sign_in_history(user, limit=500), user=user,
                           locked=services.is_locked(user, utcnow()))


@bp.route("/<int:user_id>/unlock", methods=["POST"])
@access.protects("user_id", access.may_manage_user, access.may_manage_user)
@admin_required
def unlock(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    services.unlock(user, actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("账号已解锁。"), "success")
    return redirect(url_for(".edit", user_id=user.id))


@bp.route("/<int:user_id>/reset-second-factor", methods=["POST"])
@access.protects("user_id", access.may_manage_user, access.may_manage_user)
@admin_required
def reset_second_factor(user_id: int):
    """A lost phone: the user sets up a new authenticator at the next sign-in."""
    user = db.session.get(User, user_id) or abort(404)
    services.reset_second_factor(user, actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("双因素认证已重置。"), "success")
    return redirect(url_for(".edit", user_id=user.id))


# --------------------------------------------------------------------------- bulk import of units and users

imports_bp = Blueprint("admin_import", __name__, url_prefix="/admin/import")


def _import_preview(kind: str, data: bytes, filename: str) -> Preview:
    if kind == "units":
        return unit_services.preview_units(data, filename, actor=current_user, now=utcnow())
    return services.preview_users(data, filename)


@imports_bp.route("", methods=["GET", "POST"])
@admin_required
def upload():
    """Upload a units or users file and see every row's problems before anything is saved."""
    form = ImportUploadForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("admin/import.html", form=form, preview=None), status
    upload = form.file.data
    show_again(lambda: render_template("admin/import.html", form=form, preview=None))
    data, filename = read_upload(upload), upload.filename or ""
    preview = _import_preview(form.kind.data, data, filename)
    # the preview may have run the import to check it: never keep any of it
    db.session.rollback()
    token = services.pending_imports.keep(data, filename) if preview.is_valid else None
    confirm = ImportConfirmForm(kind=form.kind.data, token=token) if token else None
    return render_template("admin/import.html", form=form, preview=preview, confirm=confirm,
                           filename=os.path.basename(filename)), (200 if preview.is_valid else 422)


@imports_bp.route("/confirm", methods=["POST"])
@admin_required
def confirm():
    """Save a previewed file: all rows, or none with the errors."""
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        flash(_("导入请求无效，请重新上传文件。"), "danger")
        return redirect(url_for(".upload"))
    show_again(lambda: redirect(url_for(".upload")))
    stashed = services.pending_imports.load(form.token.data)
    if stashed is None:
        raise services.AccountError(_("上传的文件已失效，请重新上传。"))
    data, filename = stashed
    now = utcnow()
    if form.kind.data == "units":
        units = unit_services.import_units(unit_services.read_rows(data, filename), actor=current_user, now=now)
        saved = [(f"{u.code} {u.name}", "") for u in units]
    else:
        users = services.import_users(services.read_user_rows(data, filename), actor=current_user, now=now)
        saved = [(f"{u.name} <{u.email}>", password) for u, password in users]
    db.session.commit()
    services.pending_imports.drop(form.token.data)
    # initial passwords are shown on this page only, never stored in the session or flashed
    response = render_template("admin/import_result.html", kind=form.kind.data, saved=saved)
    return response, 200, {"Cache-Control": "no-store"}
