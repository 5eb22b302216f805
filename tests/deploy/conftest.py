"""Fixtures for the tests that run the app as processes: the process group, an SMTP server."""

import pytest

from tests.deploy.procs import free_port, processes
from tests.notify.conftest import SMTPServer

__all__ = ["processes"]


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    server = SMTPServer(free_port())
    server.start()
    yield server
    server.stop()
