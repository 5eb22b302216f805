"""Plan services: preview, save the edited outline all or nothing, edits, states, who sees what."""

from __future__ import annotations

import copy
import io
import json
import os
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker import access
from tracker.audit import AuditEntry
from tracker.auth.models import Role
from tracker.auth.permissions import PermissionDenied
from tracker.plans import queries, services, storage, validation
from tracker.plans.errors import PlanInputError
from tracker.plans.models import Measure, MeasureKind, Plan, PlanState
from tracker.tasks.models import Task

DATA = Path(__file__).resolve().parent.parent / "data"
SEED_COUNTS = [34, 6, 17, 11, 107]

SMALL = """某县2026年营商环境提升工作方案
一、加强组织领导
（一）成立工作专班，由县发改局牵头，2026年6月底前完成。
（二）每季度召开一次推进会。
二、抓好重点任务
（一）完成880册图书的采购与编目。
"""


def seed_text() -> str:
    return (DATA / "seed-work-plans.txt").read_text(encoding="utf-8")


def small_outline() -> dict:
    return queries.outline_to_edit(queries.preview(None, None, SMALL))


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def measures(plan: Plan) -> list[tuple[str, str, int, str]]:
    return [(m.number, m.text, m.level, m.kind.value) for m in plan.measures]


def test_seed_gives_five_plans_with_their_items(db, people, now):
    text = seed_text()
    edited = queries.outline_to_edit(queries.preview(None, None, text))
    plans = services.import_plan(edited, source_text=text, source_file=None, actor=people.supervisor, now=now)
    db.session.commit()
    assert len(plans) == 5
    assert [len(p.measures) for p in plans] == SEED_COUNTS
    for plan in plans:
        assert plan.state == PlanState.draft
        assert plan.supervisor_id == people.supervisor.id
        assert plan.source_text == text
        by_id = {m.id: m for m in plan.measures}
        assert [m.position for m in plan.measures] == list(range(len(plan.measures)))
        for m in plan.measures:
            parent = by_id.get(m.parent_id)
            assert m.level == (parent.level + 1 if parent else 1)
    assert count(db, Measure) == sum(SEED_COUNTS)
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions.count("plan.imported") == 5


def test_import_plan_reads_the_source_itself_when_no_outline_was_reviewed(app, db, people, now):
    """The API and the demo data import a source as parsed: same plans as the page's reviewed outline."""
    data = SMALL.encode()
    [reviewed] = services.import_plan(small_outline(), source_text=SMALL, source_file=None,
                                      actor=people.supervisor, now=now)
    [parsed] = services.import_plan(source_file=(data, "方案.txt"), title="改过的标题", activate=True,
                                    actor=people.supervisor, now=now)
    db.session.commit()
    assert measures(parsed) == measures(reviewed)
    assert parsed.title == "改过的标题" and reviewed.title == "某县2026年营商环境提升工作方案"
    assert parsed.state == PlanState.active and reviewed.state == PlanState.draft
    assert parsed.source_filename == "方案.txt" and parsed.source_text == SMALL
    assert open(storage.source_path(parsed), "rb").read() == data
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["plan.imported", "plan.imported", "plan.state_changed"]
    with pytest.raises(PermissionDenied):
        services.import_plan(source_text=SMALL, actor=people.member, now=now)


def test_suggestions_and_lines_are_kept(db, people, now):
    edited = small_outline()
    [plan] = services.import_plan(edited, source_text=SMALL, source_file=None, actor=people.supervisor, now=now)
    first = plan.measures[1]
    assert first.number == "（一）"
    assert "县发改局" in first.suggestions.get("lead_units", []) + first.suggestions.get("units", [])
    assert first.suggestions["deadline"] == "2026-06-30"
    assert first.source_start_line == 2
    assert plan.title == "某县2026年营商环境提升工作方案"


