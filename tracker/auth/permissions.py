"""Decorators for views, over the rules of ``tracker.access``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from tracker import access
from tracker.errors import PermissionDenied

__all__ = ["PermissionDenied", "admin_required", "require", "requires", "staff_required", "supervisor_required",
           "unit_people_required"]


def requires(rule: Callable[[Any], bool]) -> Callable:
    """Allow a view only to signed-in users for whom ``rule(user)`` holds (else 403)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any):
            if not rule(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = requires(access.may_manage)
supervisor_required = requires(access.may_supervise)
staff_required = requires(access.is_staff)
unit_people_required = requires(access.is_unit_person)


def require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied
