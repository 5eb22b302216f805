"""What the parser is unsure of reaches the supervisor: leaders, confidence and doubts survive the
preview → edit → save round trip, and the preview marks and counts the doubtful items."""

from __future__ import annotations

import json
from datetime import date

import lxml.html
import pytest
import sqlalchemy as sa

from tracker.plans import queries, services
from tracker.plans.models import Plan
from tracker.plans.outline import Item, Outline, PlanOutline


def outline() -> Outline:
    """Three items as the parser would hand them over: one sure, one doubting its units, one
    doubting itself (low confidence)."""
    sure = Item("1", "建成智慧校园10所。", lead_units=["县教育局"], support_units=["县财政局", "各乡镇（街道）"],
                deadline=date(2030, 6, 30), deadline_text="2030年6月底前", period="half-yearly")
    sure.leaders = ["王副县长"]
    unsure_units = Item("2", "推进城乡供水一体化。", units=["县水务局"])
    unsure_units.confidence, unsure_units.doubtful = 0.9, ["units", "not-a-key"]
    unsure_item = Item("3", "其他事项", period="weekly")
    unsure_item.confidence = 0.4
    section = Item("一", "重点任务", children=[sure, unsure_units, unsure_item])
    return Outline([PlanOutline("2026年民生实事任务分解表", items=[section])])


def test_the_suggestions_survive_preview_edit_and_save(db, people, now, sup):
    edited = queries.outline_to_edit(outline())
    items = edited["plans"][0]["items"][0]["children"]
    assert items[0]["leaders"] == ["王副县长"] and "confidence" not in items[0] and "doubtful" not in items[0]
    assert items[1]["confidence"] == 0.9 and items[1]["doubtful"] == ["units"]
    assert items[2]["confidence"] == 0.4
    # the browser sends it back as JSON, a malformed confidence is dropped, not refused
    sent = json.loads(json.dumps(edited, ensure_ascii=False))
    sent["plans"][0]["items"][0]["confidence"] = "high"
    [plan] = services.import_plan(json.dumps(sent, ensure_ascii=False), source_text="", source_file=None,
                                   actor=people.supervisor, now=now)
    db.session.commit()
    section, first, second, third = plan.measures
    assert "confidence" not in section.suggestions
    assert first.suggestions["leaders"] == ["王副县长"] and first.suggestions["period"] == "half-yearly"
    assert first.suggestions["support_units"] == ["县财政局", "各乡镇（街道）"]
    assert second.suggestions["doubtful"] == ["units"] and second.suggestions["confidence"] == 0.9
    assert queries.doubts(second.suggestions) == {"units"}
    assert queries.doubts(third.suggestions) == {"item"}
    assert queries.doubts(first.suggestions) == set()
    # and back into the outline editor of the saved plan, and marked on the plan page
    tree = queries.measure_tree(plan)
    assert tree[0]["children"][1]["doubtful"] == ["units"]
    page = lxml.html.fromstring(sup.get(f"/plans/{plan.id}").get_data(as_text=True))
    assert [t.text_content() for t in page.xpath("//span[contains(@class, 'tag-doubtful')]")] == ["县水务局"]
    assert [t.text_content() for t in page.xpath("//span[contains(@class, 'tag-leader')]")] == ["王副县长"]


@pytest.fixture
def sup(auth, people):
    return auth.client_for(people.supervisor)


def test_the_preview_marks_and_counts_what_to_check(sup, db):
    edited = queries.outline_to_edit(outline())
    edited["plans"][0]["title"] = ""  # refused: the preview comes back with the user's outline
    response = sup.post("/plans/import/save", data={"outline_json": json.dumps(edited, ensure_ascii=False),
                                                    "source_text": "原文"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    tree = lxml.html.fromstring(page)
    summary = tree.get_element_by_id("doubt-summary").text_content()
    assert "2 处需要确认" in summary
    assert [a.get("href") for a in tree.xpath("//*[@id='doubt-summary']//a")] == ["#doubt-1", "#doubt-2"]
    first, second = tree.get_element_by_id("doubt-1"), tree.get_element_by_id("doubt-2")
    assert "推进城乡供水一体化" in first.text_content() and "需确认" in first.text_content()
    assert "其他事项" in second.text_content()
    # only the doubted suggestion is marked on the sure-enough item
    assert [t.text_content() for t in first.xpath(".//span[contains(@class, 'tag-doubtful')]")] == ["县水务局"]
    assert "王副县长" in page and 'data-label-doubt="需确认"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0


def test_a_sure_preview_has_no_summary(sup):
    page = sup.post("/plans/import", data={"text": "某县工作方案\n一、加强组织领导\n二、抓好重点任务\n"}).get_data(
        as_text=True)
    assert "识别出 1 份计划" in page and "doubt-summary" not in page


def hidden(page: str, name: str) -> str:
    return lxml.html.fromstring(page).xpath(f"//input[@name='{name}']/@value")[0]


@pytest.mark.parametrize("known", [False, True])
def test_saving_says_which_unit_names_match_no_unit(sup, make, people, db, known):
    if known:
        make.unit("发改局", parent=people.region)
        db.session.commit()
    text = "某县2026年营商环境提升工作方案\n一、加强组织领导\n（一）成立工作专班，由县发改局牵头，东城区配合。\n"
    body = sup.post("/plans/import", data={"text": text}).get_data(as_text=True)
    response = sup.post("/plans/import/save", data={"outline_json": hidden(body, "outline_json"),
                                                    "source_text": hidden(body, "source_text")},
                        follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已导入 1 份计划" in page
    warned = "计划中有 1 个单位名称在单位目录中找不到（如“县发改局”）" in page
    assert warned is not known


def test_the_preview_marks_unit_names_the_directory_lacks(sup, make, people, db):
    make.unit("发改局", parent=people.region)
    db.session.commit()
    text = "某县2026年营商环境提升工作方案\n一、加强组织领导\n（一）成立工作专班，由县发改局牵头，县乡村振兴局配合。\n"
    page = sup.post("/plans/import", data={"text": text}).get_data(as_text=True)
    tree = lxml.html.fromstring(page)
    marked = [t.text_content()
              for t in tree.xpath("//*[@id='outline-static']//span[contains(@class, 'tag-unmatched')]")]
    assert marked == ["县乡村振兴局"]
    assert "县乡村振兴局" in tree.get_element_by_id("unmatched-summary").text_content()
    assert json.loads(tree.get_element_by_id("outline-editor").get("data-unmatched")) == ["县乡村振兴局"]