def test_edits_level_join_split_heading_delete(db, people, now):
    edited = small_outline()
    items = edited["plans"][0]["items"]
    # heading: 一 becomes a heading
    items[0]["kind"] = "heading"
    # join: （二） back into （一）
    first, second = items[0]["children"]
    first["text"] += second["text"]
    items[0]["children"] = [first]
    # split: 二's child into two measures at a chosen character
    child = items[1]["children"][0]
    cut = child["text"].index("与")
    items[1]["children"] = [dict(child, text=child["text"][:cut]),
                            {"number": "（二）", "text": child["text"][cut + 1:], "level": 2, "children": []}]
    # level change: a new level-3 item under the split-off one
    items[1]["children"][1]["children"] = [{"number": "1", "text": "月底前完成验收。", "level": 3, "children": []}]
    # delete: a third top-level item added and removed again leaves nothing behind
    [plan] = services.import_plan(edited, source_text=SMALL, source_file=None, actor=people.supervisor, now=now)
    db.session.commit()
    assert measures(plan) == [
        ("一", "加强组织领导", 1, "heading"),
        ("（一）", "成立工作专班，由县发改局牵头，2026年6月底前完成。每季度召开一次推进会。", 2, "measure"),
        ("二", "抓好重点任务", 1, "measure"),
        ("（一）", "完成880册图书的采购", 2, "measure"),
        ("（二）", "编目。", 2, "measure"),
        ("1", "月底前完成验收。", 3, "measure"),
    ]
    m = {x.text: x for x in plan.measures}
    assert m["月底前完成验收。"].parent_id == m["编目。"].id
    assert m["编目。"].parent_id == m["抓好重点任务"].id


def test_outdent_moves_an_item_to_the_top(db, people, now):
    edited = small_outline()
    items = edited["plans"][0]["items"]
    moved = items[0]["children"].pop()
    moved["level"] = 1
    items.insert(1, moved)
    [plan] = services.import_plan(edited, source_text=SMALL, source_file=None, actor=people.supervisor, now=now)
    assert [(m.text[:4], m.level, m.parent_id is None) for m in plan.measures] == [
        ("加强组织", 1, True), ("成立工作", 2, False), ("每季度召", 1, True), ("抓好重点", 1, True),
        ("完成88", 2, False)]


@pytest.mark.parametrize("mutate, fragment", [
    (lambda e: e["plans"][0].update(title=""), "标题不能为空"),
    (lambda e: e["plans"][0].update(title="长" * 201), "不能超过 200"),
    (lambda e: e["plans"][0]["items"][0].update(text="  "), "内容不能为空"),
    (lambda e: e["plans"][0]["items"][0]["children"][0].update(level=3), "层级"),
    (lambda e: e["plans"][0]["items"][0].update(level=2), "层级"),
    (lambda e: e["plans"][0]["items"][0].update(number="一" * 21), "编号不能超过"),
    (lambda e: e["plans"][0]["items"][0].update(kind="chapter"), "类型"),
    (lambda e: e["plans"][0].update(date="2026-13-01"), "日期"),
    (lambda e: e["plans"][0].update(items=[]), "没有任何条目"),
    (lambda e: e["plans"][0].update(items="一、二"), "格式不对"),
    (lambda e: e["plans"][0]["items"][0].update(deadline="明年"), "时限"),
    (lambda e: e.update(plans=[]), "格式不对"),
    (lambda e: e["plans"].append("计划"), "格式不对"),
])
def test_inconsistent_outline_is_refused_and_nothing_saved(db, people, now, mutate, fragment):
    edited = small_outline()
    mutate(edited)
    with pytest.raises(validation.OutlineError) as info:
        services.import_plan(edited, source_text=SMALL, source_file=None, actor=people.supervisor, now=now)
    db.session.rollback()
    assert fragment in str(info.value)
    assert count(db, Plan) == 0 and count(db, Measure) == 0


@pytest.mark.parametrize("raw", ["{not json", "[]", '{"plans": "x"}', "null", "[" * 5000])
def test_malformed_json_is_refused(db, people, now, raw):
    with pytest.raises(validation.OutlineError):
        services.import_plan(raw, source_text="", source_file=None, actor=people.supervisor, now=now)
    assert count(db, Plan) == 0


