"""Number tokens: each style, its value, the number as written, and what is not a number."""

from __future__ import annotations

import pytest

from tracker.plans.numbering import (
    cn_to_int,
    find_inline,
    find_next_in_line,
    fold_width,
    int_to_cn,
    match_marker,
    render,
)


@pytest.mark.parametrize(
    ("line", "style", "number", "value", "text"),
    [
        ("一、指导思想", "cn_dun", "一", 1, "指导思想"),
        ("十二、其他", "cn_dun", "十二", 12, "其他"),
        ("二十三、其他", "cn_dun", "二十三", 23, "其他"),
        ("三．加强领导", "cn_dot", "三", 3, "加强领导"),
        ("（一）深化改革", "cn_paren", "（一）", 1, "深化改革"),
        ("(二) 主要事项说明:", "cn_paren", "(二)", 2, "主要事项说明:"),
        ("（三）、加强宣传", "cn_paren", "（三）", 3, "加强宣传"),
        ("1、进一步提高", "arabic_dun", "1", 1, "进一步提高"),
        ("10、 坚持每日检查", "arabic_dun", "10", 10, "坚持每日检查"),
        ("1.推进标准化", "arabic_dot", "1", 1, "推进标准化"),
        ("2． 违规使用", "arabic_dot", "2", 2, "违规使用"),
        ("１２．全角数字", "arabic_dot", "１２", 12, "全角数字"),
        ("1)切实做好", "arabic_rparen", "1)", 1, "切实做好"),
        ("2）合理地做好", "arabic_rparen", "2）", 2, "合理地做好"),
        ("(1)设立了专职讲师", "arabic_paren", "(1)", 1, "设立了专职讲师"),
        ("（12）一般隐患", "arabic_paren", "（12）", 12, "一般隐患"),
        ("⑶重大隐患", "arabic_paren", "⑶", 3, "重大隐患"),
        ("①教育学生", "circled", "①", 1, "教育学生"),
        ("④、养成习惯", "circled", "④", 4, "养成习惯"),
        ("⑳最后一项", "circled", "⑳", 20, "最后一项"),
        ("Ⅱ、第二部分", "roman", "Ⅱ", 2, "第二部分"),
        ("第一章 总则", "di_chapter", "第一章", 1, "总则"),
        ("第十二条 对未按", "di_article", "第十二条", 12, "对未按"),
        ("第3条：数字条号", "di_article", "第3条", 3, "数字条号"),
        ("第二部分 主要任务", "di_part", "第二部分", 2, "主要任务"),
        ("第一节　组织", "di_section", "第一节", 1, "组织"),
        ("第二编 分则", "di_volume", "第二编", 2, "分则"),
    ],
)
def test_styles(line: str, style: str, number: str, value: int, text: str) -> None:
    marker = match_marker(line)
    assert marker is not None
    assert (marker.style, marker.number, marker.value) == (style, number, value)
    assert line[marker.end :] == text


@pytest.mark.parametrize(
    "line",
    [
        "2024年3月4日召开会议",  # a date
        "1.5万元",  # a decimal quantity, not the number 1.5 (86.55分 is left to the parser)
        "2.3%以上",
        "0.5 亿元",
        "A股市场",  # a letter that begins a word
        "A、B两类企业",
        "a.m. 上午",
        "95%以上",
        "第22期培训班",  # 第N期 is not a numbering style
        "8+N认责体系",
        "全省第一",
        "一是加强领导",  # inline enumeration, read by find_inline
        "第一，加强领导",
        "一一对应",
        "十二五规划",
        "2024、2025两年",  # four digits: a year, not a number
        "",
        "指导思想",
    ],
)
def test_not_numbers(line: str) -> None:
    assert match_marker(line) is None


