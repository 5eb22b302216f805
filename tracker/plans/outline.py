"""The outline a plan parses into: plans → items → children.

Plain slotted classes, no Flask: the parser, the readers, the CLI and the app all
share this shape, and ``to_dict`` emits the corpus outline format
(see tests/data/README.md).
"""

from __future__ import annotations

import json
from datetime import date

from .slotted import factory, slotted

TYPE_CHECKING = False  # not typing's: the CLI's start is mostly imports
if TYPE_CHECKING:
    from typing import Any


@slotted
class Item:
    """One numbered item of a plan: a section, a measure or a sub-measure."""

    number: str
    text: str
    level: int = 1
    children: list[Item] = factory(list)
    inline: bool = False
    #: key of the numbering style the item was written in, e.g. "cn_dun" for 一、
    style: str = ""
    #: 0-based indexes of the source lines the item spans (for highlighting)
    start_line: int | None = None
    end_line: int | None = None
    # suggestions for assignment, found in the item's own text
    lead_units: list[str] = factory(list)
    units: list[str] = factory(list)
    support_units: list[str] = factory(list)
    #: people named as 责任领导 / 分管领导 (never units)
    leaders: list[str] = factory(list)
    deadline: date | None = None
    deadline_text: str | None = None
    period: str | None = None
    quantities: list[str] = factory(list)
    #: the unnumbered paragraphs that follow the item's own text (its explanation)
    body: str = ""
    #: how sure the parser is that this is an item with these suggestions (1.0: as written)
    confidence: float = 1.0
    #: what to check first: "item" and/or the suggestion keys the parser is unsure of
    doubtful: list[str] = factory(list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"number": self.number, "level": self.level, "text": self.text}
        if self.inline:
            out["inline"] = True
        for key in ("lead_units", "units", "support_units", "leaders", "quantities"):
            value = getattr(self, key)
            if value:
                out[key] = list(value)
        if self.deadline is not None:
            out["deadline"] = self.deadline.isoformat()
        if self.deadline_text:
            out["deadline_text"] = self.deadline_text
        if self.period:
            out["period"] = self.period
        if self.body:
            out["body"] = self.body
        if self.confidence < 1.0:
            out["confidence"] = round(self.confidence, 2)
        if self.doubtful:
            out["doubtful"] = list(self.doubtful)
        if self.start_line is not None:
            out["lines"] = [self.start_line, self.end_line]
        out["children"] = [child.to_dict() for child in self.children]
        return out

    def walk(self):
        """Yield this item and all its descendants in document order."""
        yield self
        for child in self.children:
            yield from child.walk()


@slotted
class Heading:
    """An unnumbered heading (【2011年工作思路】, 总体思路:): kept, but not a measure."""

    text: str
    line: int | None = None


@slotted
class PlanOutline:
    """One plan of a document, with what was found about it."""

    title: str
    items: list[Item] = factory(list)
    headings: list[Heading] = factory(list)
    date: date | None = None
    doc_number: str | None = None  # 文号, e.g. 京政办发〔2024〕3号
    issuer: str | None = None
    start_line: int | None = None
    end_line: int | None = None

    def walk(self):
        for item in self.items:
            yield from item.walk()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title}
        if self.date is not None:
            out["date"] = self.date.isoformat()
        if self.doc_number:
            out["doc_number"] = self.doc_number
        if self.issuer:
            out["issuer"] = self.issuer
        if self.headings:
            out["headings"] = [{"text": h.text, "line": h.line} for h in self.headings]
        out["items"] = [item.to_dict() for item in self.items]
        return out


@slotted
class Outline:
    """Everything parsed from one source: usually one plan, sometimes several."""

    plans: list[PlanOutline] = factory(list)

    def to_dict(self) -> dict[str, Any]:
        return {"plans": [plan.to_dict() for plan in self.plans]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def item_count(self) -> int:
        return sum(1 for plan in self.plans for _ in plan.walk())
