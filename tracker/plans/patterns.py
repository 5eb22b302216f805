"""Regular expressions compiled on first use.

The parser's modules define about a hundred patterns, most with classes of Chinese characters,
which Python's ``re`` is slow to compile (a few tenths of a millisecond each); a run over a
short text meets fewer than half of them. ``lazy`` returns a stand-in that compiles its pattern
the first time one of its attributes is read and then holds the compiled pattern's methods, so
later calls cost what a compiled pattern's do.
"""

from __future__ import annotations

import re

#: what the parser reads from a pattern; all of them are copied over at the first use
_ATTRIBUTES = ("match", "search", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner",
               "pattern", "flags", "groups", "groupindex")


class _LazyPattern:
    """A pattern's source until it is first used, then the compiled pattern's bound methods."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> object:
        # only reached for an attribute the instance does not hold yet, so once per pattern
        if name.startswith("__") or name == "_source":
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for attribute in _ATTRIBUTES:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy({self._source[0]!r})"


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, done when the pattern is first used rather than at import."""
    return _LazyPattern(pattern, flags)  # type: ignore[return-value]
