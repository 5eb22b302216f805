"""The task tally: task counts kept per plan, unit and day, so the dashboard sums a small table."""
