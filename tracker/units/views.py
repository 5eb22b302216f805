"""Admin pages for the unit tree."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker import access
from tracker.auth.models import User
from tracker.auth.permissions import admin_required
from tracker.db import utcnow
from tracker.errors import show_again
from tracker.extensions import db
from tracker.tabular import read_upload
from tracker.units import services
from tracker.units.forms import ImportForm, UnitForm
from tracker.units.models import Unit, UnitKind

bp = Blueprint("units", __name__, url_prefix="/admin/units")


def _fill_choices(form: UnitForm, unit: Unit | None) -> None:
    form.parent_id.choices = [("", _("（无，顶级单位）"))] + [
        (str(u.id), "　" * depth + u.name) for u, depth in services.unit_tree() if u is not unit
    ]
    leaders = db.session.scalars(
        sa.select(User).where(access.supervisor_choices_condition()).order_by(User.name)
    )
    form.leader_id.choices = [("", _("（未设置）"))] + [(str(u.id), f"{u.name} <{u.email}>") for u in leaders]


def _data(form: UnitForm) -> services.UnitData:
    return services.UnitData(
        name=form.name.data or "", code=(form.code.data or "").strip(), kind=UnitKind(form.kind.data),
        parent_id=int(form.parent_id.data) if form.parent_id.data else None,
        contact_email=form.contact_email.data, leader_id=int(form.leader_id.data) if form.leader_id.data else None,
        sort_order=form.sort_order.data or 0, is_active=form.is_active.data,
        aliases=services.split_aliases(form.aliases.data),
        channels=services.ChannelData(
            robot_kind=form.robot_kind.data or None, robot_url=form.robot_url.data,
            robot_secret=form.robot_secret.data, clear_robot=form.clear_robot.data, sms_phone=form.sms_phone.data,
            chase_weekly_cap=form.chase_weekly_cap.data),
    )


@bp.route("/")
@admin_required
def list_units():
    """The unit tree."""
    return render_template("units/list.html", tree=services.unit_tree(), import_form=ImportForm())


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def create():
    form = UnitForm()
    _fill_choices(form, None)
    if form.validate_on_submit():
        show_again(lambda: render_template("units/edit.html", form=form, unit=None), status=200)
        services.create_unit(_data(form), actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("单位已创建。"), "success")
        return redirect(url_for(".list_units"))
    return render_template("units/edit.html", form=form, unit=None)


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
@access.protects("unit_id", access.may_manage_unit, access.may_manage_unit)
@admin_required
def edit(unit_id: int):
    unit = db.session.get(Unit, unit_id) or abort(404)
    form = UnitForm(obj=unit)
    _fill_choices(form, unit)
    if not form.is_submitted():
        form.kind.data = unit.kind.value
        form.parent_id.data = str(unit.parent_id or "")
        form.leader_id.data = str(unit.leader_id or "")
        form.aliases.data = "、".join(unit.aliases or [])
        form.robot_kind.data = unit.robot_kind or ""
        form.robot_url.data = ""
    if form.validate_on_submit():
        show_again(lambda: render_template("units/edit.html", form=form, unit=db.session.get(Unit, unit_id)),
                   status=200)
        services.update_unit(unit, _data(form), actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("单位已保存。"), "success")
        return redirect(url_for(".list_units"))
    return render_template("units/edit.html", form=form, unit=unit)


@bp.route("/import", methods=["POST"])
@admin_required
def import_file():
    """Import units from .xlsx/.csv; nothing is saved unless every row is valid."""
    form = ImportForm()
    if not form.validate_on_submit():
        flash(_("请选择要导入的文件。"), "danger")
        return redirect(url_for(".list_units"))
    upload = form.file.data
    show_again(lambda: redirect(url_for(".list_units")))
    rows = services.read_rows(read_upload(upload), upload.filename or "")
    units = services.import_units(rows, actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("已导入 %(n)d 个单位。", n=len(units)), "success")
    return redirect(url_for(".list_units"))
