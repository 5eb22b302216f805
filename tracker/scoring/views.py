"""Score pages: the ranking, a unit's points with their events, the rules with their what-if,
publishing, the published snapshots, and the Excel export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker import access, timeutil
from tracker.auth.permissions import staff_required
from tracker.errors import show_again
from tracker.extensions import db
from tracker.plans.models import Plan
from tracker.reports.bulletin import Period, parse_period
from tracker.scoring import exports, forms, queries, services
from tracker.scoring.models import ScoreSnapshot
from tracker.scoring.rules import KINDS, point_label
from tracker.units.models import Unit

bp = Blueprint("scoring", __name__, url_prefix="/scoring")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _now() -> datetime:
    return timeutil.utcnow()


def _scope_and_period(args: Any, now: datetime) -> tuple[services.Scope, Period]:
    scope = services.parse_scope(args.get("scope"), now)
    raw = (args.get("period") or "").strip()
    period = parse_period(raw) if raw else services.default_period(now)
    return scope, period


def _scope_choices(now: datetime) -> list[tuple[str, str]]:
    """This year, last year, and the plans the user may rank."""
    year = timeutil.local_today(now).year
    choices = [(f"year:{y}", _("%(y)d年度全部计划", y=y)) for y in (year, year - 1)]
    plans = db.session.scalars(access.visible_plans(current_user).order_by(Plan.id.desc()).limit(200))
    choices += [(f"plan:{p.id}", p.title) for p in plans if access.can_see_scores(current_user, p)]
    return choices


@bp.app_context_processor
def _helpers() -> dict:
    return {"point_label": point_label, "rule_kinds": KINDS}


# --------------------------------------------------------------------------- live scores

@bp.route("")
@staff_required
def ranking():
    """The ranking of units for a scope and period under the rules in force."""
    now = _now()
    scope, period = _scope_and_period(request.args, now)
    access.check(access.can_see_scores(current_user, scope.plan))
    result = services.scores(scope, period, now=now)
    return render_template("scoring/ranking.html", ranking=result, scope=scope, period=period,
                           scopes=_scope_choices(now), in_force=services.rules_in_force(scope.key),
                           may_edit=access.may_edit_rules(current_user, scope.plan),
                           snapshots=services.snapshots(current_user, 20))


@bp.route("/units/<int:unit_id>")
@access.protects("unit_id", access.can_see_unit_score)
@login_required
def unit_score(unit_id: int):
    """One unit's score: every point, grouped by rule, with the event it comes from."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    access.check(access.can_see_unit_score(current_user, unit))
    now = _now()
    scope, period = _scope_and_period(request.args, now)
    if access.is_staff(current_user):
        access.check(access.can_see_scores(current_user, scope.plan))
    elif scope.plan is not None:
        access.check(access.can_see_plan(current_user, scope.plan))
    result = services.unit_scores(scope, period, unit.id, now=now)
    return render_template("scoring/unit.html", unit=unit, score=result.unit(unit.id), ranking=result,
                           scope=scope, period=period, snapshot=None,
                           published=queries.unit_snapshots(current_user, unit.id))


@bp.route("/mine")
@login_required
def my_score():
    """A unit person's own unit's score page."""
    access.check(access.is_unit_user(current_user))
    return redirect(url_for(".unit_score", unit_id=current_user.unit_id, **request.args))


@bp.route("/export.xlsx")
@staff_required
def export():
    """The live ranking as Excel: scores, and every point with its event."""
    now = _now()
    scope, period = _scope_and_period(request.args, now)
    access.check(access.can_see_scores(current_user, scope.plan))
    result = services.scores(scope, period, now=now, points=True)
    title = _("%(scope)s %(period)s 评分（截至 %(as_of)s，未发布）", scope=scope.label, period=period.label,
              as_of=result.as_of.isoformat())
    return _send_xlsx(exports.ranking_xlsx(result, title), f"{_('评分')}-{period.key}.xlsx")


