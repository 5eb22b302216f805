"""Scores from facts: the rules in force for a scope, a ranking under them (or under edited ones,
for the what-if view), saving a new version of the rules, and publishing a numbered snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from tracker import access, audit, timeutil
from tracker.errors import UserError
from tracker.extensions import db
from tracker.plans.models import Plan
from tracker.reports.bulletin import Period, parse_period
from tracker.scoring import queries
from tracker.scoring.models import RuleSet, ScoreSnapshot, ScoreSnapshotLine
from tracker.scoring.rules import DEFAULT_RULES, KINDS, TWINS, Point, RuleError, check_base, check_rules

#: the number series of published scores (tracker.notices' counters, one per year)
SERIES_SCORE = "score"


class ScopeError(UserError):
    """A scope that names no year or plan; the message is for the user."""

    status = 400
    code = "bad_request"


@dataclass(frozen=True)
class Scope:
    key: str
    year: int | None = None
    plan: Plan | None = None

    @property
    def label(self) -> str:
        if self.plan is not None:
            return self.plan.title
        return _("%(y)d年度全部计划", y=self.year)


def parse_scope(raw: str | None, now: datetime) -> Scope:
    """"year:2026", "plan:12", or nothing (this year)."""
    text = (raw or "").strip()
    if not text:
        return Scope(f"year:{timeutil.local_today(now).year}", year=timeutil.local_today(now).year)
    kind, _sep, value = text.partition(":")
    if kind == "year" and value.isdigit() and 2000 <= int(value) <= 2100:
        return Scope(f"year:{int(value)}", year=int(value))
    if kind == "plan" and value.isdigit() and len(value) < 12:
        plan = db.session.get(Plan, int(value))
        if plan is not None and not plan.is_deleted:
            return Scope(f"plan:{plan.id}", plan=plan)
    raise ScopeError(_("无法识别的评分范围：%(scope)s", scope=text[:40]))


def default_period(now: datetime) -> Period:
    """The half year we are in: the period a 考核 is usually published for."""
    today = timeutil.local_today(now)
    return parse_period(f"{today.year}-H{1 if today.month <= 6 else 2}")


# --------------------------------------------------------------------------- rules in force

@dataclass
class RulesInForce:
    base: float
    rules: list[dict[str, Any]]
    #: None: nobody saved rules for the scope yet, the defaults apply
    rule_set: RuleSet | None = None

    @property
    def version(self) -> int:
        return self.rule_set.version if self.rule_set is not None else 0


def current_rule_set(scope: str) -> RuleSet | None:
    return db.session.scalar(sa.select(RuleSet).where(RuleSet.scope == scope).order_by(RuleSet.version.desc())
                             .limit(1))


def rules_in_force(scope: str) -> RulesInForce:
    found = current_rule_set(scope)
    if found is None:
        return RulesInForce(0.0, check_rules(DEFAULT_RULES))
    return RulesInForce(found.base, list(found.rules), found)


def rule_history(scope: str) -> list[RuleSet]:
    return list(db.session.scalars(sa.select(RuleSet).where(RuleSet.scope == scope)
                                   .order_by(RuleSet.version.desc())))


def save_rules(scope: Scope, base: Any, rules: list[dict[str, Any]], *, note: str = "", actor: Any,
               now: datetime) -> RuleSet:
    """Save edited rules as the scope's next version; the versions before stay as they were."""
    access.check(access.may_edit_rules(actor, scope.plan))
    checked = check_rules(rules)
    checked_base = check_base(base)
    note = (note or "").strip()
    if len(note) > 500:
        raise RuleError(_("修改说明不能超过 500 个字符。"))
    previous = current_rule_set(scope.key)
    if previous is not None and previous.rules == checked and previous.base == checked_base:
        raise RuleError(_("评分规则没有改动，未生成新版本。"))
    rule_set = RuleSet(scope=scope.key, plan_id=scope.plan.id if scope.plan else None,
                       version=(previous.version if previous else 0) + 1, base=checked_base, rules=checked,
                       note=note, created_by_id=actor.id, created_at=now)
    db.session.add(rule_set)
    db.session.flush()
    audit.record(actor, "scoring.rules_saved", rule_set,
                 {"scope": scope.key, "version": rule_set.version, "base": checked_base, "rules": checked}, now=now)
    return rule_set


# --------------------------------------------------------------------------- scores

@dataclass
class RuleTotal:
    kind: str
    #: the sum of the rule's points before its cap
    raw: float
    #: what counts after the cap
    counted: float
    #: the points themselves: made for one unit's page, the export and a snapshot, empty in a ranking
    points: list[Point] = field(default_factory=list)
    #: how many points there are (listed or not)
    count: int = 0

    @property
    def is_capped(self) -> bool:
        return self.raw != self.counted


@dataclass
class UnitScore:
    unit_id: int
    unit_name: str
    total: float
    rules: dict[str, RuleTotal]
    rank: int = 0

    @property
    def point_count(self) -> int:
        return sum(r.count for r in self.rules.values())