def test_at_most_2000_items(db, people, now):
    items = [{"number": str(n), "text": f"第{n}项措施", "level": 1, "children": []} for n in range(1, 2002)]
    with pytest.raises(validation.OutlineError, match="条目过多"):
        services.import_plan({"plans": [{"title": "大计划", "items": items}]}, source_text="", source_file=None,
                              actor=people.supervisor, now=now)
    items.pop()
    plans = services.import_plan({"plans": [{"title": "大计划", "items": items}]}, source_text="",
                                  source_file=None, actor=people.supervisor, now=now)
    assert len(plans[0].measures) == 2000


def test_only_supervisors_and_admins_save(db, people, now):
    for user in (people.viewer, people.lead, people.member):
        with pytest.raises(PermissionDenied):
            services.import_plan(small_outline(), source_text=SMALL, source_file=None, actor=user, now=now)
    assert services.import_plan(small_outline(), source_text=SMALL, source_file=None, actor=people.admin, now=now)


def test_source_file_is_stored_with_name_and_hash(app, db, people, now):
    data = SMALL.encode("gb18030")
    outline = queries.outline_to_edit(queries.preview(data, "营商环境方案.txt", None))
    [plan] = services.import_plan(outline, source_text=SMALL, source_file=(data, "营商环境方案.txt"),
                                   actor=people.supervisor, now=now)
    db.session.commit()
    assert plan.source_filename == "营商环境方案.txt"
    assert len(plan.source_sha256) == 64
    assert plan.source_stored_name.endswith(".txt") and "营商" not in plan.source_stored_name
    with open(storage.source_path(plan), "rb") as handle:
        assert handle.read() == data


def _folder_files(app) -> list[str]:
    folder = app.config["PLAN_SOURCE_FOLDER"]
    return os.listdir(folder) if os.path.isdir(folder) else []


def test_failing_file_store_leaves_nothing(app, db, people, now, monkeypatch):
    def broken(data, filename):
        raise OSError("disk full")

    monkeypatch.setattr(storage, "store_source_file", broken)
    with pytest.raises(validation.PlanError, match="原文件未能保存"):
        services.import_plan(small_outline(), source_text=SMALL, source_file=(SMALL.encode(), "a.txt"),
                              actor=people.supervisor, now=now)
    db.session.rollback()
    assert count(db, Plan) == 0 and count(db, Measure) == 0
    assert _folder_files(app) == []