def _send_xlsx(content: bytes, name: str):
    from io import BytesIO

    from flask import send_file

    response = send_file(BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- rules and what-if

def _rules_page(scope: services.Scope, period: Period, values: dict, base: Any, note: str = "",
                what_if: tuple | None = None, status: int = 200):
    return render_template("scoring/rules.html", scope=scope, period=period, values=values, base=base, note=note,
                           kinds=KINDS, what_if=what_if, in_force=services.rules_in_force(scope.key),
                           history=services.rule_history(scope.key), scopes=_scope_choices(_now())), status


@bp.route("/rules", methods=["GET", "POST"])
@staff_required
def rules():
    """Edit the rules of a scope: try them on the ranking (what-if, nothing saved) or save them as
    the next version."""
    now = _now()
    scope, period = _scope_and_period(request.values, now)
    access.check(access.may_edit_rules(current_user, scope.plan))
    if request.method == "GET":
        in_force = services.rules_in_force(scope.key)
        return _rules_page(scope, period, forms.form_values(in_force.rules), f"{in_force.base:g}")
    base, posted, note = forms.rules_from_form(request.form)
    values = forms.posted_values(request.form)
    show_again(lambda: _rules_page(scope, period, values, base, note))
    if request.form.get("action") == "preview":
        # reads only: no commit, and the service adds nothing to the session
        comparison = services.what_if(scope, period, base, posted, actor=current_user, now=now)
        return _rules_page(scope, period, values, base, note, what_if=comparison)
    rule_set = services.save_rules(scope, base, posted, note=note, actor=current_user, now=now)
    db.session.commit()
    flash(_("评分规则已保存为第 %(v)d 版；已发布的评分不受影响。", v=rule_set.version), "success")
    return redirect(url_for(".rules", scope=scope.key, period=period.key))


# --------------------------------------------------------------------------- publishing and snapshots

@bp.route("/publish", methods=["POST"])
@staff_required
def publish():
    """Publish the scope's scores for the period as the year's next numbered snapshot."""
    now = _now()
    scope, period = _scope_and_period(request.form, now)
    snapshot = services.publish(scope, period, actor=current_user, now=now)
    db.session.commit()
    flash(_("已发布评分结果 %(n)s。", n=snapshot.number_label), "success")
    return redirect(url_for(".snapshot", snapshot_id=snapshot.id))


def _load_snapshot(snapshot_id: int) -> ScoreSnapshot:
    snapshot = db.session.get(ScoreSnapshot, snapshot_id)
    if snapshot is None:
        abort(404)
    access.check(access.can_see_snapshot(current_user, snapshot))
    return snapshot


def _visible_part(snapshot: ScoreSnapshot) -> services.Ranking:
    """The whole ranking for the staff; a unit's people get their own units' lines only."""
    result = services.ranking_of(snapshot)
    if not access.sees_whole_snapshot(current_user, snapshot):
        scope = access.unit_scope(current_user)
        result.units = [u for u in result.units if u.unit_id in scope]
    return result


@bp.route("/snapshots/<int:snapshot_id>")
@access.protects("snapshot_id", access.can_see_snapshot)
@login_required
def snapshot(snapshot_id: int):
    """A published score as it was published; ``unit_id`` opens one unit's points."""
    snap = _load_snapshot(snapshot_id)
    result = _visible_part(snap)
    raw = request.args.get("unit_id", "")
    if raw:
        if not raw.isdigit():
            abort(400)
        score = result.unit(int(raw))
        if score is None:
            abort(404)
        unit = db.session.get(Unit, int(raw))
        return render_template("scoring/unit.html", unit=unit, score=score, ranking=result, snapshot=snap,
                               scope=services.parse_scope(snap.scope, _now()), period=parse_period(snap.period_key),
                               published=[])
    return render_template("scoring/snapshot.html", snapshot=snap, ranking=result,
                           whole=access.sees_whole_snapshot(current_user, snap))


@bp.route("/snapshots/<int:snapshot_id>.xlsx")
@access.protects("snapshot_id", access.can_see_snapshot)
@login_required
def snapshot_xlsx(snapshot_id: int):
    """A published score as Excel, as published."""
    snap = _load_snapshot(snapshot_id)
    result = _visible_part(snap)
    title = _("评分结果 %(n)s（%(period)s，%(date)s 发布）", n=snap.number_label, period=snap.period_key,
              date=snap.published_on.isoformat())
    return _send_xlsx(exports.ranking_xlsx(result, title), f"{_('评分结果')}-{snap.year}-{snap.serial}.xlsx")

