"""The permission matrix, generated from the routes, and the planted-marker test.

Every URL rule that names an object by an integer id is requested by every role, once with an
object of the user's own side (unit 东城区, the plan its supervisor runs) and once with one of the
other side (西城区, another supervisor's plan), with every method the rule allows. What the answer
must be comes from the rule the view declares with ``access.protects`` and from the predicates of
``tracker.access`` evaluated on the same user and object, never from a list in this file. A new
route is covered as soon as it exists; one that names an object without declaring its rule, or
with an argument this test cannot fill, fails the test instead of being skipped.

The planted marker is an ASCII string in the other side's plan title and task text: no page,
list, filter, export or API answer reachable by a user of an unrelated unit may contain it.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from tests import factories
from tracker import access
from tracker.api import auth as api_auth
from tracker.audit import AuditEntry
from tracker.auth.models import Role, User
from tracker.notices import services as notice_services
from tracker.notify.models import Notification, OutboxEmail
from tracker.plans import queries as plan_queries
from tracker.plans import services as plan_services
from tracker.plans.models import MeasureKind, PlanState
from tracker.reports.bulletin import parse_period
from tracker.scoring import services as scoring_services
from tracker.tasks import services as task_services
from tracker.tasks.models import ExtensionRequest, ReportingPeriod, UnitRole

MARKER = "ZQX7MARKER"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

#: values for URL arguments that are not object ids
PLAIN_ARGUMENTS = {"index": 0, "state": "active", "action": "start",
                   # a one-task link's pages: a token that opens nothing, so only the token is a credential
                   "token": "not-a-real-token"}
#: arguments that name an object, and the attribute of a side that holds it
OBJECT_ARGUMENTS = {
    "plan_id": "plan", "task_id": "task", "evidence_id": "evidence", "request_id": "extension",
    "extension_id": "extension", "notice_id": "notice", "message_id": "message",
    "notification_id": "notification", "unit_id": "unit", "user_id": "user", "token_id": "token",
    "refusal_id": "refusal",
    "snapshot_id": "snapshot",
}
DENIED = (403, 404)


@dataclass
class Side:
    """The objects of one unit and one plan."""

    unit: Any
    user: Any
    plan: Any
    task: Any
    evidence: Any
    extension: Any
    notice: Any
    message: Any
    notification: Any
    token: Any
    refusal: Any = None
    snapshot: Any = None
    extra: dict = field(default_factory=dict)

    def value(self, argument: str) -> Any:
        return getattr(self, OBJECT_ARGUMENTS[argument])


@dataclass
class World:
    own: Side
    other: Side
    users: dict[Role, User]
    tokens: dict[int, str]


def _plan(supervisor: User, title: str, text: str, now) -> Any:
    data = f"一、总体要求\n1. {text}\n2. 每季度召开一次推进会。\n".encode()
    edited = plan_queries.outline_to_edit(plan_queries.preview(data, "plan.txt", None))
    edited["plans"][0]["title"] = title
    [plan] = plan_services.import_plan(edited, source_text=data.decode(), source_file=(data, "plan.txt"),
                                        actor=supervisor, now=now)
    plan_services.set_state(plan, PlanState.active, actor=supervisor, now=now)
    return plan


def _side(db, make, unit, lead, supervisor, title: str, text: str, now) -> Side:
    plan = _plan(supervisor, title, text, now)
    measure = next(m for m in plan.measures if m.kind is MeasureKind.measure)
    [task] = task_services.assign(plan, [measure.id], [unit.id], role=UnitRole.lead, due_on=date(2026, 6, 30),
                                  reporting_period=ReportingPeriod.once, actor=supervisor, now=now)
    [evidence] = task_services.add_evidence(task, actor=lead, files=[FileStorage(io.BytesIO(PDF), "佐证.pdf")],
                                            now=now)
    extension = ExtensionRequest(task_id=task.id, requested_by_id=lead.id, reason="需要更多时间。",
                                 old_due_on=task.due_on, new_due_on=date(2026, 7, 31))
    db.session.add(extension)
    [notice] = notice_services.issue_notices("2026-H1", unit_ids=[unit.id], actor=supervisor, now=now)
    db.session.flush()
    message = db.session.scalars(sa.select(OutboxEmail).where(
        OutboxEmail.related_type == "supervision_notice", OutboxEmail.related_id == notice.id)).first()
    notification = db.session.scalars(sa.select(Notification).where(Notification.user_id == lead.id)).first()
    token, _secret = api_auth.create_token(lead, "另一个令牌", actor=lead, now=now)
    snapshot = scoring_services.publish(scoring_services.parse_scope(f"plan:{plan.id}", now),
                                        parse_period("2026-H1"), actor=supervisor, now=now)
    assert message is not None and message.attachments and notification is not None
    # a second measure, refused by the unit (退回交办), waiting for the supervisor
    second = [m for m in plan.measures if m.kind is MeasureKind.measure][1]
    [refused] = task_services.assign(plan, [second.id], [unit.id], role=UnitRole.lead, due_on=date(2026, 6, 30),
                                     reporting_period=ReportingPeriod.once, actor=supervisor, now=now)
    refusal = task_services.refuse(refused, actor=lead, reason="不属于本单位职责。", now=now)
    return Side(unit=unit, user=lead, plan=plan, task=task, evidence=evidence, extension=extension, notice=notice,
                message=message, notification=notification, token=token, refusal=refusal,
                snapshot=snapshot)


def build_world(db, make, now) -> World:
    region = make.unit("示范市")
    own_unit = make.unit("东城区", parent=region)
    other_unit = make.unit("西城区", parent=region)
    users = {
        Role.admin: make.user(Role.admin, name="管理员"),
        Role.supervisor: make.user(Role.supervisor, name="王督办"),
        Role.viewer: make.user(Role.viewer, name="李领导"),
        Role.unit_lead: make.user(Role.unit_lead, unit=own_unit, name="张主任"),
        Role.unit_member: make.user(Role.unit_member, unit=own_unit, name="东城干事"),
    }
    other_supervisor = make.user(Role.supervisor, name="赵督办")
    other_lead = make.user(Role.unit_lead, unit=other_unit, name="刘主任")
    own = _side(db, make, own_unit, users[Role.unit_lead], users[Role.supervisor], "东城区重点工作方案",
                "成立工作专班，明确责任分工。", now)
    other = _side(db, make, other_unit, other_lead, other_supervisor, f"西城区{MARKER}专项方案",
                  f"完成{MARKER}项目建设。", now)
    db.session.commit()
    tokens = {}
    for user in users.values():
        _token, tokens[user.id] = api_auth.create_token(user, "矩阵测试", actor=user, now=now)
    db.session.commit()
    return World(own=own, other=other, users=users, tokens=tokens)


class Callers:
    """One signed-in page client and one API token per user."""

    def __init__(self, app, world: World) -> None:
        self.app = app
        self.world = world
        self.pages: dict[int, Any] = {}

    def request(self, user: User, method: str, path: str):
        if path.startswith("/api/"):
            client = self.app.test_client()
            headers = {"Authorization": f"Bearer {self.world.tokens[user.id]}"}
            if method == "GET":
                return client.get(path, headers=headers)
            return client.open(path, method=method, json={}, headers=headers)
        if user.id not in self.pages:
            self._sign_in(user)
        response = self.pages[user.id].open(path, method=method, data={})
        if response.status_code == 302 and "/login" in (response.location or ""):
            # an admin's action in the walk (a reset second factor) ended this user's sessions
            self._sign_in(user)
            response = self.pages[user.id].open(path, method=method, data={})
        return response

    def _sign_in(self, user: User) -> None:
        client = self.app.test_client()
        response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
        assert response.status_code == 302
        self.pages[user.id] = client


def object_rules(app) -> list:
    """Every URL rule with an integer argument, with its view's declaration; loud about gaps."""
    found, problems = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        converters = {name: type(conv).__name__ for name, conv in rule._converters.items()}
        if "IntegerConverter" not in converters.values():
            continue
        declared = getattr(app.view_functions[rule.endpoint], "access_rule", None)
        if declared is None:
            problems.append(f"{rule.endpoint} ({rule.rule}) names an object but declares no access rule")
            continue
        for name in converters:
            if name not in OBJECT_ARGUMENTS and name not in PLAIN_ARGUMENTS:
                problems.append(f"{rule.endpoint} ({rule.rule}): no way to fill <{name}>")
        if declared["argument"] not in converters:
            problems.append(f"{rule.endpoint} declares a rule for {declared['argument']}, not in its URL")
        found.append((rule, declared))
    assert not problems, "\n".join(problems)
    return found


