"""Metadata found in an item's own text: units, deadline, period, quantities."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from tracker.plans.metadata import PERIODS, extract_metadata, resolve_deadline, split_unit_names

DATA = Path(__file__).resolve().parent.parent / "data"
PLAN = date(2024, 3, 1)
D = date

# --- units -------------------------------------------------------------------------

UNIT_CASES = [
    ("由区教育局牵头，2024年6月底前完成。", {"lead_units": ["区教育局"]}),
    ("由客服部牵头,各单位优秀店长授课。", {"lead_units": ["客服部"]}),
    ("此项工作由市发展改革委负责。", {"lead_units": ["市发展改革委"]}),
    ("由区教育局、区财政局负责组织实施。", {"lead_units": ["区教育局", "区财政局"]}),
    ("由区卫健委牵头，区民政局、区医保局配合。", {"lead_units": ["区卫健委"],
                                                  "support_units": ["区民政局", "区医保局"]}),
    ("区教育局牵头，各学校配合，确保按期完成。", {"lead_units": ["区教育局"], "support_units": ["各学校"]}),
    ("区应急管理局负责，各镇街抓好落实。", {"lead_units": ["区应急管理局"]}),
    ("牵头单位：区发改委", {"lead_units": ["区发改委"]}),
    ("牵头单位：区发改委；配合单位：区财政局、区统计局", {"lead_units": ["区发改委"],
                                                        "support_units": ["区财政局", "区统计局"]}),
    ("责任单位：区教育局、区财政局", {"units": ["区教育局", "区财政局"]}),
    ("责任部门：办公室、人事处", {"units": ["办公室", "人事处"]}),
    ("责任单位：区发改委（牵头）、区财政局", {"lead_units": ["区发改委"], "units": ["区财政局"]}),
    ("协办单位：团区委、区妇联", {"support_units": ["团区委", "区妇联"]}),
    ("开展消防安全检查（区消防救援大队负责）", {"lead_units": ["区消防救援大队"]}),
    ("推进垃圾分类（牵头单位：区城管局；配合单位：各街道）", {"lead_units": ["区城管局"],
                                                          "support_units": ["各街道"]}),
    ("实施老旧小区改造。（区住房和城乡建设局、区财政局）", {"units": ["区住房和城乡建设局", "区财政局"]}),
    ("由区人力资源和社会保障局牵头", {"lead_units": ["区人力资源和社会保障局"]}),
    ("由区教育局和区体育局共同负责", {"lead_units": ["区教育局", "区体育局"]}),
    ("由各县区负责", {"lead_units": ["各县区"]}),
    ("责任单位：各县区人民政府", {"units": ["各县区人民政府"]}),
    ("区财政局、区审计局配合。", {"support_units": ["区财政局", "区审计局"]}),
    ("由区委宣传部牵头，区文旅局及区融媒体中心配合", {"lead_units": ["区委宣传部"],
                                                   "support_units": ["区文旅局", "区融媒体中心"]}),
    ("责任单位为区市场监管局。", {"units": ["区市场监管局"]}),
    ("（区教育局牵头，区公安分局配合）", {"lead_units": ["区教育局"], "support_units": ["区公安分局"]}),
    ("配合单位：区发改委等", {"support_units": ["区发改委"]}),
    ("推进一网通办。（责任单位：市政务服务局）", {"units": ["市政务服务局"]}),
    ("（责任单位：县住建局、县自然资源局）", {"units": ["县住建局", "县自然资源局"]}),
    ("推进老旧小区改造〔牵头单位：县住建局；责任单位：各县(市、区)政府〕",
     {"lead_units": ["县住建局"], "units": ["各县(市、区)政府"]}),
    ("加快项目建设（县发改委牵头，县财政局、各县（市、区）配合）",
     {"lead_units": ["县发改委"], "support_units": ["县财政局", "各县（市、区）"]}),
    ("信息处做好智能化服务保障工作", {"units": ["信息处"]}),
]

UNIT_NEGATIVES = [
    "协助各责任单位负责人加强经营管理,提高经济效益。",
    "请家长积极配合学校做好安全教育工作和安全防范工作。",
    "各地各单位每半年向地纪委宣教室汇报工作一次。",
    "对各项工作落实任务,责任人和时限,定期督办。",
    "由于天气原因，活动延期举行。",
    "加强与区教育局的沟通配合。",
    "班主任负责，任课教师配合。",
    "由此带来的问题要及时解决。",
    "实行校长负责制。",
    "建立健全领导干部联系点制度（含幼儿园）",
    "积极配合上级部门开展检查",
    "负责人要亲自抓。",
]


@pytest.mark.parametrize(("text", "expected"), UNIT_CASES)
def test_units(text, expected):
    found = extract_metadata(text, PLAN)
    assert {k: v for k, v in found.items() if k.endswith("units")} == expected


@pytest.mark.parametrize("text", UNIT_NEGATIVES)
def test_no_units(text):
    found = extract_metadata(text, PLAN)
    assert not any(key.endswith("units") for key in found), found


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("区教育局、区财政局", ["区教育局", "区财政局"]),
        ("区教育局和区财政局", ["区教育局", "区财政局"]),
        ("区教育局及各学校", ["区教育局", "各学校"]),
        ("区住房和城乡建设局", ["区住房和城乡建设局"]),
        ("市工业和信息化局与市科技局", ["市工业和信息化局", "市科技局"]),
        ("区发展和改革委员会/区统计局", ["区发展和改革委员会", "区统计局"]),
        ("各县区", ["各县区"]),
        ("请家长积极", []),
        ("加强与区教育局", []),
    ],
)
def test_split_unit_names(value, expected):
    assert split_unit_names(value) == expected


# --- deadlines -------------------------------------------------------------------------

DEADLINE_CASES = [
    ("6月10日前完成摸底。", PLAN, D(2024, 6, 10), "6月10日前"),
    ("2024年6月底前完成。", PLAN, D(2024, 6, 30), "2024年6月底前"),
    ("6月底完成方案制定。", PLAN, D(2024, 6, 30), "6月底完成"),
    ("2月底前报送。", PLAN, D(2024, 2, 29), "2月底前"),
    ("年底前全面完成。", PLAN, D(2024, 12, 31), "年底前"),
    ("年内建成投用。", PLAN, D(2024, 12, 31), "年内"),
    ("力争年底完成。", D(2011, 5, 1), D(2011, 12, 31), "年底完成"),
    ("第三季度完成验收。", PLAN, D(2024, 9, 30), "第三季度完成"),
    ("三季度末前完成", PLAN, D(2024, 9, 30), "三季度末前"),
    ("一季度内启动。", PLAN, D(2024, 3, 31), "一季度内"),
    ("四季度完成", PLAN, D(2024, 12, 31), "四季度完成"),
    ("上半年完成试点。", PLAN, D(2024, 6, 30), "上半年完成"),
    ("下半年内全面推开。", PLAN, D(2024, 12, 31), "下半年内"),
    ("2025年3月完成验收。", PLAN, D(2025, 3, 31), "2025年3月完成"),
    ("10月中旬前完成。", PLAN, D(2024, 10, 20), "10月中旬前"),
    ("5月上旬前报送。", PLAN, D(2024, 5, 10), "5月上旬前"),
    ("11月下旬完成", PLAN, D(2024, 11, 30), "11月下旬完成"),
    ("明年6月底前完成。", PLAN, D(2025, 6, 30), "明年6月底前"),
    ("次年3月底前完成", PLAN, D(2025, 3, 31), "次年3月底前"),
    ("今年9月底前完成", PLAN, D(2024, 9, 30), "今年9月底前"),
    ("本年度内完成", PLAN, D(2024, 12, 31), "本年度内完成"),
    ("11年底前完成网点改造。", D(2011, 1, 1), D(2011, 12, 31), "11年底前"),
    ("即日起至6月30日开展专项整治。", PLAN, D(2024, 6, 30), "即日起至6月30日"),
    ("3月至5月开展隐患排查。", PLAN, D(2024, 5, 31), "3月至5月"),
    ("3—5月开展隐患排查。", PLAN, D(2024, 5, 31), "3—5月"),
    ("6月10日至20日集中宣传。", PLAN, D(2024, 6, 20), "6月10日至20日"),
    ("2024年11月至2025年2月开展冬季行动", PLAN, D(2025, 2, 28), "2024年11月至2025年2月"),
    ("6月底前制定方案，12月底前全面完成。", PLAN, D(2024, 12, 31), "12月底前"),
    ("2024年3月启动，6月底前完成。", PLAN, D(2024, 6, 30), "6月底前"),
    ("2023年6月底前完成。", None, D(2023, 6, 30), "2023年6月底前"),
    ("完成时限：2024年9月", PLAN, D(2024, 9, 30), "完成时限：2024年9月"),
    ("截止2024年10月31日", PLAN, D(2024, 10, 31), "截止2024年10月31日"),
    ("到2025年，基本建成现代化体系。", PLAN, D(2025, 12, 31), "到2025年"),
    ("十二月底前完成", PLAN, D(2024, 12, 31), "十二月底前"),
    ("6月31日前完成", PLAN, D(2024, 6, 30), "6月31日前"),
    ("2024年6月份完成", PLAN, D(2024, 6, 30), "2024年6月份完成"),
    ("9月份以前完成", PLAN, D(2024, 9, 30), "9月份以前"),
]


@pytest.mark.parametrize(("text", "plan_date", "deadline", "words"), DEADLINE_CASES)
def test_deadlines(text, plan_date, deadline, words):
    found = extract_metadata(text, plan_date)
    assert found.get("deadline") == deadline
    assert found.get("deadline_text") == words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("6月底前完成。", "6月底前"),
        ("年底前全面完成。", "年底前"),
        ("第三季度完成", "第三季度完成"),
    ],
)
def test_deadline_without_a_year_keeps_only_the_words(text, words):
    found = extract_metadata(text, None)
    assert "deadline" not in found
    assert found["deadline_text"] == words


@pytest.mark.parametrize(
    "text",
    [
        "2023年3月召开了全区动员大会。",
        "6月10日开始,组织地林两级纪检干部培训。",
        "截至11月30日各项指标完成情况如下。",
        "10年内建成一流学校。",
        "三年内实现全覆盖。",
        "制定计划全年分批次安排营业厅店长轮训。",
        "3个月内整改到位。",
        "每季度报送一次进展。",
        "每月底前报送统计报表。",
        "一月一通报。",
        "下半年开展了专项行动。",
        "今年以来，我们坚持问题导向。",
        "2024年度工作要点",
        "宣传没有长期坚持，方式需优化。",
        "组织全体教职工学习。",
        "",
    ],
)
def test_no_deadline(text):
    found = extract_metadata(text, PLAN)
    assert "deadline" not in found and "deadline_text" not in found, found


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("长期坚持", "长期坚持"),
        ("加强师德师风建设，长期坚持。", "长期坚持"),
        ("完善工作机制（持续推进）", "持续推进"),
        ("常态化开展安全巡查", "常态化开展"),
    ],
)
def test_ongoing_has_words_but_no_date(text, words):
    found = extract_metadata(text, PLAN)
    assert "deadline" not in found
    assert found["deadline_text"] == words


@pytest.mark.parametrize(
    ("cell", "plan_date", "expected"),
    [
        ("2024年6月30日", None, (D(2024, 6, 30), "2024年6月30日")),
        ("6月", PLAN, (D(2024, 6, 30), "6月")),
        ("三季度", PLAN, (D(2024, 9, 30), "三季度")),
        ("2024年12月底", None, (D(2024, 12, 31), "2024年12月底")),
        ("长期坚持", PLAN, (None, "长期坚持")),
        ("持续推进", PLAN, (None, "持续推进")),
        ("每季度", PLAN, (None, "每季度")),
        ("", PLAN, (None, None)),
        ("待定", PLAN, (None, None)),
    ],
)
def test_resolve_deadline_for_table_cells(cell, plan_date, expected):
    assert resolve_deadline(cell, plan_date) == expected


# --- periods ---------------------------------------------------------------------------

PERIOD_CASES = [
    ("坚持每日检查学生随身是否带有不安全物品", "daily"),
    ("每天开展晨检", "daily"),
    ("每周召开一次例会", "weekly"),
    ("每星期通报进度", "weekly"),
    ("实行周报制度", "weekly"),
    ("每月报送进展情况", "monthly"),
    ("财务部每月度汇总收入、成本与费用的执行情况", "monthly"),
    ("按月通报排名", "monthly"),
    ("每季度报送一次", "quarterly"),
    ("每季开展一次督查", "quarterly"),
    ("按季度考核", "quarterly"),
    ("一季一通报", "quarterly"),
    ("每半年向地纪委宣教室汇报工作一次", "half-yearly"),
    ("每学期开展一次家访", "half-yearly"),
    ("每年组织一次评估", "yearly"),
    ("每学年开展一次体质测试", "yearly"),
    ("每半年进行一次公开选拔，每月评选岗位能手", "half-yearly"),
    ("通过年度星级营业员评定的方式给予激励", "yearly"),
    ("纳入季度考核", "quarterly"),
]


@pytest.mark.parametrize(("text", "period"), PERIOD_CASES)
def test_periods(text, period):
    assert extract_metadata(text, PLAN).get("period") == period
    assert period in PERIODS


@pytest.mark.parametrize(
    "text",
    ["定期督办", "月度总结:本月完成了", "2024年度工作要点", "全年分批次安排", "人民日报刊发",
     "年度目标任务", "每一位员工"],
)
def test_no_period(text):
    assert "period" not in extract_metadata(text, PLAN)


# --- quantities ---------------------------------------------------------------------------

QUANTITY_CASES = [
    ("发放《教程》880册，培训640人", ["880册", "640人"]),
    ("合格率达到95%以上，满意度95％", ["95%", "95％"]),
    ("全年开展3次演练", ["3次"]),
    ("投入资金1000万元", ["1000万元"]),
    ("新建5所学校，改造12公里道路、3000平方米场地", ["5所", "12公里", "3000平方米"]),
    ("培训1300余人次", ["1300余人次"]),
    ("完成1.2万户改造", ["1.2万户"]),
    ("下降0.5个百分点", ["0.5个百分点"]),
    ("2024年6月30日前完成", []),
    ("第22期培训班", []),
    ("1组评审2、3组", []),
    ("拨打110、119、120电话", []),
    ("1.5系统上线", []),
    ("8+N模式", []),
]


@pytest.mark.parametrize(("text", "expected"), QUANTITY_CASES)
def test_quantities(text, expected):
    assert extract_metadata(text, PLAN).get("quantities", []) == expected


# --- the whole result ----------------------------------------------------------------------


def test_full_result_and_only_found_keys():
    text = "由区教育局牵头，区财政局配合，每季度报送进展，2024年6月底前完成880册图书配备。"
    assert extract_metadata(text, PLAN) == {
        "lead_units": ["区教育局"],
        "support_units": ["区财政局"],
        "deadline": D(2024, 6, 30),
        "deadline_text": "2024年6月底前",
        "period": "quarterly",
        "quantities": ["880册"],
    }
    assert extract_metadata("加强组织领导", PLAN) == {}
    assert extract_metadata("", None) == {}


def test_wrapped_lines_are_joined():
    assert extract_metadata("由区教育\n局牵头，6月\n底前完成", PLAN)["lead_units"] == ["区教育局"]


# --- the seed corpus ---------------------------------------------------------------------------

_NUMBERED_LINE = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+[、.．]|\d+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|【|工作计划和总结范文第)"
)
_PLAN_START = "工作计划和总结范文第"


def _seed_item_text(lines: list[str], plan_index: int, text_start: str) -> str:
    """The item's own text: its line plus the unnumbered lines after it, in the given plan."""
    starts = [i for i, line in enumerate(lines) if line.startswith(_PLAN_START)]
    begin = starts[plan_index]
    end = starts[plan_index + 1] if plan_index + 1 < len(starts) else len(lines)
    for index in range(begin, end):
        if lines[index].lstrip().lstrip("0123456789一二三四五六七八九十、.．()（）: ").startswith(text_start):
            body = [lines[index]]
            for line in lines[index + 1: end]:
                if _NUMBERED_LINE.match(line):
                    break
                body.append(line)
            return "\n".join(body)
    raise AssertionError(f"{text_start} not found in plan {plan_index}")


SEED_YEARS = {4: date(2011, 1, 1)}  # the 2011 plan of 第5篇; the others state no year of their own


def _seed_entries():
    return json.loads((DATA / "seed-work-plans.metadata.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("entry", _seed_entries(), ids=lambda e: f"{e['plan_index']}-{'/'.join(e['path'])}")
def test_seed_metadata(entry):
    lines = (DATA / "seed-work-plans.txt").read_text(encoding="utf-8").split("\n")
    text = _seed_item_text(lines, entry["plan_index"], entry["text_start"])
    found = extract_metadata(text, SEED_YEARS.get(entry["plan_index"]))
    for key in ("lead_units", "units", "support_units", "period", "deadline", "deadline_text"):
        expected = entry.get(key)
        if key == "deadline" and expected is not None:
            expected = date.fromisoformat(expected)
        assert found.get(key) == expected, (key, text)
