"""The mail and task fixtures of the notify tests, shared."""

from tests.notify.conftest import mail_config, make_task, smtp, smtp_port  # noqa: F401
