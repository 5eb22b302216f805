"""Who may do what: pure predicates, and decorators for views built on them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from tracker.auth.models import Role


class PermissionDenied(Exception):
    """A service refused an action for this user; views turn it into 403."""


def roles_required(*roles: Role) -> Callable:
    """Allow a view only to signed-in users with one of these roles."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = roles_required(Role.admin)
supervisor_required = roles_required(Role.supervisor, Role.admin)
staff_required = roles_required(Role.supervisor, Role.admin, Role.viewer)


def require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied
