"""Who may see and touch a plan: the plan names of the rules in ``tracker.access``."""

from __future__ import annotations

from tracker import access

can_view_plan = access.can_see_plan
can_import = access.may_import_plans
can_edit = access.may_edit_plan
can_assign = access.may_assign
can_view_plan_tasks = access.can_see_plan_tasks
visible_plans = access.visible_plans
