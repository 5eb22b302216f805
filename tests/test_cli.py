"""Operator commands."""

import sqlalchemy as sa

from tracker.auth.models import Role, User
from tracker.units.models import Unit


def test_users_create_reads_password_from_stdin(runner, db, make):
    unit = make.unit("东城区", code="dc")
    db.session.commit()
    result = runner.invoke(args=["users", "create", "Boss@Example.cn", "--name", "首任管理员", "--role", "admin",
                                 "--unit", "dc"], input="first-admin-pass\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "boss@example.cn"))
    assert user.role is Role.admin and user.unit_id == unit.id
    assert user.check_password("first-admin-pass") and "first-admin-pass" not in user.password_hash


def test_users_create_refuses_bad_input(runner, db):
    result = runner.invoke(args=["users", "create", "bad", "--name", "x", "--role", "admin"], input="long-enough\n")
    assert result.exit_code != 0 and "有效的邮箱" in result.output
    result = runner.invoke(args=["users", "create", "a@example.cn", "--name", "x", "--role", "admin"], input="short\n")
    assert result.exit_code != 0 and "至少需要" in result.output
    result = runner.invoke(args=["users", "create", "a@example.cn", "--name", "x", "--role", "unit_lead",
                                 "--unit", "nope"], input="long-enough\n")
    assert result.exit_code != 0 and "unknown unit" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_units_import(runner, db, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("代码,名称,上级代码\nr,示范市,\nc1,东城区,r\n", encoding="utf-8-sig")
    result = runner.invoke(args=["units", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Unit).where(Unit.code == "c1")).parent.code == "r"
    path.write_text("代码,名称,上级代码,类型,别名\nr,示范市,,地区,\nt1,城关街道,c1,乡镇,城关办；城关\n",
                    encoding="utf-8")
    assert runner.invoke(args=["units", "import", str(path)]).exit_code == 0
    township = db.session.scalar(sa.select(Unit).where(Unit.code == "t1"))
    assert township.kind.value == "township" and township.aliases == ["城关办", "城关"]
    path.write_text("代码,名称,上级代码\nx,甲,y\n", encoding="utf-8")
    result = runner.invoke(args=["units", "import", str(path)])
    assert result.exit_code != 0 and "不存在" in result.output


def test_demo_load_once(runner, db):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "admin@demo.duban.local" in result.output
    counties = db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.kind == "county"))
    assert counties == 14
    # 各乡镇（街道） and 市卫健委 mean units of the demo tree
    from tracker.units.queries import match_unit_names

    townships, health = match_unit_names(["各乡镇（街道）", "市卫健委"])
    assert [u.name for u in townships.units] == ["城关街道", "东湖街道", "南山镇"]
    assert [u.name for u in health.units] == ["市卫生健康委"]
    roles = set(db.session.scalars(sa.select(User.role)))
    assert roles == set(Role)
    # the seed plans, and a few months of work on the first one: every state and light is there to see
    from tracker.plans.models import Plan
    from tracker.tasks.models import Task, TaskState

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 5
    states = set(db.session.scalars(sa.select(Task.state).distinct()))
    assert {TaskState.assigned, TaskState.in_progress, TaskState.submitted, TaskState.returned,
            TaskState.completed} <= states
    # the dashboard's task tally agrees with the tasks the demo's services wrote
    from tracker.tally import services as tally

    assert tally.differences(db.session.connection()) == []
    # passwords are stored hashed, and a second start keeps the data and prints no passwords
    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "not loaded" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.kind == "county")) == 14
