"""``slotted``: the few parts of ``dataclasses`` the parser's value classes use, without its import.

``dataclasses`` loads ``inspect`` (and with it ``ast``, ``dis``, ``tokenize``), a fifth of the
plan CLI's start. A slotted class lists its fields as annotations, as a dataclass does; the
decorator gives it ``__slots__``, an ``__init__`` taking the fields in order (a default from the
class body, or ``factory(list)`` for a fresh list or dict per instance), field-by-field equality
and a ``__repr__``. ``frozen=True`` also makes instances hashable, like a frozen dataclass (the
fields are not guarded against assignment).
"""

from __future__ import annotations

_NO_DEFAULT = object()


class factory:  # noqa: N801 - reads like dataclasses.field(default_factory=...)
    """A default built anew for each instance: ``children: list[Item] = factory(list)``."""

    __slots__ = ("make",)

    def __init__(self, make: type) -> None:
        self.make = make


def _eq(self: object, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)


def _hash(self: object) -> int:
    return hash(tuple(getattr(self, name) for name in self.__slots__))


def _repr(self: object) -> str:
    fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
    return f"{self.__class__.__qualname__}({fields})"


def slotted(cls: type | None = None, *, frozen: bool = False):  # noqa: ANN201 - a decorator
    """Make ``cls`` a slotted value class from its annotated fields (see the module's docstring)."""

    def wrap(cls: type) -> type:
        names = list(cls.__dict__.get("__annotations__", {}))
        body = {key: value for key, value in cls.__dict__.items() if key not in names and key != "__dict__"}
        body.pop("__weakref__", None)
        defaults = {name: cls.__dict__.get(name, _NO_DEFAULT) for name in names}
        params, lines, scope = [], [], {"_missing": _NO_DEFAULT}
        for name in names:
            default = defaults[name]
            if default is _NO_DEFAULT:
                params.append(name)
                lines.append(f"self.{name} = {name}")
            elif isinstance(default, factory):
                scope[f"_make_{name}"] = default.make
                params.append(f"{name}=_missing")
                lines.append(f"self.{name} = _make_{name}() if {name} is _missing else {name}")
            else:
                scope[f"_default_{name}"] = default
                params.append(f"{name}=_default_{name}")
                lines.append(f"self.{name} = {name}")
        source = f"def __init__(self, {', '.join(params)}):\n    " + "\n    ".join(lines or ["pass"])
        exec(source, scope)  # noqa: S102 - the source is built from the class's own field names
        init = scope["__init__"]
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        body.update(__slots__=tuple(names), __init__=init, __eq__=_eq, __repr__=_repr,
                    __hash__=_hash if frozen else None, __match_args__=tuple(names))
        return type(cls)(cls.__name__, cls.__bases__, body)

    return wrap if cls is None else wrap(cls)