def _path(app, rule, side: Side) -> str:
    values = {}
    for name in rule.arguments:
        values[name] = PLAIN_ARGUMENTS[name] if name in PLAIN_ARGUMENTS else side.value(name).id
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=sorted(rule.methods)[0])


def _audit_count(db) -> int:
    """Audit entries of what was done; a refusal itself is recorded as a security event."""
    return db.session.scalar(sa.select(sa.func.count(AuditEntry.id))
                             .where(AuditEntry.action != "security.permission_denied"))


@pytest.mark.parametrize("unsupervised_visible", [False, True])
def test_every_route_with_an_id_answers_each_role_as_the_rules_say(app, db, make, now, unsupervised_visible):
    app.config["SUPERVISORS_SEE_UNSUPERVISED_PLANS"] = unsupervised_visible
    world = build_world(db, make, now)
    if unsupervised_visible:
        # the other side's plan loses its supervisor: the setting now decides for our supervisor
        world.other.plan.supervisor_id = None
        db.session.commit()
    callers = Callers(app, world)
    rules = object_rules(app)
    assert len(rules) >= 40
    failures = []
    checked = 0
    for rule, declared in rules:
        for side_name in ("own", "other"):
            side = getattr(world, side_name)
            path = _path(app, rule, side)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for role, user in world.users.items():
                    db.session.expire_all()
                    target = side.value(declared["argument"])
                    obj = db.session.get(type(target), target.id)
                    user = db.session.get(User, user.id)
                    may_see = declared["see"](user, obj)
                    write = declared["write"]
                    may_write = write(user, obj) if write is not None and method != "GET" else None
                    before = _audit_count(db)
                    status = callers.request(user, method, path).status_code
                    checked += 1
                    where = f"{method} {path} ({rule.endpoint}) as {role.value} on {side_name}: {status}"
                    if status >= 500:
                        failures.append(f"{where}, a server error")
                    elif not may_see or may_write is False:
                        if status not in DENIED:
                            failures.append(f"{where}, expected 403/404")
                        elif _audit_count(db) != before:
                            failures.append(f"{where}, refused but wrote an audit entry")
                    elif method == "GET":
                        if status != 200:
                            failures.append(f"{where}, expected 200")
                    elif status == 404 or (may_write and status == 403):
                        failures.append(f"{where}, expected the action to be allowed")
    assert checked > 500
    assert not failures, "\n".join(failures)


