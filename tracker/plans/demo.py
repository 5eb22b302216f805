"""Demo plans: the seed work plans imported as a supervisor would, so a first start has something to assign."""

from __future__ import annotations

import os
from datetime import datetime

from tracker.auth.models import User
from tracker.plans import services
from tracker.plans.models import Plan

SEED_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo_data", "seed-work-plans.txt")


def load_seed_plans(supervisor: User, *, now: datetime) -> list[Plan]:
    """Import the seed file through the import service the page uses, and activate the plans."""
    with open(SEED_FILE, "rb") as handle:
        data = handle.read()
    return services.import_plan(source_file=(data, os.path.basename(SEED_FILE)), activate=True,
                                actor=supervisor, now=now)
