"""The rules form: one row per registered kind (on or off, its parameters, its cap), read by hand
because the kinds are data. A posted kind that is not registered is passed on, so the check refuses
it by name (a forbidden kind with the reason) instead of dropping it silently."""

from __future__ import annotations

from typing import Any

from tracker.scoring.rules import KINDS

PREFIX = "rule-"


def rules_from_form(form: Any) -> tuple[str, list[dict[str, Any]], str]:
    """(base, rules, note) as posted; the values stay text for ``check_rules`` to judge."""
    rules: list[dict[str, Any]] = []
    for key, kind in KINDS.items():
        if not form.get(f"{PREFIX}{key}-on"):
            continue
        rule: dict[str, Any] = {"kind": key}
        for param in kind.params:
            rule[param.name] = form.get(f"{PREFIX}{key}-{param.name}", "")
        rules.append(rule)
    for name in form:
        if name.startswith(PREFIX):
            kind_name = name[len(PREFIX):].rsplit("-", 1)[0]
            if kind_name and kind_name not in KINDS and not any(r["kind"] == kind_name for r in rules):
                rules.append({"kind": kind_name})
    return form.get("base", ""), rules, form.get("note", "")


def form_values(rules: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The rules by kind, for filling the form (a kind not in the rules is shown off, with defaults)."""
    by_kind = {r["kind"]: r for r in rules}
    values: dict[str, dict[str, Any]] = {}
    for key, kind in KINDS.items():
        rule = by_kind.get(key)
        values[key] = {"on": rule is not None}
        for param in kind.params:
            value = rule.get(param.name) if rule is not None else param.default
            values[key][param.name] = "" if value is None else (f"{value:g}" if isinstance(value, float) else value)
    return values


def posted_values(form: Any) -> dict[str, dict[str, Any]]:
    """The form as posted, to show it again after a refusal or beside a what-if ranking."""
    values: dict[str, dict[str, Any]] = {}
    for key, kind in KINDS.items():
        values[key] = {"on": bool(form.get(f"{PREFIX}{key}-on"))}
        for param in kind.params:
            values[key][param.name] = form.get(f"{PREFIX}{key}-{param.name}", "")
    return values