@dataclass
class Ranking:
    scope: str
    period_key: str
    start: date
    end: date
    as_of: date
    base: float
    rules: list[dict[str, Any]]
    version: int
    units: list[UnitScore]

    def unit(self, unit_id: int) -> UnitScore | None:
        return next((u for u in self.units if u.unit_id == unit_id), None)


def _capped(raw: float, cap: float | None) -> float:
    if cap is None or abs(raw) <= cap:
        return raw
    return cap if raw > 0 else -cap


def _ranked(units: list[UnitScore]) -> list[UnitScore]:
    units.sort(key=lambda u: (-u.total, u.unit_name, u.unit_id))
    previous, place = None, 0
    for index, unit in enumerate(units, start=1):
        if unit.total != previous:
            place, previous = index, unit.total
        unit.rank = place
    return units


def _unit_score(unit_id: int, name: str, base: float, totals: dict[str, RuleTotal]) -> UnitScore:
    return UnitScore(unit_id, name, round(base + sum(t.counted for t in totals.values()), 2), totals)


def rank(facts: queries.Facts, base: float, rules: list[dict[str, Any]], scope: str = "",
         version: int = 0) -> Ranking:
    """Apply the rules to the facts point by point: each unit's points by rule, each with its
    event, capped, summed and ranked."""
    by_unit: dict[int, dict[str, list[Point]]] = {uid: {} for uid in facts.units}
    for rule in rules:
        groups: dict[int, list[Point]] = {}
        for point in KINDS[rule["kind"]].compute(facts, rule):
            found = groups.get(point.unit_id)
            if found is None:
                groups[point.unit_id] = [point]
            else:
                found.append(point)
        for unit_id, points in groups.items():
            by_unit.setdefault(unit_id, {})[rule["kind"]] = points
    units = []
    for unit_id, per_rule in by_unit.items():
        totals: dict[str, RuleTotal] = {}
        for rule in rules:
            points = per_rule.get(rule["kind"], [])
            raw = round(sum([p.points for p in points]), 2)
            totals[rule["kind"]] = RuleTotal(rule["kind"], raw, _capped(raw, rule.get("cap")), points, len(points))
        units.append(_unit_score(unit_id, facts.units.get(unit_id, str(unit_id)), base, totals))
    return Ranking(scope, facts.period_key, facts.start, facts.end, facts.as_of, base, rules, version,
                   _ranked(units))


def rank_in_sql(sources: queries.Sources, period: Period, base: float, rules: list[dict[str, Any]],
                scope: str = "", version: int = 0) -> Ranking:
    """The same ranking from the rules' SQL twins: one GROUP BY per kind of fact gives each unit's
    points and their number per rule; caps and thresholds apply to those sums. No point is made."""
    as_of = sources.as_of.toordinal()
    found: dict[int, dict[str, tuple[float, int]]] = {}
    for source, select in sources.selects.items():
        twins = [(rule, TWINS[rule["kind"]]) for rule in rules if TWINS[rule["kind"]].source == source]
        rows = queries.grouped(select, [lambda c, rule=rule, twin=twin: twin.columns(c, rule, as_of)
                                        for rule, twin in twins])
        for unit_id, values in rows:
            per_rule = found.setdefault(unit_id, {})
            for (rule, twin), aggregates in zip(twins, values, strict=True):
                raw, count = twin.finish(aggregates, rule)
                if count:
                    per_rule[rule["kind"]] = (raw, count)
    names = queries.unit_names(found)
    units = []
    for unit_id, per_rule in found.items():
        totals = {}
        for rule in rules:
            raw, count = per_rule.get(rule["kind"], (0, 0))
            totals[rule["kind"]] = RuleTotal(rule["kind"], raw, _capped(raw, rule.get("cap")), [], count)
        units.append(_unit_score(unit_id, names.get(unit_id, str(unit_id)), base, totals))
    return Ranking(scope, period.key, period.start, period.end, sources.as_of, base, rules, version,
                   _ranked(units))


def scores(scope: Scope, period: Period, *, now: datetime, base: float | None = None,
           rules: list[dict[str, Any]] | None = None, points: bool = False) -> Ranking:
    """The live ranking of a scope and period under the rules in force (or the ones given): from
    the SQL twins, or with ``points`` every point made with its event (the export, a snapshot)."""
    in_force = rules_in_force(scope.key)
    version = in_force.version
    if rules is not None:
        version = -1
    base = in_force.base if base is None else base
    rules = in_force.rules if rules is None else rules
    if not points:
        return rank_in_sql(queries.fact_sources(scope.key, period.start, period.end, now), period, base, rules,
                           scope.key, version)
    facts = queries.load_facts(scope.key, period.key, period.start, period.end, now)
    return rank(facts, base, rules, scope.key, version)


