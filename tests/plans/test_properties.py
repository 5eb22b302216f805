"""Round trip: a random outline, rendered as a hard-wrapped plan, parses back to the same tree.

Each level uses its own numbering style throughout the document (as real plans
do), the text is Chinese from a small alphabet ending with 。, and the whole
document is wrapped at one random width (a typesetter's or a copy's width) that
may cut anywhere in the text but never inside a number; page numbers may fall
between any two lines.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.plans import parse_text
from tracker.plans.outline import Item

CN = "零一二三四五六七八九十"


def cn(n: int) -> str:
    if n < 10:
        return CN[n]
    return "十" + (CN[n - 10] if n > 10 else "")


#: style → (marker as typed, number as the parser reports it)
STYLES = {
    "cn_dun": (lambda n: f"{cn(n)}、", lambda n: cn(n)),
    "cn_dot": (lambda n: f"{cn(n)}．", lambda n: cn(n)),
    "cn_paren": (lambda n: f"（{cn(n)}）", lambda n: f"（{cn(n)}）"),
    "cn_paren_half": (lambda n: f"({cn(n)})", lambda n: f"({cn(n)})"),
    "arabic_dun": (lambda n: f"{n}、", lambda n: str(n)),
    "arabic_dot": (lambda n: f"{n}.", lambda n: str(n)),
    "arabic_dot_full": (lambda n: f"{n}．", lambda n: str(n)),
    "arabic_paren": (lambda n: f"（{n}）", lambda n: f"（{n}）"),
    "arabic_paren_half": (lambda n: f"({n})", lambda n: f"({n})"),
    "arabic_rparen": (lambda n: f"{n}）", lambda n: f"{n}）"),
    "circled": (lambda n: chr(0x2460 + n - 1), lambda n: chr(0x2460 + n - 1)),
    "di_chapter": (lambda n: f"第{cn(n)}章 ", lambda n: f"第{cn(n)}章"),
    "di_article": (lambda n: f"第{cn(n)}条 ", lambda n: f"第{cn(n)}条"),
    "di_part": (lambda n: f"第{cn(n)}部分 ", lambda n: f"第{cn(n)}部分"),
    "latin_upper": (lambda n: f"{chr(64 + n)}. ", lambda n: chr(64 + n)),
    "latin_lower_paren": (lambda n: f"（{chr(96 + n)}）", lambda n: f"（{chr(96 + n)}）"),
}
# half- and full-width forms of one style are one style to the parser: never two levels
FAMILY = {"cn_paren_half": "cn_paren", "arabic_dot_full": "arabic_dot", "arabic_paren_half": "arabic_paren"}

VARIANTS: dict[str, list[str]] = {}
for _style in sorted(STYLES):
    VARIANTS.setdefault(FAMILY.get(_style, _style), []).append(_style)

ALPHABET = "加强管理推进落实完善服务建设提升优化创新协调保障监督组织培训宣传检查考核"

texts = st.text(alphabet=ALPHABET, min_size=1, max_size=30).map(lambda s: s + "。")


@st.composite
def outlines(draw: st.DrawFn) -> tuple[list[str], list[tuple[int, int, str]]]:
    """(style per level, items as (level, number value, text) in document order)."""
    depth = draw(st.integers(1, 4))
    families = draw(st.permutations(sorted(set(FAMILY.get(s, s) for s in STYLES))))[:depth]
    styles = [draw(st.sampled_from(VARIANTS[family])) for family in families]
    rows: list[tuple[int, int, str]] = []

    def children(level: int, budget: int) -> None:
        count = draw(st.integers(1 if level == 1 else 0, 4))
        for n in range(1, count + 1):
            if len(rows) >= budget:
                return
            rows.append((level, n, draw(texts)))
            if level < depth:
                children(level + 1, budget)

    children(1, 20)
    return styles, rows


def render(styles: list[str], rows: list[tuple[int, int, str]], width: int, blank: bool,
           page_breaks: list[int]) -> str:
    lines: list[str] = []
    for level, n, text in rows:
        marker = STYLES[styles[level - 1]][0](n)
        paragraph = marker + text
        start = 0
        while len(paragraph) - start > width:
            cut = max(start + width, len(marker) if start == 0 else 0)  # never inside the number
            lines.append(paragraph[start:cut])
            start = cut
        lines.append(paragraph[start:])
        if blank:
            lines.append("")
    for k, at in enumerate(sorted(page_breaks, reverse=True)):
        if 0 < at < len(lines):
            lines[at:at] = ["", f"- {len(page_breaks) - k} -", ""]
    return "\n".join(lines) + "\n"


def parsed_rows(items: list[Item]) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    for item in items:
        out.append((item.level, item.number, item.text))
        out.extend(parsed_rows(item.children))
    return out


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    outline=outlines(),
    width=st.integers(6, 40),
    blank=st.booleans(),
    page_breaks=st.lists(st.integers(1, 200), max_size=3),
)
def test_round_trip(outline: tuple[list[str], list[tuple[int, int, str]]], width: int, blank: bool,
                    page_breaks: list[int]) -> None:
    styles, rows = outline
    text = render(styles, rows, width, blank, page_breaks)
    parsed = parse_text(text)
    assert len(parsed.plans) == 1, text
    expected = [(level, STYLES[styles[level - 1]][1](n), body) for level, n, body in rows]
    assert parsed_rows(parsed.plans[0].items) == expected, text
