"""The unit every reader emits: a line, a paragraph or a task-table row."""

from __future__ import annotations

from ..slotted import slotted


@slotted
class Block:
    """One line or paragraph of a source, or one row of a task table."""

    text: str
    heading_level: int | None = None  # from Word Heading 1..9 / Markdown #
    row: dict | None = None  # a task-table row: number, text, lead_units, units, support_units, deadline_text
    #: Word numbers this paragraph itself (automatic numbering): its number is certain, whatever its value
    numbered: bool = False
    #: the source line this block came from, where blocks and lines are not one to one
    line: int | None = None
    #: a table's caption (2016年民生实事目标任务分解表): the title of the plan the table is
    title: bool = False
