"""The 通报 ranks by the latest published score (and says so), and counts progress classes; the
dashboard counts them with links to the filtered task list."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from docx import Document

from tests.scoring import world as w
from tracker.reports import bulletin
from tracker.scoring import services
from tracker.tasks import services as task_services


@pytest.fixture
def scene(db, make, people):
    return w.build(db, make, people)


def _document_text(data) -> tuple[list[str], list[list[list[str]]]]:
    document = bulletin.bulletin_document(data, _number())
    rendered = Document(io.BytesIO(bulletin.docs.render_docx(document)))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in rendered.tables]
    return [p.text for p in rendered.paragraphs], tables


def _number():
    from tracker.notices.models import IssuedDocument

    return IssuedDocument(series="bulletin", key="2026-H1", doc_code="督通", year=2026, serial=1,
                          issued_on=datetime(2026, 7, 12).date())


def test_without_a_published_score_the_bulletin_says_so(app, scene):
    with app.test_request_context():
        data = bulletin.bulletin_data(scene.people.admin, bulletin.parse_period("2026-H1"), w.SCORED_AT)
        paragraphs, tables = _document_text(data)
    assert data.snapshot is None
    assert "本期评分尚未发布，以下按按期完成率排名。" in paragraphs
    assert tables[0][0][2] == "应完成"


def test_the_bulletin_ranks_by_the_published_snapshot_even_after_tasks_change(db, app, scene):
    p = scene.people
    snapshot = services.publish(services.parse_scope("year:2026", w.SCORED_AT), bulletin.parse_period("2026-H1"),
                                actor=p.supervisor, now=w.SCORED_AT)
    db.session.commit()
    t3 = scene.tasks["t3"]
    task_services.start(t3, actor=p.lead, now=w.at(7, 11))
    task_services.submit(t3, actor=p.lead, note="已按要求完成，请审核。", now=w.at(7, 11))
    task_services.approve(t3, actor=p.supervisor, now=w.at(7, 11))
    db.session.commit()
    later = datetime(2026, 7, 12, 2, tzinfo=UTC)
    with app.test_request_context():
        data = bulletin.bulletin_data(p.admin, bulletin.parse_period("2026-H1"), later)
        paragraphs, tables = _document_text(data)
    assert data.snapshot.number_label == snapshot.number_label
    said = next(x for x in paragraphs if "本通报排名依据已发布的评分结果" in x)
    assert snapshot.number_label in said and "第1版评分规则" in said
    ranking = tables[0]
    assert ranking[0][:3] == ["排名", "责任单位", "得分"]
    assert [row[:3] for row in ranking[1:]] == [["1", "西城区", "2"], ["2", "东城区", "-33"]]
    # the progress classes: t3 is accepted now; nothing of 东城区 is open, 西城区's u3 is open
    progress = next(t for t in tables if t[0] == ["序号", "责任单位", "超进度", "达进度", "欠进度", "已完成"])
    by_unit = {row[1]: row[2:] for row in progress[1:]}
    assert by_unit["东城区"][3] == "4"
    assert sum(int(x) for x in by_unit["西城区"][:3]) == 1
    assert any(x.startswith("三、序时进度情况") for x in paragraphs)


def test_dashboard_counts_progress_classes_with_links(db, scene, auth):
    t3 = scene.tasks["t3"]  # open, past its deadline, 0% reported: behind
    page = auth.client_for(scene.people.supervisor).get("/dashboard").get_data(as_text=True)
    assert "序时进度" in page
    assert f"/tasks?progress=behind&amp;unit_id={scene.people.unit.id}" in page
    assert f"/tasks?plan_id={scene.plan.id}&amp;progress=behind" in page
    listed = auth.client_for(scene.people.supervisor).get(
        f"/tasks?progress=behind&unit_id={scene.people.unit.id}").get_data(as_text=True)
    assert f"/tasks/{t3.id}\"" in listed and "欠进度" in listed
