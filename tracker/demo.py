"""Demo data for a first start: a region with its counties and departments, and a user per role."""

from __future__ import annotations

import secrets

from tracker.auth.models import Role, User
from tracker.db import utcnow
from tracker.extensions import db
from tracker.notify.demo import load_history
from tracker.plans.demo import load_seed_plans
from tracker.tasks.demo import load_demo_tasks
from tracker.units.models import Unit, UnitKind

REGION = ("demo", "示范市")
OFFICE = ("dbs", "市委督查室")
COUNTIES = [
    ("dc", "东城区"), ("xc", "西城区"), ("nq", "南桥区"), ("bh", "北湖区"), ("qs", "青山县"),
    ("hs", "河山县"), ("ls", "临水县"), ("ys", "云山县"), ("ph", "平湖县"), ("ca", "长安县"),
    ("fx", "丰县"), ("jx", "金溪县"), ("bs", "白沙县"), ("tx", "桃溪县"),
]
DEPARTMENTS = [("jyj", "市教育局"), ("wjw", "市卫生健康委"), ("gaj", "市公安局"), ("xjs", "宣教室")]
#: other names plans use for a department: matched like its name when a plan is assigned
ALIASES = {"wjw": ["市卫健委"]}
#: 乡镇、街道 of the first county: what 各乡镇（街道） in a plan expands to
TOWNSHIPS = [("dc-cg", "城关街道"), ("dc-dh", "东湖街道"), ("dc-ns", "南山镇")]


def _password() -> str:
    return secrets.token_urlsafe(9)


def load() -> list[tuple[str, str, str, str]]:
    """Create the demo units and users; return (email, name, role, password) for each account."""
    region = Unit(code=REGION[0], name=REGION[1], kind=UnitKind.region, sort_order=0)
    db.session.add(region)
    db.session.flush()
    office = Unit(code=OFFICE[0], name=OFFICE[1], kind=UnitKind.office, parent_id=region.id, sort_order=1)
    db.session.add(office)
    counties = []
    for order, (code, name) in enumerate(COUNTIES, start=10):
        unit = Unit(code=code, name=name, kind=UnitKind.county, parent_id=region.id, sort_order=order,
                    contact_email=f"{code}@demo.duban.local")
        counties.append(unit)
    departments = []
    for order, (code, name) in enumerate(DEPARTMENTS, start=50):
        departments.append(Unit(code=code, name=name, kind=UnitKind.department, parent_id=region.id,
                                sort_order=order, contact_email=f"{code}@demo.duban.local",
                                aliases=ALIASES.get(code, [])))
    db.session.add_all(counties + departments)
    db.session.flush()
    db.session.add_all([Unit(code=code, name=name, kind=UnitKind.township, parent_id=counties[0].id,
                             sort_order=order) for order, (code, name) in enumerate(TOWNSHIPS, start=1)])
    db.session.flush()

    accounts: list[tuple[str, str, str, str]] = []

    def add(email: str, name: str, role: Role, unit: Unit | None) -> User:
        password = _password()
        user = User(email=email, name=name, role=role, unit_id=unit.id if unit else None)
        user.set_password(password)
        db.session.add(user)
        accounts.append((email, name, role.value, password))
        return user

    add("admin@demo.duban.local", "系统管理员", Role.admin, office)
    supervisor = add("duban@demo.duban.local", "王督办", Role.supervisor, office)
    leader = add("leader@demo.duban.local", "李副市长", Role.viewer, region)
    names = ["张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林"]
    for surname, unit in zip(names, counties, strict=True):
        add(f"{unit.code}@demo.duban.local", f"{surname}主任", Role.unit_lead, unit)
    for unit in departments:
        add(f"{unit.code}@demo.duban.local", f"{unit.name}联络员", Role.unit_lead, unit)
    add("dc-member@demo.duban.local", "东城区干事", Role.unit_member, counties[0])
    db.session.flush()
    for unit in counties + departments:
        unit.leader_id = leader.id
    db.session.flush()
    now = utcnow()
    plans = load_seed_plans(supervisor, now=now)
    load_demo_tasks(plans[0], supervisor, counties, now=now)
    load_history(now=now)
    return accounts
