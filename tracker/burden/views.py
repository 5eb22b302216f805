"""The burden view (减负): what each unit is asked per month, against a configured cap."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import access
from tracker.auth.permissions import requires
from tracker.burden import queries
from tracker.db import utcnow
from tracker.extensions import db
from tracker.timeutil import local_today
from tracker.units.models import Unit
from tracker.units.services import unit_tree

bp = Blueprint("burden", __name__)


def _year() -> int:
    """The year asked for; a year that makes no sense is explained, and this year shown."""
    this_year = local_today(utcnow()).year
    text = (request.args.get("year") or "").strip()
    if not text:
        return this_year
    if text.isdigit() and 2000 <= int(text) <= this_year + 1:
        return int(text)
    flash(_("年份“%(y)s”无效，已显示今年。", y=text[:10]), "warning")
    return this_year


def _cap() -> int:
    return int(current_app.config.get("BURDEN_MONTHLY_CAP", 20))


@bp.route("/burden")
@requires(access.can_see_burden)
def overview():
    """Every unit's requests per month this year, the months past the cap first in mind."""
    year = _year()
    loads = queries.unit_loads(current_user._get_current_object(), year)
    rows = [loads[unit.id] for unit, _depth in unit_tree() if unit.id in loads]
    cap = _cap()
    warnings = [(load, month) for load in rows for month in load.over(cap)]
    return render_template("burden/overview.html", rows=rows, year=year, cap=cap, warnings=warnings,
                           months=queries.month_keys(year))


@bp.route("/units/<int:unit_id>/burden")
@access.protects("unit_id", access.can_see_unit_burden)
@login_required
def unit_burden(unit_id: int):
    """One unit's requests per month, by kind, beside the reports it filed."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    access.check(access.can_see_unit_burden(current_user, unit))
    year = _year()
    load = queries.unit_loads(current_user._get_current_object(), year, {unit.id}).get(unit.id)
    months = load.months if load else {m: queries.MonthLoad(m) for m in queries.month_keys(year)}
    cap = _cap()
    return render_template("burden/unit.html", unit=unit, year=year, cap=cap, months=list(months.values()),
                           over=[m for m in months.values() if m.requests > cap])
