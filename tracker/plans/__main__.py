"""``python -m tracker.plans FILE``: print a plan's outline (JSON, or ``--text`` for people).

``-`` reads the plan text from standard input. A file that cannot be imported
prints the reason on standard error and exits with status 2.
"""

from __future__ import annotations

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


USAGE = "usage: python -m tracker.plans [-h] [--text] [--date DATE] [--title TITLE] file"

HELP = f"""{USAGE}

{__doc__.strip()}

arguments:
  file           plan file (.txt .md .docx .xlsx), or - for text on stdin
  -h, --help     show this help message and exit
  --text         print an indented outline instead of JSON
  --date DATE    plan date (YYYY-MM-DD) when the document states none
  --title TITLE  title for a plan whose document has none
"""


class _Arguments:
    """What the command line asked for."""

    __slots__ = ("date", "file", "text", "title")

    def __init__(self) -> None:
        self.file: str | None = None
        self.text = False
        self.date: _dt.date | None = None
        self.title = ""


class _UsageError(Exception):
    pass


def parse_arguments(argv: Sequence[str]) -> _Arguments | None:
    """Read the options by hand: argparse and what it loads would be a tenth of the CLI's start.

    Returns None when --help was asked for (the help is printed); a mistake raises _UsageError."""
    args = _Arguments()
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in ("-h", "--help"):
            print(HELP, end="")
            return None
        if name == "--text" and not eq:
            args.text = True
        elif name in ("--date", "--title"):
            if not eq and not rest:
                raise _UsageError(f"argument {name}: expected one argument")
            value = inline if eq else rest.pop(0)
            if name == "--title":
                args.title = value
            else:
                try:
                    args.date = _dt.date.fromisoformat(value)
                except ValueError:
                    raise _UsageError(f"argument --date: invalid date: {value!r}") from None
        elif arg == "--":
            rest, extra = [], rest
            for value in extra:
                if args.file is not None:
                    raise _UsageError(f"unrecognized arguments: {value}")
                args.file = value
        elif arg.startswith("-") and arg != "-":
            raise _UsageError(f"unrecognized arguments: {arg}")
        elif args.file is None:
            args.file = arg
        else:
            raise _UsageError(f"unrecognized arguments: {arg}")
    if args.file is None:
        raise _UsageError("the following arguments are required: file")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse_arguments(sys.argv[1:] if argv is None else argv)
    except _UsageError as exc:
        print(f"{USAGE}\npython -m tracker.plans: error: {exc}", file=sys.stderr)
        return 2
    if args is None:
        return 0
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
