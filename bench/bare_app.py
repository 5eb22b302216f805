"""The baseline of bench_pages.py: a bare Flask app, served by gunicorn the same way as the tracker."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def index() -> str:
    return "ok"