def unit_scores(scope: Scope, period: Period, unit_id: int, *, now: datetime) -> Ranking:
    """The live ranking with one unit's every point listed: the unit's page. Only that unit's
    facts are read point by point; its rank comes from the ranking."""
    ranking = scores(scope, period, now=now)
    listed = ranking.unit(unit_id)
    if listed is not None:
        facts = queries.load_facts(scope.key, period.key, period.start, period.end, now, unit_id=unit_id)
        detail = rank(facts, ranking.base, ranking.rules).unit(unit_id)
        if detail is not None:
            listed.rules = detail.rules
    return ranking


def what_if(scope: Scope, period: Period, base: Any, rules: list[dict[str, Any]], *, actor: Any,
            now: datetime) -> tuple[Ranking, Ranking]:
    """The ranking under the rules in force and under edited rules, side by side. Reads only: the
    edited rules are checked as a save would check them, and nothing is written."""
    access.check(access.may_edit_rules(actor, scope.plan))
    checked, checked_base = check_rules(rules), check_base(base)
    in_force = rules_in_force(scope.key)
    sources = queries.fact_sources(scope.key, period.start, period.end, now)
    return (rank_in_sql(sources, period, in_force.base, in_force.rules, scope.key, in_force.version),
            rank_in_sql(sources, period, checked_base, checked, scope.key, -1))


# --------------------------------------------------------------------------- snapshots

def point_data(point: Point) -> dict[str, Any]:
    return {"kind": point.kind, "points": point.points, "unit_id": point.unit_id, "on": point.on.isoformat(),
            "what": point.what, "task_id": point.task_id, "entry_id": point.entry_id, "value": point.value,
            "refs": list(point.refs)}


def ranking_data(ranking: Ranking) -> dict[str, Any]:
    return {"base": ranking.base, "rules": ranking.rules, "units": [
        {"unit_id": u.unit_id, "unit_name": u.unit_name, "rank": u.rank, "total": u.total,
         "rules": {k: {"raw": t.raw, "counted": t.counted, "points": [point_data(p) for p in t.points]}
                   for k, t in u.rules.items()}}
        for u in ranking.units]}


def ranking_of(snapshot: ScoreSnapshot) -> Ranking:
    """A snapshot read back as a ranking, for the same pages and export as live scores."""
    data = snapshot.data or {}
    units = []
    for u in data.get("units", []):
        totals = {}
        for kind, t in u["rules"].items():
            points = [Point(p["kind"], p["points"], p["unit_id"], date.fromisoformat(p["on"]), p["what"],
                            p.get("task_id"), p.get("entry_id"), p.get("value"), tuple(p.get("refs") or ()))
                      for p in t["points"]]
            totals[kind] = RuleTotal(kind, t["raw"], t["counted"], points, len(points))
        units.append(UnitScore(u["unit_id"], u["unit_name"], u["total"], totals, u["rank"]))
    return Ranking(snapshot.scope, snapshot.period_key, snapshot.period_start, snapshot.period_end,
                   snapshot.as_of, data.get("base", 0.0), data.get("rules", []), snapshot.rule_set.version, units)


def publish(scope: Scope, period: Period, *, actor: Any, now: datetime) -> ScoreSnapshot:
    """Publish the scope's scores for the period as the year's next numbered snapshot. The rules in
    force are saved as version 1 first if nobody saved any, so the snapshot always names a version."""
    from tracker.notices.services import lock_series, next_serial

    access.check(access.may_edit_rules(actor, scope.plan))
    rule_set = current_rule_set(scope.key)
    if rule_set is None:
        in_force = rules_in_force(scope.key)
        rule_set = save_rules(scope, in_force.base, in_force.rules, note=_("默认规则"), actor=actor, now=now)
    ranking = scores(scope, period, now=now, points=True)
    if not ranking.units:
        raise UserError(_("本期没有可评分的任务，未发布。"))
    today = timeutil.local_today(now)
    lock_series(SERIES_SCORE, today.year)
    snapshot = ScoreSnapshot(year=today.year, serial=next_serial(SERIES_SCORE, today.year), scope=scope.key,
                             plan_id=scope.plan.id if scope.plan else None, period_key=period.key,
                             period_start=period.start, period_end=period.end, as_of=ranking.as_of,
                             rule_set_id=rule_set.id, published_on=today, published_at=now,
                             published_by_id=actor.id, data=ranking_data(ranking))
    db.session.add(snapshot)
    db.session.flush()
    db.session.add_all([ScoreSnapshotLine(snapshot_id=snapshot.id, unit_id=u.unit_id, rank=u.rank, total=u.total)
                        for u in ranking.units])
    db.session.flush()
    audit.record(actor, "scoring.published", snapshot,
                 {"number": snapshot.number_label, "scope": scope.key, "period": period.key,
                  "rule_set_id": rule_set.id, "version": rule_set.version, "units": len(ranking.units)}, now=now)
    return snapshot


def snapshots(user: Any, limit: int = 50) -> list[ScoreSnapshot]:
    return list(db.session.scalars(sa.select(ScoreSnapshot).where(access.snapshot_condition(user))
                                   .order_by(ScoreSnapshot.id.desc()).limit(limit)))
