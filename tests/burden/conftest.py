"""The task fixtures (a plan supervised by people.supervisor, assign, upload) for the burden tests."""

from tests.tasks.conftest import PDF, PNG, assign, measures, plan, task, upload  # noqa: F401
