"""``python -m tracker.plans FILE``: print a plan's outline (JSON, or ``--text`` for people).

``-`` reads the plan text from standard input. A file that cannot be imported
prints the reason on standard error and exits with status 2.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
from collections.abc import Sequence

from . import parse_document, parse_text
from .errors import PlanInputError
from .outline import Item, Outline


def render_text(outline: Outline) -> str:
    """An indented view: one line per item, as a supervisor would read the plan."""
    out: list[str] = []

    def walk(items: list[Item]) -> None:
        for item in items:
            flags = " [inline]" if item.inline else ""
            out.append(f"{'  ' * (item.level - 1)}{item.number} {item.text}{flags}")
            walk(item.children)

    for k, plan in enumerate(outline.plans):
        if k:
            out.append("")
        head = f"# {plan.title or '(untitled)'}"
        extra = [v for v in (plan.doc_number, plan.issuer, plan.date and plan.date.isoformat()) if v]
        if extra:
            head += "  (" + ", ".join(extra) + ")"
        out.append(head)
        walk(plan.items)
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tracker.plans", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", help="plan file (.txt .md .docx .xlsx), or - for text on stdin")
    ap.add_argument("--text", action="store_true", help="print an indented outline instead of JSON")
    ap.add_argument("--date", type=_dt.date.fromisoformat, help="plan date when the document states none")
    ap.add_argument("--title", default="", help="title for a plan whose document has none")
    args = ap.parse_args(argv)
    try:
        if args.file == "-":
            outline = parse_text(sys.stdin.read(), plan_date=args.date, default_title=args.title)
        else:
            try:
                with open(args.file, "rb") as file:
                    data = file.read()
            except OSError as exc:
                print(f"{args.file}: {exc.strerror or exc}", file=sys.stderr)
                return 2
            # os.path, not pathlib: the CLI's start-up time is mostly imports
            name = os.path.basename(args.file)
            outline = parse_document(data, name, plan_date=args.date,
                                     default_title=args.title or os.path.splitext(name)[0])
    except PlanInputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(render_text(outline) if args.text else outline.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
