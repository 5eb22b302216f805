"""``flask backup DIR`` and ``flask restore DIR``."""

from flask import Flask


def register(app: Flask) -> None:
    pass