def test_failure_after_the_file_is_written_removes_it(app, db, people, now, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(services.audit, "record", broken)
    with pytest.raises(RuntimeError):
        services.import_plan(small_outline(), source_text=SMALL, source_file=(SMALL.encode(), "a.txt"),
                              actor=people.supervisor, now=now)
    assert len(_folder_files(app)) == 1  # written, not yet committed
    db.session.rollback()
    assert count(db, Plan) == 0
    assert _folder_files(app) == []


def test_committed_file_stays_after_a_later_rollback(app, db, people, now):
    services.import_plan(small_outline(), source_text=SMALL, source_file=(SMALL.encode(), "a.txt"),
                          actor=people.supervisor, now=now)
    db.session.commit()
    db.session.rollback()
    assert len(_folder_files(app)) == 1


@pytest.mark.parametrize("code, params", [
    ("empty", {}), ("binary", {}), ("unknown_encoding", {}), ("corrupt_docx", {}), ("corrupt_xlsx", {}),
    ("zip_bomb", {}), ("too_large", {"limit_mb": "20"}), ("unsupported_type", {"ext": ".pdf"}),
    ("no_items", {}), ("no_table", {}), ("legacy_office", {}),
])
def test_every_input_error_has_a_message(app, code, params):
    with app.test_request_context():
        message = queries.error_message(PlanInputError(code, **params))
    assert message and message != code
    for value in params.values():
        assert value in message


def test_preview_refuses_bad_input(app):
    with app.test_request_context():
        with pytest.raises(validation.PlanError):
            queries.preview(None, None, "   ")
        with pytest.raises(queries.PlanSourceError) as info:
            queries.preview(None, None, "没有编号的一段话。\n第二段也没有。")
        assert info.value.reason == "no_items" and isinstance(info.value.__cause__, PlanInputError)
        assert info.value.status == 422 and "带编号的条目" in str(info.value)
        with pytest.raises(queries.PlanSourceError) as info:
            queries.preview(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 4, "plan.txt", None)
        assert info.value.reason == "binary"


def test_read_limited_stops_past_the_limit(app):
    with app.test_request_context():
        assert storage.read_limited(io.BytesIO(b"x" * 100), limit=100) == b"x" * 100
        with pytest.raises(storage.UploadTooLarge):
            storage.read_limited(io.BytesIO(b"x" * 101), limit=100)


def test_update_plan(db, people, now):
    plan = services.import_plan(small_outline(), source_text=SMALL, source_file=None, actor=people.supervisor,
                                 now=now)[0]
    services.update_plan(plan, "修订后的方案", "某县人民政府办公室", "某政办发〔2026〕3号", date(2026, 2, 1),
                         actor=people.supervisor, now=now)
    db.session.commit()
    assert (plan.title, plan.issuer, plan.doc_number, plan.issued_on) == (
        "修订后的方案", "某县人民政府办公室", "某政办发〔2026〕3号", date(2026, 2, 1))
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "plan.updated"))
    assert entry.data["title"] == ["某县2026年营商环境提升工作方案", "修订后的方案"]
    with pytest.raises(validation.PlanError):
        services.update_plan(plan, "长" * 201, None, None, None, actor=people.supervisor, now=now)
    with pytest.raises(validation.PlanError):
        services.update_plan(plan, " ", None, None, None, actor=people.supervisor, now=now)
    with pytest.raises(PermissionDenied):
        services.update_plan(plan, "别人改", None, None, None, actor=people.viewer, now=now)


def test_set_state(db, people, now, make):
    plan = services.import_plan(small_outline(), source_text=SMALL, source_file=None, actor=people.supervisor,
                                 now=now)[0]
    services.set_state(plan, PlanState.active, actor=people.supervisor, now=now)
    services.set_state(plan, PlanState.archived, actor=people.supervisor, now=now)
    assert plan.state == PlanState.archived
    with pytest.raises(validation.PlanError):
        services.set_state(plan, PlanState.draft, actor=people.supervisor, now=now)
    other = make.user(Role.supervisor, name="赵督办")
    with pytest.raises(PermissionDenied):
        services.set_state(plan, PlanState.active, actor=other, now=now)
    services.set_state(plan, PlanState.active, actor=people.admin, now=now)
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "plan.state_changed")).all()
    assert [(e.data["from"], e.data["to"]) for e in entries] == [
        ("draft", "active"), ("active", "archived"), ("archived", "active")]


def _task(db, measure: Measure, unit) -> Task:
    task = Task(measure_id=measure.id, plan_id=measure.plan_id, unit_id=unit.id, due_on=date(2026, 6, 30),
                original_due_on=date(2026, 6, 30), assigned_on=date(2026, 3, 2))
    db.session.add(task)
    db.session.flush()
    return task


def test_edit_outline_after_save(db, people, now):
    plan = services.import_plan(small_outline(), source_text=SMALL, source_file=None, actor=people.supervisor,
                                 now=now)[0]
    db.session.commit()
    tree = queries.measure_tree(plan)
    ids = [m.id for m in plan.measures]
    # move 二's child under 一, rename 一, make 二 a heading, add a new item
    moved = tree[1]["children"].pop()
    tree[0]["children"].append(moved)
    tree[0]["text"] = "加强组织领导和统筹协调"
    tree[1]["kind"] = "heading"
    tree[1]["children"].append({"number": "（一）", "text": "新增措施。", "level": 2, "children": []})
    services.edit_outline(plan, {"items": tree}, actor=people.supervisor, now=now)
    db.session.commit()
    db.session.expire_all()
    assert measures(plan) == [
        ("一", "加强组织领导和统筹协调", 1, "measure"),
        ("（一）", "成立工作专班，由县发改局牵头，2026年6月底前完成。", 2, "measure"),
        ("（二）", "每季度召开一次推进会。", 2, "measure"),
        ("（一）", "完成880册图书的采购与编目。", 2, "measure"),
        ("二", "抓好重点任务", 1, "heading"),
        ("（一）", "新增措施。", 2, "measure"),
    ]
    assert [m.id for m in plan.measures][:5] == [ids[0], ids[1], ids[2], ids[4], ids[3]]
    assert plan.measures[3].parent_id == ids[0]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "plan.outline_edited"))
    assert entry.data == {"added": 1, "changed": 3, "deleted": 0}


