"""The parser on small documents: one rule per case, each damage kind, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.plans import PlanInputError, parse_blocks, parse_document, parse_text
from tracker.plans.numbering import Marker
from tracker.plans.outline import Item, Outline
from tracker.plans.patterns import lazy
from tracker.plans.readers import Block

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = Path(__file__).parent.parent / "data"


def tree(outline: Outline) -> list[list[tuple]]:
    """Per plan: (level, number, text) in document order."""

    def walk(items: list[Item]) -> list[tuple]:
        rows: list[tuple] = []
        for item in items:
            rows.append((item.level, item.number, item.text))
            rows.extend(walk(item.children))
        return rows

    return [walk(plan.items) for plan in outline.plans]


def flat(text: str) -> list[tuple]:
    outline = parse_text(text)
    assert len(outline.plans) == 1
    return tree(outline)[0]


# -- levels from the order of styles ---------------------------------------------------------


def test_levels_follow_the_documents_own_order() -> None:
    text = "1、甲。\n（一）乙。\n（二）丙。\n2、丁。\n一、戊。\n"
    # 1、 came first, so it is level 1 here; （一） nests under it; 一、 is new and nests under 2、
    assert flat(text) == [
        (1, "1", "甲。"),
        (2, "（一）", "乙。"),
        (2, "（二）", "丙。"),
        (1, "2", "丁。"),
        (2, "一", "戊。"),
    ]


def test_style_seen_before_pops_back_and_a_fresh_parent_nests_again() -> None:
    text = "一、总结\n（一）指标\n1、业务\n2、管理\n二、计划\n1、市场\n2、经营\n"
    assert flat(text) == [
        (1, "一", "总结"),
        (2, "（一）", "指标"),
        (3, "1", "业务"),
        (3, "2", "管理"),
        (1, "二", "计划"),
        (2, "1", "市场"),
        (2, "2", "经营"),
    ]


def test_measures_numbered_through_the_sections() -> None:
    text = "一、甲类\n1.任务一。\n2.任务二。\n二、乙类\n3.任务三。\n4.任务四。\n"
    assert [row[:2] for row in flat(text)] == [(1, "一"), (2, "1"), (2, "2"), (1, "二"), (2, "3"), (2, "4")]


def test_gaps_and_a_missing_first_number() -> None:
    text = "二、班况分析:\n三、工作目标:\n1、甲。\n5、乙。\n(2)丙:\n(4)丁。\n"
    assert [row[:2] for row in flat(text)] == [
        (1, "二"),
        (1, "三"),
        (2, "1"),
        (2, "5"),
        (3, "(2)"),
        (3, "(4)"),
    ]


def test_style_change_in_the_middle_of_a_list() -> None:
    text = "一、任务\n1、甲。\n2、乙。\n3.丙。\n4.丁。\n"
    assert [row[:2] for row in flat(text)] == [(1, "一"), (2, "1"), (2, "2"), (2, "3"), (2, "4")]


def test_restart_after_a_closing_paragraph_stays_at_level_one() -> None:
    text = (
        "二、甲\n三、乙\n1、丙。\n"
        "总之，把安全放在首位，我们将尽自己的一切能力保护好学生，防止事故的发生，促进学生健康成长\n"
        "一、丁\n"
    )
    assert [row[:2] for row in flat(text)] == [(1, "二"), (1, "三"), (2, "1"), (1, "一")]


def test_unnumbered_heading_starts_again_at_the_top() -> None:
    text = "1、开展学习。\n（1）设立讲师。\n2、开展活动。\n主要作法\n（一）整体推进。\n2、加强督办。\n"
    assert [row[:2] for row in flat(text)] == [(1, "1"), (2, "（1）"), (1, "2"), (1, "（一）"), (1, "2")]
    plan = parse_text(text).plans[0]
    assert [h.text for h in plan.headings] == ["主要作法"]


# -- damage ------------------------------------------------------------------------------------

WRAP_CASES = {
    "hard wrap inside a sentence": (
        "一、任务\n1.推进政务服务事项标准化建设，年底前实现市、县、乡三级同一事\n项无差别受理。\n2.拓展场景。\n",
        [
            (1, "一", "任务"),
            (2, "1", "推进政务服务事项标准化建设，年底前实现市、县、乡三级同一事项无差别受理。"),
            (2, "2", "拓展场景。"),
        ],
    ),
    "wrap across a blank line after a comma": (
        "7、教育学生不带危险的物品到学校(如:木棒、小刀、匕首、\n\n气枪等利器进入校园。)\n8、不在井边玩耍。\n",
        [
            (1, "7", "教育学生不带危险的物品到学校(如:木棒、小刀、匕首、气枪等利器进入校园。)"),
            (1, "8", "不在井边玩耍。"),
        ],
    ),
    "a number split across lines (110、1 + 19、120)": (
        "1、了解常识。\n2、初步学会求救的简单技能。学会正确使用和拨打\n\n110、1\n\n19、120电话。\n3、下一项。\n",
        [
            (1, "1", "了解常识。"),
            (1, "2", "初步学会求救的简单技能。学会正确使用和拨打110、119、120电话。"),
            (1, "3", "下一项。"),
        ],
    ),
    "a decimal split across lines (86. + 55、)": (
        "3、营业厅综合评分100分。电话回访满意度平均得分86.\n\n55、双向评价满意度平均得分94.32分。\n4、月均客户35.27万。\n",
        [
            (1, "3", "营业厅综合评分100分。电话回访满意度平均得分86.55、双向评价满意度平均得分94.32分。"),
            (1, "4", "月均客户35.27万。"),
        ],
    ),
    "a Latin token split across lines (G + 3、)": (
        "3、提升服务。\n(1)基础服务做好。加快专线、G\n3、终端等新产品的服务标准梳理。\n(2)差异化服务。\n",
        [
            (1, "3", "提升服务。"),
            (2, "(1)", "基础服务做好。加快专线、G3、终端等新产品的服务标准梳理。"),
            (2, "(2)", "差异化服务。"),
        ],
    ),
    "a cross-reference at the start of a wrapped line": (
        "第十一条 建立联席会议制度。\n第十二条 对不符合本方案规定的改造标准，或者未按照本方案\n"
        "第十条规定的程序实施的项目，不予拨付资金。\n",
        [
            (1, "第十一条", "建立联席会议制度。"),
            (
                1,
                "第十二条",
                "对不符合本方案规定的改造标准，或者未按照本方案第十条规定的程序实施的项目，不予拨付资金。",
            ),
        ],
    ),
    "two items on one line": (
        "③、严格遵守作息时间; ④、养成离校关窗的习惯。\n1、甲。2、乙。\n",
        [(1, "③", "严格遵守作息时间;"), (1, "④", "养成离校关窗的习惯。"), (2, "1", "甲。"), (2, "2", "乙。")],
    ),
    "two items on one line after a space": (
        "4、推进体系建设。\n(1)集团客户:以差异化服务为重点 (2)家庭客户:适时拟定标准。\n",
        [
            (1, "4", "推进体系建设。"),
            (2, "(1)", "集团客户:以差异化服务为重点"),
            (2, "(2)", "家庭客户:适时拟定标准。"),
        ],
    ),
    "Latin words keep their space": (
        "1.Build the service\nplatform for all offices.\n2.Next.\n",
        [(1, "1", "Build the service platform for all offices."), (1, "2", "Next.")],
    ),
    "the number alone on its line": (
        "（一）\n深化改革。\n（二）优化服务。\n",
        [(1, "（一）", "深化改革。"), (1, "（二）", "优化服务。")],
    ),
}


@pytest.mark.parametrize("name", list(WRAP_CASES))
def test_damage(name: str) -> None:
    text, expected = WRAP_CASES[name]
    assert flat(text) == expected


def test_body_paragraphs_are_not_the_items_text() -> None:
    text = (
        "二、以实施ERP软件为契机，规范财务基础工作\n\n"
        "在经过两个月的筹建和准备工作后，财务部着手进行了各模块的初始化工作。\n三、制订核算体系\n"
    )
    plan = parse_text(text).plans[0]
    assert plan.items[0].text == "以实施ERP软件为契机，规范财务基础工作"
    assert plan.items[0].body.startswith("在经过两个月")
    assert plan.items[0].end_line == 2


def test_page_numbers_and_running_headers_are_dropped() -> None:
    header = "江州市2024年优化营商环境工作要点"
    text = "\n".join(
        [
            header,
            "一、提升政务服务效能",
            "1.推进政务服务事项标准化建设，年底前实现市、县、乡三级同一事项无",
            "",
            "- 1 -",
            "",
            header,
            "差别受理、同标准办理。",
            "2.拓展应用场景。",
            "第 2 页 共 3 页",
            header,
            "3.完善热线联动机制。",
            "3/12",
            "4.降低企业成本。",
            "Page 4 of 12",
            header,
            "",
        ]
    )
    outline = parse_text(text)
    assert outline.plans[0].title == header
    assert tree(outline)[0] == [
        (1, "一", "提升政务服务效能"),
        (2, "1", "推进政务服务事项标准化建设，年底前实现市、县、乡三级同一事项无差别受理、同标准办理。"),
        (2, "2", "拓展应用场景。"),
        (2, "3", "完善热线联动机制。"),
        (2, "4", "降低企业成本。"),
    ]


def test_web_page_title_date_and_navigation_belong_to_no_plan() -> None:
    text = (
        "首页 > 范文 > 工作计划\n\n工作计划和总结范文\n\n2023-03-04\n\n工作计划和总结范文第1篇\n\n"
        "二、班况分析:\n\n三、工作目标:\n\n上一篇:一天的工作总结下一篇:前半年工作总结\n"
    )
    outline = parse_text(text)
    plan = outline.plans[0]
    assert plan.title == "工作计划和总结范文第1篇"
    assert plan.date is None
    assert plan.headings == []
    assert tree(outline)[0] == [(1, "二", "班况分析:"), (1, "三", "工作目标:")]


# -- inline enumerations and headings ---------------------------------------------------------------


def test_inline_enumeration_in_the_body() -> None:
    text = (
        "3、开展廉政文化活动。\n"
        "为更好地开展活动，取得了很好的效果。一是建立橱窗160个。二是演出23场。三是观看1300余人。\n"
        "4、下一项。\n"
    )
    outline = parse_text(text)
    item = outline.plans[0].items[0]
    assert [(c.number, c.text, c.inline, c.level) for c in item.children] == [
        ("一是", "建立橱窗160个。", True, 2),
        ("二是", "演出23场。", True, 2),
        ("三是", "观看1300余人。", True, 2),
    ]
    assert item.children[0].start_line == 1


def test_inline_enumeration_with_di_words_before_numbered_children() -> None:
    text = "2、重点是以下几个方面工作:第一,结合热点推出活动。第二,活动持续期控制在1个月以上。\n（1）甲。\n"
    item = parse_text(text).plans[0].items[0]
    assert [(c.number, c.inline) for c in item.children] == [("第一", True), ("第二", True), ("（1）", False)]


def test_rankings_are_not_enumerations() -> None:
    item = (
        parse_text("1、客户满意度表现稳定。标准满意度全省第一,营业厅全省第二,新业务全省第三。\n")
        .plans[0]
        .items[0]
    )
    assert item.children == []


def test_headings_are_kept_not_items() -> None:
    text = (
        "【2011年工作思路】\n一、坚持服务优势\n总体思路:把握客户需求,完善服务体系\n1、多层面运用评价工具。\n"
    )
    plan = parse_text(text).plans[0]
    assert [h.text for h in plan.headings] == ["【2011年工作思路】", "总体思路:把握客户需求,完善服务体系"]
    # the labelled line does not break the nesting
    assert tree(parse_text(text))[0] == [(1, "一", "坚持服务优势"), (2, "1", "多层面运用评价工具。")]


# -- several plans -------------------------------------------------------------------------------


def test_several_plans_in_one_file() -> None:
    text = (
        "城东街道2024年安全生产工作要点\n一、压实责任\n1.签订责任书。\n二、排查隐患\n1.开展大检查。\n"
        "城东街道办事处\n2024年1月15日\n"
        "城东街道2024年消防安全专项整治实施方案\n一、整治范围\n（一）居民小区。\n二、工作步骤\n"
    )
    outline = parse_text(text)
    assert [p.title for p in outline.plans] == [
        "城东街道2024年安全生产工作要点",
        "城东街道2024年消防安全专项整治实施方案",
    ]
    assert outline.plans[0].date == dt.date(2024, 1, 15)
    assert outline.plans[0].end_line == 6 and outline.plans[1].start_line == 7
    assert [row[:2] for row in tree(outline)[1]] == [(1, "一"), (2, "（一）"), (1, "二")]


def test_a_title_inside_a_plan_without_a_restart_is_a_heading() -> None:
    text = "一、甲\n1.任务一。\n2.任务二。\n具体工作方案\n3.任务三。\n"
    outline = parse_text(text)
    assert len(outline.plans) == 1
    assert [h.text for h in outline.plans[0].headings] == ["具体工作方案"]


def test_untitled_plan_takes_the_default_title() -> None:
    outline = parse_text("1、甲。\n2、乙。\n", default_title="来文")
    assert outline.plans[0].title == "来文"


# -- plan date, document number, issuer, metadata ---------------------------------------------


def test_plan_date_doc_number_and_issuer() -> None:
    text = (
        "江州市人民政府办公室文件\n江政办发〔2024〕5号\n江州市2024年优化营商环境工作要点\n"
        "一、提升政务服务效能\n1.年底前实现无差别受理。\n江州市人民政府办公室\n2024年3月8日\n"
    )
    plan = parse_text(text).plans[0]
    assert plan.doc_number == "江政办发〔2024〕5号"
    assert plan.issuer == "江州市人民政府办公室"
    assert plan.date == dt.date(2024, 3, 8)


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("2024年3月4日", dt.date(2024, 3, 4)),
        ("二〇二四年三月四日", dt.date(2024, 3, 4)),
        ("（2024年4月16日区政府第12次常务会议审议通过）", dt.date(2024, 4, 16)),
        ("发布时间：2023-03-04", dt.date(2023, 3, 4)),
    ],
)
def test_plan_date_forms(line: str, date: dt.date) -> None:
    plan = parse_text(f"某县2024年工作要点\n{line}\n一、甲\n").plans[0]
    assert plan.date == date


def test_given_plan_date_is_the_fallback() -> None:
    outline = parse_text("1、甲。\n", plan_date=dt.date(2020, 5, 1))
    assert outline.plans[0].date is None  # the document states none; the date is used for metadata only


def test_metadata_is_copied_onto_items() -> None:
    text = "某局2024年工作要点\n1.完善制度，6月底前完成。（牵头单位：市政务服务局；配合单位：市司法局）\n"
    item = parse_text(text).plans[0].items[0]
    assert item.deadline == dt.date(2024, 6, 30)
    assert item.lead_units == ["市政务服务局"]
    assert item.support_units == ["市司法局"]


# -- blocks -------------------------------------------------------------------------------------------


def test_blocks_with_table_rows() -> None:
    blocks = [
        Block("江州市2024年重点工作任务分解表"),
        Block("一、优化营商环境", heading_level=1),
        Block(
            "",
            row={
                "number": "1",
                "text": "推进政务服务标准化",
                "lead_units": ["市政务服务局"],
                "units": [],
                "support_units": ["市司法局"],
                "deadline_text": "2024年6月底",
            },
        ),
        Block(
            "",
            row={
                "number": "2",
                "text": "拓展一件事场景",
                "lead_units": [],
                "units": ["各区县人民政府"],
                "support_units": [],
                "deadline_text": None,
            },
        ),
    ]
    outline = parse_blocks(blocks)
    plan = outline.plans[0]
    assert plan.title == "江州市2024年重点工作任务分解表"
    assert tree(outline)[0] == [
        (1, "一", "优化营商环境"),
        (2, "1", "推进政务服务标准化"),
        (2, "2", "拓展一件事场景"),
    ]
    first, second = plan.items[0].children
    assert first.lead_units == ["市政务服务局"] and first.support_units == ["市司法局"]
    assert first.deadline_text == "2024年6月底"
    assert first.deadline == dt.date(2024, 6, 30)
    assert second.units == ["各区县人民政府"]


def test_parse_document_reads_bytes() -> None:
    outline = parse_document("1、甲。\n2、乙。\n".encode("gb18030"), "plan.txt")
    assert [i.number for i in outline.plans[0].items] == ["1", "2"]


@pytest.mark.parametrize("text", ["", "\n\n", "这是一段没有编号的文字。\n另一段。\n", "2024年3月4日\n"])
def test_no_items(text: str) -> None:
    with pytest.raises(PlanInputError) as info:
        parse_text(text)
    assert info.value.code == "no_items"


def test_lines_are_source_line_indexes() -> None:
    outline = parse_text("\n一、甲\n\n1、乙，\n丙。\n")
    top = outline.plans[0].items[0]
    assert (top.start_line, top.end_line) == (1, 1)
    assert (top.children[0].start_line, top.children[0].end_line) == (3, 4)
    assert top.children[0].style == "arabic_dun" and top.style == "cn_dun"


# -- CLI -------------------------------------------------------------------------------------------------


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracker.plans", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def test_cli_prints_json(tmp_path: Path) -> None:
    result = run_cli(str(DATA / "plans" / "two-plans-in-a-row.txt"))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["plans"]) == 2
    assert data["plans"][0]["items"][0]["number"] == "一"


def test_cli_text_view_from_stdin() -> None:
    result = run_cli("--text", "-", stdin="某局2024年工作要点\n一、甲\n1、乙。\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["# 某局2024年工作要点", "一 甲", "  1 乙。"]


def test_cli_errors_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("没有编号的一段话。\n", encoding="utf-8")
    result = run_cli(str(empty))
    assert result.returncode == 2
    assert "没有找到带编号的条目" in result.stderr
    assert run_cli(str(tmp_path / "missing.txt")).returncode == 2
    assert run_cli(str(tmp_path / "plan.pdf")).returncode == 2


def test_cli_options_and_usage_mistakes() -> None:
    plan = "一、甲\n1、乙。\n"
    # --title fills a plan that has none; --opt=value and --opt value both read
    for args in (["--title", "某局工作要点"], ["--title=某局工作要点"]):
        result = run_cli("--text", *args, "-", stdin=plan)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[0] == "# 某局工作要点"
    helped = run_cli("--help")
    assert helped.returncode == 0 and "--date DATE" in helped.stdout and "usage:" in helped.stdout
    for args, message in (([], "required: file"), (["--date", "2024-13-01", "-"], "invalid date"),
                          (["--date"], "expected one argument"), (["--bogus", "-"], "unrecognized arguments: --bogus"),
                          (["a.txt", "b.txt"], "unrecognized arguments: b.txt")):
        result = run_cli(*args, stdin=plan)
        assert result.returncode == 2, args
        assert result.stdout == "" and result.stderr.startswith("usage: python -m tracker.plans"), args
        assert message in result.stderr, (args, result.stderr)


def test_slotted_classes_compare_and_print_like_dataclasses() -> None:
    a = Item("一", "甲", children=[Item("1", "乙", level=2)])
    b = Item("一", "甲", children=[Item("1", "乙", level=2)])
    assert a == b and a != Item("一", "丙") and a.children is not Item("一", "甲").children
    assert Item("一", "甲").children == [] and Item("一", "甲").children is not Item("一", "甲").children
    assert repr(Item("一", "甲")).startswith("Item(number='一', text='甲', level=1, children=[]")
    with pytest.raises(AttributeError):
        Item("一", "甲").colour = "red"  # slotted: no stray attributes
    with pytest.raises(TypeError):
        hash(a)  # mutable, like a dataclass with eq
    marker = Marker("cn_dun", "一", 1, 0, 2)
    assert {marker, Marker("cn_dun", "一", 1, 0, 2)} == {marker}  # frozen: hashable by value


HEAVY_LIBRARIES = ("docx", "openpyxl", "lxml", "flask", "sqlalchemy")

# runs ``python -m tracker.plans FILE`` in this process, then prints which libraries it loaded
_CLI_THEN_MODULES = """
import json, runpy, sys
HEAVY = {heavy!r}
sys.argv = ["tracker.plans", sys.argv[1]]
try:
    runpy.run_module("tracker.plans", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    assert not exc.code, exc.code
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
print(json.dumps(loaded), file=sys.stderr)
""".replace("{heavy!r}", repr(HEAVY_LIBRARIES))


def _libraries_loaded_by_cli(path: Path) -> list[str]:
    result = subprocess.run([sys.executable, "-c", _CLI_THEN_MODULES, str(path)], cwd=ROOT, capture_output=True,
                            text=True, encoding="utf-8", timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["plans"]
    return json.loads(result.stderr.strip().splitlines()[-1])


def test_cli_on_text_loads_no_office_or_web_library() -> None:
    """A .txt needs neither the Word and Excel readers' libraries nor Flask or SQLAlchemy."""
    assert _libraries_loaded_by_cli(DATA / "plans" / "gov-work-points.txt") == []
    # the check sees a library that is loaded: a Word file brings in python-docx and lxml
    assert {"docx", "lxml"} <= set(_libraries_loaded_by_cli(DATA / "readers" / "auto-numbering-task-table.docx"))


def test_lazy_pattern_behaves_like_a_compiled_one() -> None:
    source = r"(?P<num>[一二三四五六七八九十]{1,3})、"
    pattern, compiled = lazy(source), re.compile(source)
    assert "lazy(" in repr(pattern)
    text = "一、甲；十二、乙"
    assert pattern.search(text).group("num") == compiled.search(text).group("num") == "一"
    assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert (pattern.pattern, pattern.groupindex, pattern.sub("#", text)) == (
        compiled.pattern, compiled.groupindex, compiled.sub("#", text))


def test_title_wrapped_over_two_lines() -> None:
    text = "一、甲\n1、乙。\n城东街道2024年消防安全专项整治\n实施方案\n一、范围\n（一）居民小区。\n"
    outline = parse_text(text)
    assert [p.title for p in outline.plans] == ["", "城东街道2024年消防安全专项整治实施方案"]
    assert outline.plans[1].headings == []


# -- decimal numbers (1.1, 1.1.1) ----------------------------------------------------------


def test_decimal_numbers_nest_by_their_own_digits() -> None:
    text = ("一、夯实基础\n1.1 完成机房改造。\n1.2 推进网络升级。\n1.2.1 完成县级节点扩容。\n"
            "1.2.2 完成乡镇节点接入。\n1.3 健全运维制度。\n二、提升应用\n2.1 建设统一身份认证平台。\n")
    assert flat(text) == [
        (1, "一", "夯实基础"),
        (2, "1.1", "完成机房改造。"),
        (2, "1.2", "推进网络升级。"),
        (3, "1.2.1", "完成县级节点扩容。"),
        (3, "1.2.2", "完成乡镇节点接入。"),
        (2, "1.3", "健全运维制度。"),
        (1, "二", "提升应用"),
        (2, "2.1", "建设统一身份认证平台。"),
    ]


def test_decimal_numbers_under_arabic_ones() -> None:
    text = ("1. 总体要求\n1.1 坚持安全第一。\n2. 重点任务\n2.1 开展隐患排查。\n"
            "2.1.1 每季度排查一次。\n2.2 完善应急预案。\n")
    assert [row[:2] for row in flat(text)] == [(1, "1"), (2, "1.1"), (1, "2"), (2, "2.1"), (3, "2.1.1"), (2, "2.2")]


def test_a_decimal_that_names_another_parent_or_a_quantity_is_text() -> None:
    text = ("一、夯实基础\n1.1 完成机房改造，全年投资\n1.5亿元，年底前完成。\n1.2 推进网络升级，考核得分\n"
            "86.55分以上。\n3.5 这一行不是编号。\n1.2.1 完成县级节点扩容。\n2.2.1 这一行也不是。\n1.3 台账管理。\n")
    rows = flat(text)
    assert [row[1] for row in rows] == ["一", "1.1", "1.2", "1.2.1", "1.3"]
    assert rows[1][2] == "完成机房改造，全年投资1.5亿元，年底前完成。"
    assert rows[2][2] == "推进网络升级，考核得分86.55分以上。"


def test_word_multilevel_legal_numbers_become_levels() -> None:
    blocks = [Block(text=t) for t in ("第一条 总则", "1.1目的", "1.2范围", "第二条 职责", "2.1分工")]
    outline = parse_blocks(blocks)
    assert tree(outline)[0] == [(1, "第一条", "总则"), (2, "1.1", "目的"), (2, "1.2", "范围"),
                                (1, "第二条", "职责"), (2, "2.1", "分工")]


def test_a_sentence_end_wrapped_next_to_a_page_number_is_not_a_running_header() -> None:
    text = "1、优化服务\n。\n\n- 1 -\n\n2、强化保障\n。\n"
    assert flat(text) == [(1, "1", "优化服务。"), (1, "2", "强化保障。")]


def test_bracketed_and_circled_enumerations_inside_a_paragraph() -> None:
    text = ("1、健全工作机制，重点做好以下工作：（1）成立工作专班；（2）建立周调度制度；（3）每月通报进展。\n"
            "2、落实责任，包括：①明确分工，②细化措施。\n")
    first, second = parse_text(text).plans[0].items
    assert [(c.number, c.text, c.inline, c.level) for c in first.children] == [
        ("（1）", "成立工作专班；", True, 2),
        ("（2）", "建立周调度制度；", True, 2),
        ("（3）", "每月通报进展。", True, 2),
    ]
    assert first.text == "健全工作机制，重点做好以下工作：（1）成立工作专班；（2）建立周调度制度；（3）每月通报进展。"
    assert [(c.number, c.text) for c in second.children] == [("①", "明确分工，"), ("②", "细化措施。")]


def test_a_lone_or_cited_bracketed_number_is_not_an_enumeration() -> None:
    text = ("1、按照《条例》第三条(1)款和第四条(2)款的规定执行。\n"
            "2、完成年度目标（1）项。\n"
            "3、做好以下工作：（2）乙；（3）丙。\n")
    assert [item.children for item in parse_text(text).plans[0].items] == [[], [], []]


@pytest.mark.parametrize(
    "text",
    [
        # a figure after a space inside the item's own line
        "一、建设道路\n1.1 新建道路全长 1.2 公里，年底前完工。\n1.2 完善配套设施。\n",
        "一、建设道路\n1.1 新建道路全长 5.2 公里，年底前完工。\n1.2 完善配套设施。\n",
        "二、完善网点\n2.1 新建站点 2.2 个。\n2.2 提升服务。\n",
        # a figure that a wrap put at the start of a line
        "二、主要任务\n全县新改建道路总长\n2.1公里以上，完成危桥改造。\n",
        "一、建设道路\n1.1 新建道路。\n1.2 改造道路，总长度达到\n1.3公里，实现全覆盖。\n1.3 完善设施。\n",
        "二、主要任务\n今年计划新建道路。\n2.5公里道路于6月完工。\n",
        "二、主要任务\n今年比去年提高。\n2.3 个百分点以上。\n",
        "三、时间安排\n各单位按期报送。\n3.5 前完成全部任务。\n",
    ],
)
def test_figures_are_not_decimal_numbers(text: str) -> None:
    numbers = [row[1] for row in flat(text)]
    assert numbers == [n for n in ("一", "二", "三", "1.1", "1.2", "1.3", "2.1", "2.2") if n in numbers]
    assert not {"2.5", "2.3", "3.5", "5.2"} & set(numbers)
    assert numbers.count("1.2") <= 1 and numbers.count("1.3") <= 1 and numbers.count("2.2") <= 1
    if "二、主要任务\n全县" in text:
        assert numbers == ["二"]


def test_a_figure_after_a_title_does_not_start_a_plan() -> None:
    text = "某县2027年交通建设工作方案\n一、总体目标\n新建农村公路\n2.1公里以上。\n二、保障措施\n"
    outline = parse_text(text)
    assert len(outline.plans) == 1
    assert [row[1] for row in tree(outline)[0]] == ["一", "二"]


def test_letter_numbers_are_levels_of_their_own() -> None:
    text = ("一、夯实质量基础\nA. 完善质量管理制度。\nB. 开展全员质量培训。\n（a）管理人员每季度培训一次。\n"
            "（b）一线员工每月培训一次。\nC. 推进质量信息化建设。\n二、强化过程控制\nA. 严格进货检验。\n")
    assert [row[:2] for row in flat(text)] == [(1, "一"), (2, "A"), (2, "B"), (3, "（a）"), (3, "（b）"), (2, "C"),
                                               (1, "二"), (2, "A")]


def test_a_letter_out_of_sequence_is_text() -> None:
    text = "一、强化过程控制\nA. 严格进货检验，不合格品评为\nD. 级供应商的一律清退。\nB. 加强过程巡检。\n"
    rows = flat(text)
    assert [row[1] for row in rows] == ["一", "A", "B"]
    assert rows[1][2] == "严格进货检验，不合格品评为D. 级供应商的一律清退。"


def test_standards_style_chapters_number_space_name_hold_their_decimal_sections() -> None:
    text = ("某市智慧城市建设规划\n1 总则\n1.1 规划目的。\n1.2 规划范围。\n3 建设方案\n3.1 建设城市大脑。\n"
            "3.2 建设感知网络。\n4 保障措施\n4.1 加强组织领导。\n")
    outline = parse_text(text)
    assert [plan.title for plan in outline.plans] == ["某市智慧城市建设规划"]
    assert [row[:2] for row in tree(outline)[0]] == [(1, "1"), (2, "1.1"), (2, "1.2"), (1, "3"), (2, "3.1"),
                                                    (2, "3.2"), (1, "4"), (2, "4.1")]


def test_a_figure_and_a_space_is_a_chapter_only_before_its_first_section() -> None:
    text = "一、建设道路\n1.1 新建道路，全长\n3 公里以上。\n1.2 完善设施。\n"
    assert [row[1] for row in flat(text)] == ["一", "1.1", "1.2"]


def test_decimal_items_with_a_gap_words_that_begin_with_a_unit_and_items_on_one_line() -> None:
    assert [row[1] for row in flat("一、甲\n1.1 完善制度。\n1.2 加强培训。\n1.4 推进信息化。\n1.5 严格考核。\n")] == [
        "一", "1.1", "1.2", "1.4", "1.5"]
    food = "一、稳定粮食生产\n1.1 米袋子工程。\n1.2 菜篮子工程。\n1.3 米粉产业提质增效。\n"
    assert [row[1] for row in flat(food)] == ["一", "1.1", "1.2", "1.3"]
    assert flat("一、甲\n1.1 加强组织领导 1.2 完善工作机制 1.3 强化督查考核\n") == [
        (1, "一", "甲"), (2, "1.1", "加强组织领导"), (2, "1.2", "完善工作机制"), (2, "1.3", "强化督查考核")]


def test_letters_on_one_line_and_a_letter_that_classifies() -> None:
    assert flat("一、强化控制\nA. 严格进货检验；B. 加强过程巡检。\n") == [
        (1, "一", "强化控制"), (2, "A", "严格进货检验；"), (2, "B", "加强过程巡检。")]
    item = parse_text("一、企业分类\n（A）类企业每年检查一次。\n").plans[0].items[0]
    assert item.children == [] and item.body == "（A）类企业每年检查一次。"
