"""Plans: reading a written work plan (工作计划/实施方案/工作要点) into an outline of measures.

Pure Python, no Flask: the app, the CLI (``python -m tracker.plans FILE``) and the
tests all call the same three functions.
"""

from __future__ import annotations

import datetime as _dt

from . import readers
from .errors import PlanInputError
from .outline import Heading, Item, Outline, PlanOutline
from .parser import no_cycle_collection, parse_blocks, parse_text

TYPE_CHECKING = False  # not typing's: the CLI's start is mostly imports
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Heading",
    "Item",
    "Outline",
    "PlanInputError",
    "PlanOutline",
    "parse_blocks",
    "parse_document",
    "parse_text",
]


def parse_document(data: bytes, filename: str, *, plan_date: _dt.date | None = None,
                   default_title: str = "", **read_options: Any) -> Outline:
    """Read an uploaded file (.txt, .md, .docx, .xlsx) and parse it; errors are PlanInputError."""
    if not filename.lower().endswith((".docx", ".xlsx")):
        # text: the tables found in it make no reference cycles, like the parse (Word and Excel
        # files are read with the collector on, their libraries' trees may hold cycles)
        with no_cycle_collection():
            blocks = readers.read_document(data, filename, **read_options)
    else:
        blocks = readers.read_document(data, filename, **read_options)
    return parse_blocks(blocks, plan_date=plan_date, default_title=default_title)
