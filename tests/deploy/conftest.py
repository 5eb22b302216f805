"""Fixtures for the tests that run the app as processes."""

from tests.deploy.procs import processes

__all__ = ["processes"]