def test_measures_with_tasks_cannot_be_deleted(db, people, now):
    plan = services.import_plan(small_outline(), source_text=SMALL, source_file=None, actor=people.supervisor,
                                 now=now)[0]
    db.session.commit()
    busy = plan.measures[4]
    _task(db, busy, people.unit)
    db.session.commit()
    tree = queries.measure_tree(plan)
    without = copy.deepcopy(tree)
    without[1]["children"] = []
    with pytest.raises(services.MeasureInUse, match="已分解交办"):
        services.edit_outline(plan, {"items": without}, actor=people.supervisor, now=now)
    db.session.rollback()
    assert len(plan.measures) == 5
    # a free measure can go; the busy one may move and change
    tree[0]["children"].pop()
    tree[1]["children"][0]["text"] = "完成图书采购。"
    services.edit_outline(plan, json.dumps({"items": tree}), actor=people.supervisor, now=now)
    db.session.commit()
    assert [m.text for m in plan.measures][-1] == "完成图书采购。"
    assert len(plan.measures) == 4
    assert count(db, Task) == 1


def test_edit_outline_refuses_foreign_ids(db, people, now):
    one = services.import_plan(small_outline(), source_text=SMALL, source_file=None, actor=people.supervisor,
                                now=now)[0]
    two = services.import_plan(small_outline(), source_text=SMALL, source_file=None, actor=people.supervisor,
                                now=now)[0]
    tree = queries.measure_tree(one)
    tree[0]["id"] = two.measures[0].id
    with pytest.raises(validation.OutlineError):
        services.edit_outline(one, {"items": tree}, actor=people.supervisor, now=now)
    with pytest.raises(validation.OutlineError):
        services.edit_outline(one, {"items": [{"text": "", "level": 1}]}, actor=people.supervisor, now=now)


def test_plans_for_each_role(db, people, now, make):
    mine = services.import_plan(small_outline(), source_text=SMALL, source_file=None, actor=people.supervisor,
                                 now=now)[0]
    other_sup = make.user(Role.supervisor, name="赵督办")
    theirs = services.import_plan(small_outline(), source_text=SMALL, source_file=None, actor=other_sup,
                                   now=now)[0]
    _task(db, theirs.measures[1], people.unit)
    db.session.commit()

    def visible(user):
        return {p.id for p in db.session.scalars(access.visible_plans(user))}

    assert visible(people.admin) == visible(people.viewer) == {mine.id, theirs.id}
    assert visible(people.supervisor) == {mine.id}
    assert visible(other_sup) == {theirs.id}
    assert visible(people.lead) == visible(people.member) == {theirs.id}
    assert visible(people.other_lead) == set()
    assert access.can_see_plan(people.lead, theirs) and not access.can_see_plan(people.lead, mine)
    counts = queries.state_counts(people.admin)
    assert counts[PlanState.draft] == 2 and counts[PlanState.active] == 0


def test_measure_kind_heading_counts(db, people, now):
    edited = small_outline()
    edited["plans"][0]["items"][0]["kind"] = "heading"
    [plan] = services.import_plan(edited, source_text=SMALL, source_file=None, actor=people.supervisor, now=now)
    db.session.commit()
    assert plan.measures[0].kind == MeasureKind.heading
    assert queries.measure_counts([plan]) == {plan.id: 4}