def test_marker_inside_a_line() -> None:
    line = "③、严格遵守作息时间; ④、养成离校关窗的习惯。"
    nxt = find_next_in_line(line, "circled", 4, 1)
    assert nxt is not None and nxt.number == "④"
    assert line[nxt.end :] == "养成离校关窗的习惯。"
    # only the expected next number, and only after a sentence end or a space
    assert find_next_in_line(line, "circled", 5, 1) is None
    assert find_next_in_line("1组评审2、3组", "arabic_dun", 2, 0) is None
    assert find_next_in_line("1、xxx。2、yyy。", "arabic_dun", 2, 2).start == 6


def test_inline_chains() -> None:
    text = "取得了很好的效果。一是建立橱窗160个。二是演出23场。三是观看1300余人。"
    found = find_inline(text)
    assert [m.number for m in found] == ["一是", "二是", "三是"]
    assert text[found[0].end :].startswith("建立橱窗")
    di = find_inline("重点是以下几个方面:第一,结合热点。第二,活动持续。")
    assert [(m.style, m.number) for m in di] == [("inline_di", "第一"), ("inline_di", "第二")]


@pytest.mark.parametrize(
    "text",
    [
        "标准满意度全省第一,营业厅全省第二,新业务全省第三。",  # rankings
        "统一是关键，唯一是标准。",  # 一是 inside a word
        "其中一是加强领导。",  # a lone 一是 is not an enumeration
        "二是消除隐患。三是强化宣传。",  # no start
    ],
)
def test_inline_not_enumerations(text: str) -> None:
    assert find_inline(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [("一", 1), ("十", 10), ("十一", 11), ("二十", 20), ("九十九", 99), ("一百", 100), ("一百零三", 103)],
)
def test_chinese_numerals(text: str, value: int) -> None:
    assert cn_to_int(text) == value
    assert int_to_cn(value) == text


@pytest.mark.parametrize("text", ["", "一一", "十十", "百十百", "甲"])
def test_not_chinese_numerals(text: str) -> None:
    assert cn_to_int(text) is None


def test_fold_width_keeps_offsets() -> None:
    line = "（１）全角：ＡＢＣ，中文。"
    folded = fold_width(line)
    assert folded == "(1)全角:ABC,中文。"
    assert len(folded) == len(line)


@pytest.mark.parametrize(
    "style",
    [
        "cn_dun",
        "cn_dot",
        "cn_paren",
        "arabic_dun",
        "arabic_dot",
        "arabic_rparen",
        "arabic_paren",
        "circled",
        "roman",
        "di_chapter",
        "di_article",
        "di_part",
        "di_section",
        "decimal2",
        "decimal3",
        "decimal4",
        "latin_upper",
        "latin_upper_rparen",
        "latin_upper_paren",
        "latin_lower",
        "latin_lower_rparen",
        "latin_lower_paren",
    ],
)
def test_render_round_trip(style: str) -> None:
    for value in (1, 2, 9, 10, 12):
        marker = match_marker(render(style, value) + "内容")
        assert marker is not None and marker.style == style and marker.value == value


@pytest.mark.parametrize(
    ("line", "style", "number", "value", "parent", "text"),
    [
        ("1.2 完善工作机制", "decimal2", "1.2", 2, "1", "完善工作机制"),
        ("1.2完善工作机制", "decimal2", "1.2", 2, "1", "完善工作机制"),
        ("2.3.1 每季度排查一次", "decimal3", "2.3.1", 1, "2.3", "每季度排查一次"),
        ("１．２　完善工作机制", "decimal2", "１．２", 2, "1", "完善工作机制"),
        ("3.1.2.4、细化措施", "decimal4", "3.1.2.4", 4, "3.1.2", "细化措施"),
    ],
)
def test_decimal_numbers(line: str, style: str, number: str, value: int, parent: str, text: str) -> None:
    marker = match_marker(line)
    assert marker is not None
    assert (marker.style, marker.number, marker.value, marker.parent) == (style, number, value, parent)
    assert line[marker.end:] == text
