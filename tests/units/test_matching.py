"""Suggested unit names meet the unit tree: exact, alias, group words, region prefixes, unmatched;
a supervisor's mapping is remembered as an alias."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.audit import AuditEntry
from tracker.auth.permissions import PermissionDenied
from tracker.units import services
from tracker.units.models import Unit, UnitKind
from tracker.units.queries import ALIAS, EXACT, GROUP, PREFIX, UnitDirectory, group_kind, match_unit_names


@pytest.fixture
def tree(make, people):
    return make.directory(people)


def names(match) -> list[str]:
    return [u.name for u in match.units]


@pytest.mark.parametrize("written,unit,how", [
    ("市教育局", "市教育局", EXACT),
    ("东城区", "东城区", EXACT),
    (" 市 水务局 ", "市水务局", EXACT),
    ("市场监管局", "市场监督管理局", ALIAS),
    ("县水务局", "市水务局", PREFIX),
    ("水务局", "市水务局", PREFIX),
    ("示范市水务局", "市水务局", PREFIX),
    ("区教育局", "市教育局", PREFIX),  # the higher of 市教育局 and 东城区教育局
    ("教育局", "市教育局", PREFIX),
    ("县市场监管局", "市场监督管理局", PREFIX),
    ("东城区城关街道", "城关街道", PREFIX),
    ("宣城市水务局", "市水务局", PREFIX),
    ("安徽省宣城市教育局", "市教育局", PREFIX),
])
def test_one_name_one_unit(tree, written, unit, how):
    [match] = match_unit_names([written])
    assert (names(match), match.how) == ([unit], how)


@pytest.mark.parametrize("written", ["各县区", "各县（市、区）", "各县(市、区)政府", "各区县", "各县（市、区）人民政府",
                                     "全市各县区"])
def test_county_group_words(tree, written):
    [match] = match_unit_names([written])
    assert match.how == GROUP and names(match) == ["东城区", "西城区", "青山县"]


@pytest.mark.parametrize("written", ["各乡镇（街道）", "各镇街", "各乡镇", "各街道", "各乡镇(街道)", "各乡镇人民政府"])
def test_township_group_words(tree, written):
    [match] = match_unit_names([written])
    assert match.how == GROUP and names(match) == ["城关街道", "东湖镇"]


@pytest.mark.parametrize("written", ["各部门", "各有关部门", "各成员单位", "各相关单位", "市直各部门"])
def test_department_group_words_mean_the_departments_not_under_a_county(tree, written):
    [match] = match_unit_names([written])
    assert match.how == GROUP and names(match) == ["市教育局", "市水务局", "市场监督管理局"]


def test_departments_fall_back_to_offices(make, people):
    make.unit("市委督查室", kind=UnitKind.office, parent=people.region)
    [match] = match_unit_names(["各成员单位"])
    assert names(match) == ["市委督查室"]


def test_a_group_with_no_unit_of_its_kind_is_unmatched(people):
    [match] = match_unit_names(["各乡镇（街道）"])
    assert not match.matched and match.how == ""


@pytest.mark.parametrize("written", ["省发展改革委", "市政府", "区委", "县人民政府", "各", "", "教育"])
def test_unmatched_names(tree, written):
    [match] = match_unit_names([written])
    assert not match.matched and match.units == ()


def test_words_that_end_like_a_place_are_not_one(tree, make, people):
    make.unit("服务中心", kind=UnitKind.department, parent=people.region)
    make.unit("管理局", kind=UnitKind.department, parent=people.region)
    for written in ("社区服务中心", "城市管理局", "园区服务中心"):
        assert not match_unit_names([written])[0].matched, written
    assert [u.name for u in match_unit_names(["青山县服务中心"])[0].units] == ["服务中心"]


def test_a_tie_is_left_to_the_supervisor(tree):
    [match] = match_unit_names(["卫健委"])
    assert not match.matched and sorted(u.name for u in match.candidates) == ["东城区卫健委", "西城区卫健委"]


def test_inactive_units_are_not_matched(tree, db):
    tree["市水务局"].is_active = False
    db.session.commit()
    assert not match_unit_names(["市水务局"])[0].matched


def test_group_kind_reads_the_word_not_the_tree():
    assert group_kind("各县（市、区）党委和政府") is UnitKind.county
    assert group_kind("各镇（街道）") is UnitKind.township
    assert group_kind("各有关单位") is UnitKind.department
    assert group_kind("县教育局") is None and group_kind("各项工作") is None


def test_mapping_a_name_is_remembered_as_an_alias(tree, people, db, now):
    assert not match_unit_names(["县农业农村局"])[0].matched
    services.resolve_names([services.NameChoice("县农业农村局", unit_id=tree["市水务局"].id)],
                           actor=people.supervisor, now=now, context={"plan_id": 7})
    db.session.commit()
    [match] = match_unit_names(["县农业农村局"])
    assert names(match) == ["市水务局"] and match.how == ALIAS
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "unit.alias_added"))
    assert entry.actor_id == people.supervisor.id and entry.data == {"alias": "县农业农村局", "plan_id": 7}
    # mapping it again changes nothing and records nothing
    services.resolve_names([services.NameChoice("县农业农村局", unit_id=tree["市水务局"].id)],
                           actor=people.supervisor, now=now)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "unit.alias_added")) == 1


def test_creating_a_unit_for_a_name(tree, people, db, now):
    [unit] = services.resolve_names([services.NameChoice("县乡村振兴局", new_kind=UnitKind.department),
                                     services.NameChoice("不处理的名称")], actor=people.supervisor, now=now)
    db.session.commit()
    assert unit.parent_id == people.region.id and unit.kind is UnitKind.department
    assert names(match_unit_names(["县乡村振兴局"])[0]) == ["县乡村振兴局"]


def test_mapping_refuses_bad_choices_and_other_roles(tree, people, db, now):
    with pytest.raises(PermissionDenied):
        services.resolve_names([services.NameChoice("县农业农村局", unit_id=tree["市水务局"].id)],
                               actor=people.lead, now=now)
    with pytest.raises(services.UnitError, match="已是单位"):
        services.resolve_names([services.NameChoice("东城区", unit_id=tree["市水务局"].id)],
                               actor=people.supervisor, now=now)
    with pytest.raises(services.UnitError, match="已存在"):
        services.resolve_names([services.NameChoice("市教育局", new_kind=UnitKind.department)],
                               actor=people.supervisor, now=now)
    with pytest.raises(services.UnitError, match="不存在"):
        services.resolve_names([services.NameChoice("县农业农村局", unit_id=99999)], actor=people.supervisor, now=now)
    db.session.rollback()
    assert all(not u.aliases or u.name == "市场监督管理局" for u in db.session.scalars(sa.select(Unit)))


def test_admin_edits_aliases_and_a_clash_is_refused(tree, people, auth, db):
    client = auth.client_for(people.admin)
    unit = tree["市教育局"]
    form = {"name": "市教育局", "code": unit.code, "kind": "department", "parent_id": str(people.region.id),
            "contact_email": "", "leader_id": "", "sort_order": "0", "is_active": "y",
            "aliases": "教体局；市教体局、 教育体育局"}
    assert client.post(f"/admin/units/{unit.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).aliases == ["教体局", "市教体局", "教育体育局"]
    page = client.get(f"/admin/units/{unit.id}/edit").get_data(as_text=True)
    assert "教体局、市教体局、教育体育局" in page
    response = client.post(f"/admin/units/{unit.id}/edit", data={**form, "aliases": "市场监管局"})
    assert response.status_code == 200 and "市场监督管理局" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).aliases == ["教体局", "市教体局", "教育体育局"]
    new = client.post("/admin/units/new", data={**form, "name": "城南街道", "code": "cn", "kind": "township",
                                                "aliases": "城南办"})
    assert new.status_code == 302
    assert db.session.scalar(sa.select(Unit).where(Unit.code == "cn")).kind is UnitKind.township


def test_import_reads_the_alias_column(people, db, now):
    rows = services.read_rows("代码,名称,上级代码,类型,别名\nsw,水务局,,部门,县水利局、水利局;治水办\n"
                              "cg,城关镇,,乡镇,\n".encode(), "u.csv")
    services.import_units(rows, actor=people.admin, now=now)
    db.session.commit()
    water = db.session.scalar(sa.select(Unit).where(Unit.code == "sw"))
    assert water.aliases == ["县水利局", "水利局", "治水办"]
    assert db.session.scalar(sa.select(Unit).where(Unit.code == "cg")).kind is UnitKind.township
    assert names(match_unit_names(["治水办"])[0]) == ["水务局"]
    clash = services.read_rows("代码,名称,别名\nx1,甲局,乙局\nx2,乙局,\n".encode(), "u.csv")
    with pytest.raises(services.UnitError, match="别名“乙局”已属于 x2"):
        services.import_units(clash, actor=people.admin, now=now)


BODIES = ("教育局", "水务局", "民政局", "财政局", "商务局", "卫健委", "住建局", "交通运输局", "农业农村局", "文旅局")
PLACES = ("", "县", "区", "市", "示范市", "青山县", "宣城市", "安徽省宣城市", "东城区")


@given(present=st.sets(st.sampled_from(BODIES), max_size=len(BODIES)), body=st.sampled_from(BODIES),
       place=st.sampled_from(PLACES), spaces=st.booleans())
@settings(max_examples=200, deadline=None)
def test_a_department_is_found_under_any_place_name(present, body, place, spaces):
    """Whatever place a plan writes in front of a department, the city's department of that name is
    found, and only when the tree has it."""
    region = Unit(id=1, name="示范市", code="r", kind=UnitKind.region, sort_order=0, is_active=True, aliases=[])
    counties = [Unit(id=2, name="东城区", code="dc", kind=UnitKind.county, parent_id=1, sort_order=1, is_active=True,
                     aliases=[]),
                Unit(id=3, name="青山县", code="qs", kind=UnitKind.county, parent_id=1, sort_order=2, is_active=True,
                     aliases=[])]
    departments = [Unit(id=10 + i, name="市" + name, code=f"d{i}", kind=UnitKind.department, parent_id=1,
                        sort_order=10 + i, is_active=True, aliases=[]) for i, name in enumerate(sorted(present))]
    directory = UnitDirectory([region, *counties, *departments])
    written = place + body
    if spaces:
        written = " ".join(written)
    match = directory.match(written)
    if body in present:
        assert [u.name for u in match.units] == ["市" + body]
    else:
        assert not match.matched


def test_an_update_that_says_nothing_of_aliases_keeps_them(tree, people, db, now):
    unit = tree["市场监督管理局"]
    data = services.UnitData(name="市市场监督管理局", code=unit.code, kind=unit.kind, parent_id=unit.parent_id)
    services.update_unit(unit, data, actor=people.admin, now=now)
    assert unit.aliases == ["市场监管局"] and unit.name == "市市场监督管理局"
    services.update_unit(unit, services.UnitData(name=unit.name, code=unit.code, kind=unit.kind,
                                                 parent_id=unit.parent_id, aliases=[]), actor=people.admin, now=now)
    assert unit.aliases == []
