"""Who may see and touch a task: the task names of the rules in ``tracker.access``."""

from __future__ import annotations

from tracker import access

can_view_task = access.can_see_task
can_work_on = access.may_work_on
can_lead = access.may_lead
can_review = access.may_review
can_assign = access.may_assign
can_view_plan_tasks = access.can_see_plan_tasks
visible_condition = access.task_condition
visible_tasks = access.visible_tasks
