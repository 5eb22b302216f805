"""The home page: each role lands where its work is."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from tracker import access

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    return redirect(url_for(access.home_endpoint(current_user)))


@bp.route("/healthz")
def healthz():
    """A trivial endpoint for load balancers and benchmarks."""
    return {"status": "ok"}
