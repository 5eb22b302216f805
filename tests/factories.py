"""Small factories for tests: each makes a valid row with sensible Chinese defaults."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from tracker.auth.models import Role, User
from tracker.units.models import Unit, UnitKind

PASSWORD = "correct-horse-9"
_counter = itertools.count(1)


@dataclass
class People:
    admin: User
    supervisor: User
    viewer: User
    lead: User
    member: User
    other_lead: User
    unit: Unit
    other_unit: Unit
    region: Unit

    def by_role(self, role: Role | None) -> User | None:
        return {
            None: None, Role.admin: self.admin, Role.supervisor: self.supervisor, Role.viewer: self.viewer,
            Role.unit_lead: self.lead, Role.unit_member: self.member,
        }[role]


class Factory:
    def __init__(self, db):
        self.db = db

    def unit(self, name: str | None = None, *, code: str | None = None, parent: Unit | None = None,
             kind: UnitKind = UnitKind.county, email: str | None = None) -> Unit:
        n = next(_counter)
        unit = Unit(name=name or f"测试县{n}", code=code or f"u{n}", kind=kind,
                    parent_id=parent.id if parent else None, contact_email=email or f"unit{n}@example.cn")
        self.db.session.add(unit)
        self.db.session.flush()
        return unit

    def user(self, role: Role = Role.unit_member, *, unit: Unit | None = None, name: str | None = None,
             email: str | None = None, password: str = PASSWORD, active: bool = True) -> User:
        n = next(_counter)
        user = User(email=email or f"user{n}@example.cn", name=name or f"用户{n}", role=role,
                    unit_id=unit.id if unit else None, is_active=active)
        user.set_password(password)
        self.db.session.add(user)
        self.db.session.flush()
        return user

    def people(self) -> People:
        region = self.unit("示范市", kind=UnitKind.region)
        unit = self.unit("东城区", parent=region)
        other = self.unit("西城区", parent=region)
        people = People(
            admin=self.user(Role.admin, name="管理员"),
            supervisor=self.user(Role.supervisor, name="王督办"),
            viewer=self.user(Role.viewer, name="李领导"),
            lead=self.user(Role.unit_lead, unit=unit, name="张主任"),
            member=self.user(Role.unit_member, unit=unit, name="东城干事"),
            other_lead=self.user(Role.unit_lead, unit=other, name="刘主任"),
            unit=unit, other_unit=other, region=region,
        )
        unit.leader_id = people.viewer.id
        other.leader_id = people.viewer.id
        self.db.session.commit()
        return people

    def directory(self, people: People) -> dict[str, Unit]:
        """A unit tree as plans name it, around ``people``'s region and two counties: a third county,
        townships under 东城区, city departments (one with an alias), and county departments."""
        region, east, west = people.region, people.unit, people.other_unit
        units = {"示范市": region, "东城区": east, "西城区": west}
        rows = [("青山县", UnitKind.county, region, ()),
                ("城关街道", UnitKind.township, east, ()), ("东湖镇", UnitKind.township, east, ()),
                ("市教育局", UnitKind.department, region, ()), ("市水务局", UnitKind.department, region, ()),
                ("市场监督管理局", UnitKind.department, region, ("市场监管局",)),
                ("市委督查室", UnitKind.office, region, ()),
                ("东城区教育局", UnitKind.department, east, ()), ("东城区卫健委", UnitKind.department, east, ()),
                ("西城区卫健委", UnitKind.department, west, ())]
        for name, kind, parent, aliases in rows:
            unit = self.unit(name, kind=kind, parent=parent)
            unit.aliases = list(aliases)
            units[name] = unit
        self.db.session.commit()
        return units

    def plan(self, title: str = "2026年重点工作实施方案", *, supervisor: User | None = None,
             measures: list[tuple[str, str, int]] | None = None, issued_on: date | None = None):
        """A saved, active plan; ``measures`` as (number, text, level) in document order."""
        from tracker.plans.models import Measure, Plan, PlanState

        plan = Plan(title=title, state=PlanState.active, supervisor_id=supervisor.id if supervisor else None,
                    issued_on=issued_on or date(2026, 1, 5), source_text="")
        self.db.session.add(plan)
        self.db.session.flush()
        rows = measures or [("一", "加强组织领导", 1), ("1", "成立工作专班，明确责任分工。", 2),
                            ("2", "每季度召开一次推进会。", 2), ("二", "抓好重点任务", 1),
                            ("1", "完成880册图书的采购与编目。", 2)]
        stack: list[Measure] = []
        for position, (number, text, level) in enumerate(rows):
            while stack and stack[-1].level >= level:
                stack.pop()
            measure = Measure(plan_id=plan.id, parent_id=stack[-1].id if stack else None, position=position,
                              level=level, number=number, text=text)
            self.db.session.add(measure)
            self.db.session.flush()
            stack.append(measure)
        self.db.session.commit()
        return plan