def test_a_new_route_without_a_declared_rule_fails_the_matrix(app):
    """The generator is loud: an undeclared route is reported, not skipped."""
    app.add_url_rule("/probe/<int:plan_id>", "probe", lambda plan_id: "")
    with pytest.raises(AssertionError, match="probe .* declares no access rule"):
        object_rules(app)


def test_a_new_route_with_an_unknown_argument_fails_the_matrix(app):
    @access.protects("plan_id", access.can_see_plan)
    def probe(plan_id: int, widget_id: int) -> str:
        return ""

    app.add_url_rule("/probe/<int:plan_id>/<int:widget_id>", "probe", probe)
    with pytest.raises(AssertionError, match="no way to fill <widget_id>"):
        object_rules(app)


# --------------------------------------------------------------------------- the planted marker

def _texts(body: bytes) -> list[str]:
    """The readable text of a response: itself, or each member of a .docx/.xlsx archive."""
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]
    return [body.decode("utf-8", "replace")]


def _reachable_paths(app, world: World) -> list[str]:
    """Every GET route without arguments, and every GET route filled with the own side's ids."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if not rule.arguments:
            paths.append(rule.rule)
        elif all(name in OBJECT_ARGUMENTS or name in PLAIN_ARGUMENTS for name in rule.arguments):
            paths.append(_path(app, rule, world.own))
    extra = [f"/tasks/mine?plan_id={world.other.plan.id}", f"/tasks?plan_id={world.other.plan.id}",
             f"/dashboard?plan_id={world.other.plan.id}", "/reports/ledger.xlsx", "/reports/ledger.csv",
             "/reports/bulletin?period=2026-03", f"/api/v1/tasks?plan_id={world.other.plan.id}",
             "/tasks/mine?q=" + MARKER[:4]]
    return sorted(paths) + extra


@pytest.mark.parametrize("role", [Role.unit_lead, Role.unit_member, Role.supervisor])
def test_planted_marker_reaches_no_user_of_an_unrelated_unit(app, db, make, now, role):
    """Unit people of another unit, and the supervisor of another plan."""
    world = build_world(db, make, now)
    callers = Callers(app, world)
    user = world.users[role]
    paths = _reachable_paths(app, world)
    assert len(paths) > 30
    leaks = []
    for path in paths:
        response = callers.request(user, "GET", path)
        assert response.status_code < 500, path
        if any(MARKER in text for text in _texts(response.data)):
            leaks.append(f"{path} ({response.status_code})")
    assert not leaks, "the other unit's marker reached " + ", ".join(leaks)
    # the marker is there to be found: the other unit's lead sees it on the same pages
    other = callers.request(world.other.user, "GET", f"/tasks/{world.other.task.id}")
    assert MARKER in other.get_data(as_text=True)


def test_unit_people_see_their_child_units_notices(app, db, make, now):
    world = build_world(db, make, now)
    child = make.unit("东城区街道", parent=world.own.unit)
    supervisor = world.users[Role.supervisor]
    measure = next(m for m in world.own.plan.measures if m.kind is MeasureKind.measure)
    task_services.assign(world.own.plan, [measure.id], [child.id], role=UnitRole.lead, due_on=date(2026, 6, 30),
                         reporting_period=ReportingPeriod.once, actor=supervisor, now=now)
    [notice] = notice_services.issue_notices("2026-H1", unit_ids=[child.id], actor=supervisor, now=now)
    db.session.commit()
    callers = Callers(app, world)
    lead = world.users[Role.unit_lead]
    assert callers.request(lead, "GET", f"/notices/{notice.id}").status_code == 200
    assert notice.number_label in callers.request(lead, "GET", "/notices/").get_data(as_text=True)
    # seeing is not answering: the child unit answers its own notice
    assert not access.may_answer_notice(lead, notice)
    other_lead = world.other.user
    assert callers.request(other_lead, "GET", f"/notices/{notice.id}").status_code in DENIED


def test_summary_of_a_plan_the_unit_has_no_task_in_is_refused(app, db, make, now):
    world = build_world(db, make, now)
    callers = Callers(app, world)
    lead = world.users[Role.unit_lead]
    for suffix in ("summary", "summary.docx"):
        assert callers.request(lead, "GET", f"/plans/{world.other.plan.id}/{suffix}").status_code == 403
        assert callers.request(lead, "GET", f"/plans/{world.own.plan.id}/{suffix}").status_code == 200
    assert not access.can_see_plan_summary(lead, world.other.plan)
