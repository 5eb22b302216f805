"""Score pages: who sees what, the rules form (guard, bad input, versions), what-if saves nothing,
publishing, snapshots that never change, and the Excel export."""

from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from tests.scoring import world as w
from tracker.audit import AuditEntry
from tracker.scoring.models import FrozenRecord, RuleSet, ScoreSnapshot, ScoreSnapshotLine
from tracker.tasks import services as task_services

Q = "?scope=year:2026&period=2026-H1"


@pytest.fixture
def scene(db, make, people):
    return w.build(db, make, people)


def _counts(db) -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (RuleSet, ScoreSnapshot, ScoreSnapshotLine, AuditEntry))


def _main(html: str) -> str:
    """The page without its top bar (whose unread count moves with every notice)."""
    return html[html.index("<h1>"):]


def _form(**overrides) -> dict:
    form = {"scope": "year:2026", "period": "2026-H1", "base": "100", "action": "save",
            "rule-on_time-on": "1", "rule-on_time-points": "1", "rule-on_time-cap": "",
            "rule-returned-on": "1", "rule-returned-points": "2", "rule-returned-cap": "",
            "rule-threshold-on": "1", "rule-threshold-threshold": "70", "rule-threshold-points": "1",
            "rule-threshold-cap": ""}
    form.update(overrides)
    return form


def test_leaders_see_the_ranking_and_units_only_their_own_page(scene, auth):
    p = scene.people
    for user in (p.supervisor, p.viewer, p.admin):
        page = auth.client_for(user).get("/scoring" + Q)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "东城区" in text and "西城区" in text
    lead = auth.client_for(p.lead)
    assert lead.get("/scoring" + Q).status_code == 403
    own = lead.get(f"/scoring/units/{p.unit.id}{Q}")
    assert own.status_code == 200
    text = own.get_data(as_text=True)
    assert "退回" in text and f"任务 #{scene.tasks['t2'].id}" in text and "2026-04-25" in text
    assert lead.get(f"/scoring/units/{p.other_unit.id}{Q}").status_code == 403
    assert lead.get("/scoring/mine" + Q).headers["Location"].startswith(f"/scoring/units/{p.unit.id}")


def test_rules_are_saved_as_versions(db, scene, auth):
    client = auth.client_for(scene.people.supervisor)
    assert client.post("/scoring/rules", data=_form(note="首版")).status_code == 302
    assert client.post("/scoring/rules", data=_form(**{"rule-returned-points": "3"})).status_code == 302
    versions = db.session.scalars(sa.select(RuleSet).order_by(RuleSet.version)).all()
    assert [(v.version, v.note) for v in versions] == [(1, "首版"), (2, "")]
    assert next(r for r in versions[0].rules if r["kind"] == "returned")["points"] == 2
    assert next(r for r in versions[1].rules if r["kind"] == "returned")["points"] == 3
    versions[0].base = 50
    with pytest.raises(FrozenRecord):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(("overrides", "message"), [
    ({"rule-returned-cap": "-5"}, "封顶分值不能为负数"),
    ({"rule-threshold-threshold": "120"}, "不能超过 100%"),
    ({"rule-returned-points": "两分"}, "必须是数字"),
    ({"rule-on_time-points": "-1"}, "不能为负数"),
    ({"base": "abc"}, "基础分必须是数字"),
    ({"rule-photo_count-on": "1", "rule-photo_count-points": "1"}, "整治形式主义为基层减负若干规定"),
    ({"rule-leader_instructions-on": "1"}, "领导批示次数"),
    ({"rule-mystery-on": "1"}, "未知的评分规则类型"),
])
def test_bad_rules_are_refused_with_a_clear_message_and_nothing_saved(db, scene, auth, overrides, message):
    client = auth.client_for(scene.people.supervisor)
    before = _counts(db)
    for action in ("save", "preview"):
        response = client.post("/scoring/rules", data=_form(action=action, **overrides))
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert _counts(db) == before


def test_what_if_shows_the_edited_ranking_and_saves_nothing(db, scene, auth):
    client = auth.client_for(scene.people.supervisor)
    before = _counts(db)
    # under the edited rules 东城区 loses no point for its threshold and gains for early work
    response = client.post("/scoring/rules", data=_form(action="preview", **{
        "rule-threshold-on": "", "rule-early-on": "1", "rule-early-points": "5", "rule-early-days": "7"}))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "试算" in text and 'id="what-if"' in text
    # 东城区: 100 + 2 on time - 2 returned + 5 early = 105; 西城区: 100 + 2 + 5 = 107
    assert ">105<" in text and ">107<" in text
    assert _counts(db) == before
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleSet)) == 0


def test_units_and_viewers_may_not_edit_rules(db, scene, auth):
    for user in (scene.people.lead, scene.people.viewer):
        client = auth.client_for(user)
        assert client.get("/scoring/rules" + Q).status_code == 403
        assert client.post("/scoring/rules", data=_form()).status_code == 403
        assert client.post("/scoring/publish", data={"scope": "year:2026", "period": "2026-H1"}).status_code == 403
    assert _counts(db)[:3] == (0, 0, 0)


