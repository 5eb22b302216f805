"""The home page: each role lands where its work is."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from tracker.auth.models import Role

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    targets = {
        Role.unit_lead: "tasks.my_tasks",
        Role.unit_member: "tasks.my_tasks",
        Role.supervisor: "reports.dashboard",
        Role.viewer: "reports.dashboard",
        Role.admin: "reports.dashboard",
    }
    return redirect(url_for(targets[current_user.role]))


@bp.route("/healthz")
def healthz():
    """A trivial endpoint for load balancers and benchmarks."""
    return {"status": "ok"}
