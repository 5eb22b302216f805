"""The near-copy measure on a corpus of real-looking reports, and reading a stated period."""

from datetime import date

import pytest

from tracker.burden import quality

#: reports as units write them, each with a copy made the way copies are made
ORIGINALS = [
    "一、工作进展：我区已完成全区中小学880册图书的采购与编目，组织召开推进会3次，建立了问题清单和责任清单。"
    "二、存在问题：部分学校图书馆场地不足。三、下一步打算：6月底前完成数字化借阅系统上线。",
    "按照市委督查室要求，我局成立了由局长任组长的工作专班，明确分管领导和责任科室，"
    "制定了《城区排水管网改造实施方案》，目前已完成老旧管网排查12.6公里，改造3.2公里，完成年度计划的45%。",
    "本季度共开展食品安全专项检查46次，出动执法人员210人次，检查经营主体380家，"
    "责令整改问题23个，立案查处5起，罚没款2.3万元，群众投诉办结率100%。",
    "东湖镇结合“千村示范”工程，完成8个行政村人居环境整治，新建公厕12座，改造农户旱厕260户，"
    "生活垃圾分类覆盖率达到85%，正在推进污水管网向自然村延伸。",
]


def copies(text: str) -> list[str]:
    """A straight copy, one re-punctuated and re-spaced, one with a figure and a date changed, one
    with a closing line added."""
    return [
        text,
        text.replace("，", ",").replace("。", "；\n").replace("：", ": "),
        text.replace("3", "4").replace("6月", "7月").replace("12", "15"),
        text + "下一步将继续抓好落实。",
    ]


#: the same work reported in a unit's own words: alike in subject, not in text
REWRITES = [
    "图书采购编目已经全部完成，共880册；推进会开了三次。问题是有的学校没有地方放书，我们准备6月前把数字借阅上线。",
    "城区排水管网改造：已排查老旧管网12.6公里并改造3.2公里（年度计划45%），局里成立专班，局长任组长，方案已印发。",
    "食品安全检查情况：检查46次，检查主体380家，发现问题23个均已整改，立案5起，罚没2.3万元，投诉全部办结。",
    "人居环境整治方面，东湖镇已有8个村完成整治，建成公厕12座、改厕260户，垃圾分类覆盖85%，污水管网正在向自然村延伸。",
]


@pytest.mark.parametrize("original", ORIGINALS)
def test_copies_reach_the_threshold(original):
    for copy in copies(original):
        assert quality.text_similarity(copy, original) >= quality.THRESHOLD, copy


@pytest.mark.parametrize("original,rewrite", list(zip(ORIGINALS, REWRITES, strict=True)))
def test_reports_in_a_units_own_words_stay_below_it(original, rewrite):
    assert quality.text_similarity(rewrite, original) < quality.THRESHOLD


def test_different_reports_of_the_corpus_are_far_apart():
    for i, a in enumerate(ORIGINALS):
        for b in ORIGINALS[i + 1:]:
            assert quality.text_similarity(a, b) < 0.5


def test_short_texts_are_never_flagged():
    assert quality.text_similarity("已完成。", "已完成。") == 0.0
    assert quality.text_similarity("按计划推进中，无新情况。", "按计划推进中，无新情况。") == 0.0


def test_the_length_guard_is_exact():
    """A text at the guard's ratio can still reach 90%; one just under it cannot and is skipped."""
    base = "甲" * 100
    assert quality.text_similarity(base, base[:82]) >= quality.THRESHOLD
    assert quality.text_similarity(base, base[:81]) == 0.0


def test_best_match_picks_the_closest_copy():
    text = quality.Text.of("new", ORIGINALS[0])
    candidates = [quality.Text.of(i, t) for i, t in enumerate([ORIGINALS[1], copies(ORIGINALS[0])[3],
                                                                 ORIGINALS[0]])]
    match, score = quality.best_match(text, candidates)
    assert match.key == 2 and score == 1.0
    assert quality.best_match(text, candidates[:1]) is None


@pytest.mark.parametrize("written,key", [
    ("2026 上半年", "2026-H1"), ("2026年上半年", "2026-H1"), ("2026-H2", "2026-H2"), ("2026年下半年", "2026-H2"),
    ("2026年第一季度", "2026-Q1"), ("2026年3季度", "2026-Q3"), ("2026-Q4", "2026-Q4"),
    ("2026年3月", "2026-03"), ("2026.03", "2026-03"), ("2026/12", "2026-12"), ("2026-W05", "2026-W05"),
    ("2026年", "2026"), ("2026年度", "2026"), ("2026", "2026"),
    ("", None), (None, None), ("上半年", None), ("2026-13", None), ("2026年第五季度", None), ("2026-W60", None),
    ("会议纪要", None),
])
def test_stated_periods_are_read_as_period_keys(written, key):
    assert quality.period_key_of(written) == key


def test_key_bounds_follow_tracker_periods():
    assert quality.key_bounds("2026-H1") == (date(2026, 1, 1), date(2026, 6, 30))
    assert quality.key_bounds("2026-Q3") == (date(2026, 7, 1), date(2026, 9, 30))
    assert quality.key_bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert quality.key_bounds("2026-W53") == (date(2026, 12, 28), date(2027, 1, 3))
    assert quality.key_bounds("nonsense") is None


class _Evidence:
    def __init__(self, proves=None, period_key=None):
        self.proves = proves
        if period_key is not None:
            self.period_key = period_key


def test_one_function_reads_a_period_key_or_the_free_text():
    assert quality.evidence_period_key(_Evidence(proves="2026 上半年")) == "2026-H1"
    # after the conversion to a period key, the key is what counts
    assert quality.evidence_period_key(_Evidence(proves="随便写的", period_key="2026-Q2")) == "2026-Q2"
    assert quality.evidence_period_key(_Evidence()) is None


def test_outside_means_no_overlap():
    window = (date(2026, 3, 2), date(2026, 6, 30))
    assert quality.outside("2025-H2", window)
    assert quality.outside("2026-07", window)
    assert not quality.outside("2026-Q1", window)
    assert not quality.outside("2026", window)
    assert not quality.outside(None, window)