def test_a_published_snapshot_does_not_change_when_tasks_or_rules_change(db, scene, auth):
    p = scene.people
    client = auth.client_for(p.supervisor)
    response = client.post("/scoring/publish", data={"scope": "year:2026", "period": "2026-H1"})
    assert response.status_code == 302
    snapshot = db.session.scalar(sa.select(ScoreSnapshot))
    assert snapshot.number_label == f"{snapshot.year}年第1号" and snapshot.rule_set.version == 1
    lines = {line.unit_id: (line.rank, line.total) for line in db.session.scalars(sa.select(ScoreSnapshotLine))}
    assert lines == {p.other_unit.id: (1, 2.0), p.unit.id: (2, -33.0)}
    page = _main(client.get(f"/scoring/snapshots/{snapshot.id}").get_data(as_text=True))
    data_before = snapshot.data

    # afterwards: 东城区's overdue task is accepted, and the rules change
    t3 = scene.tasks["t3"]
    task_services.start(t3, actor=p.lead, now=w.at(7, 1))
    task_services.submit(t3, actor=p.lead, note="已按要求完成，请审核。", now=w.at(7, 1))
    task_services.approve(t3, actor=p.supervisor, now=w.at(7, 1))
    db.session.commit()
    assert client.post("/scoring/rules", data=_form(**{"rule-returned-points": "9"})).status_code == 302
    db.session.expire_all()
    snapshot = db.session.get(ScoreSnapshot, snapshot.id)
    assert snapshot.data == data_before
    assert _main(client.get(f"/scoring/snapshots/{snapshot.id}").get_data(as_text=True)) == page
    live = client.get("/scoring" + Q).get_data(as_text=True)
    assert "-33" not in live  # the live ranking moved on

    # an edit or a delete is refused before any SQL runs
    snapshot.data = {"units": []}
    with pytest.raises(FrozenRecord, match="已发布的评分结果不能修改"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(ScoreSnapshot, snapshot.id))
    with pytest.raises(FrozenRecord):
        db.session.flush()
    db.session.rollback()
    line = db.session.scalars(sa.select(ScoreSnapshotLine)).first()
    line.total = 99
    with pytest.raises(FrozenRecord):
        db.session.flush()
    db.session.rollback()


def test_snapshots_are_numbered_in_order(db, scene, auth):
    client = auth.client_for(scene.people.supervisor)
    client.post("/scoring/publish", data={"scope": "year:2026", "period": "2026-H1"})
    client.post("/scoring/publish", data={"scope": f"plan:{scene.plan.id}", "period": "2026-Q1"})
    assert [s.serial for s in db.session.scalars(sa.select(ScoreSnapshot).order_by(ScoreSnapshot.id))] == [1, 2]


def test_a_unit_sees_only_its_own_line_of_a_snapshot(db, scene, auth):
    p = scene.people
    auth.client_for(p.supervisor).post("/scoring/publish", data={"scope": "year:2026", "period": "2026-H1"})
    snapshot = db.session.scalar(sa.select(ScoreSnapshot))
    lead = auth.client_for(p.lead)
    text = lead.get(f"/scoring/snapshots/{snapshot.id}").get_data(as_text=True)
    assert "东城区" in text and "西城区" not in text
    assert lead.get(f"/scoring/snapshots/{snapshot.id}?unit_id={p.other_unit.id}").status_code == 404
    own = lead.get(f"/scoring/snapshots/{snapshot.id}?unit_id={p.unit.id}")
    assert own.status_code == 200 and "不再改变" in own.get_data(as_text=True)
    book = openpyxl.load_workbook(io.BytesIO(lead.get(f"/scoring/snapshots/{snapshot.id}.xlsx").data))
    assert [row[1] for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)] == ["东城区"]


def test_excel_export_has_scores_and_every_point_with_its_event(db, scene, auth):
    response = auth.client_for(scene.people.supervisor).get("/scoring/export.xlsx" + Q)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    scores, points = book.worksheets
    rows = list(scores.iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, "西城区", 2), (2, "东城区", -33)]
    detail = list(points.iter_rows(min_row=2, values_only=True))
    returned = [r for r in detail if r[3] == "退回"]
    assert len(returned) == 1
    unit, _rule, value, _what, _on, task_id, entry_id, _refs = returned[0]
    assert (unit, value, task_id) == ("东城区", -2, scene.tasks["t2"].id)
    entry = db.session.get(AuditEntry, entry_id)
    assert entry.action == "task.returned" and entry.object_id == task_id
    # every point of the ranking is a row (east: 2 on time, 2 late, 1 returned, 1 missing, 1 notice, 1 threshold)
    assert len(detail) == 8 + 2
