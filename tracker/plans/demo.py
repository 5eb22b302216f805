"""Demo plans: the seed work plans imported as a supervisor would, so a first start has something to assign."""

from __future__ import annotations

import os
from datetime import datetime

from tracker.auth.models import User
from tracker.plans import queries, services
from tracker.plans.models import Plan, PlanState

SEED_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo_data", "seed-work-plans.txt")


def load_seed_plans(supervisor: User, *, now: datetime) -> list[Plan]:
    """Import the seed file through the same services as the import page, and activate the plans."""
    with open(SEED_FILE, "rb") as handle:
        data = handle.read()
    filename = os.path.basename(SEED_FILE)
    outline = queries.preview(data, filename, None)
    source_text = "\n".join(queries.source_lines(data, filename, None))
    plans = services.save_outline(queries.outline_to_edit(outline), source_text=source_text,
                                  source_file=(data, filename), actor=supervisor, now=now)
    for plan in plans:
        services.set_state(plan, PlanState.active, actor=supervisor, now=now)
    return plans
