"""The application factory. It binds extensions and blueprints, and starts nothing."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask

import config as config_module
from tracker import cli, errors, i18n, security, web
from tracker.api import views as api_views
from tracker.auditlog import views as audit_views
from tracker.auth import admin_views as admin_user_views
from tracker.auth import views as auth_views
from tracker.burden import views as burden_views
from tracker.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from tracker.links import views as link_views
from tracker.main import views as main_views
from tracker.notices import views as notice_views
from tracker.notify import views as notify_views
from tracker.plans import views as plan_views
from tracker.reports import views as report_views
from tracker.scoring import views as scoring_views
from tracker.tasks import views as task_views
from tracker.units import views as unit_views


def create_app(config: Any = None) -> Flask:
    """Build the app.

    :param config: a config class, a mapping of overrides (applied on top of the
        class chosen by ``TRACKER_CONFIG``), or None.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    mapping = {} if config is None or isinstance(config, type) else dict(config)
    instance_path = (mapping.pop("INSTANCE_PATH", None) or os.environ.get("TRACKER_INSTANCE_PATH")
                     or os.path.join(root, "instance"))
    app = Flask(
        "tracker",
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "tracker", "static"),
    )

    overrides: dict[str, Any] = mapping
    if isinstance(config, type):
        config_class = config
    else:
        name = overrides.pop("CONFIG", None) or os.environ.get("TRACKER_CONFIG", "development")
        config_class = config_module.CONFIGS.get(name, config_module.DevelopmentConfig)
    app.config.from_object(config_class)
    if not app.config.get("TESTING"):
        app.config.from_pyfile("tracker.cfg", silent=True)
    app.config.update(overrides)
    _fill_defaults(app)
    check = getattr(config_class, "check", None)
    if check is not None:
        check(app.config)

    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        # the client's address (sign-in limits, history) and scheme come from the proxy's headers
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    register_extensions(app)
    register_blueprints(app)
    errors.register(app)
    security.register(app)
    web.register(app)
    cli.register(app)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app


def _fill_defaults(app: Flask) -> None:
    """Paths that default into the instance folder."""
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "tracker.sqlite")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://" + uri[len("postgres://"):]
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = os.path.join(app.instance_path, "evidence")
    if not app.config.get("PLAN_SOURCE_FOLDER"):
        app.config["PLAN_SOURCE_FOLDER"] = os.path.join(app.instance_path, "plans")
    # generated 督办单 files: outbox attachments name them relative to the instance folder
    app.config["NOTICE_FOLDER"] = os.path.join(app.instance_path, "notices")
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config.get("TIMEZONE") or "Asia/Shanghai"


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    import tracker.models  # noqa: F401  (complete metadata for migrations)
    from tracker.tally import services as tally_services

    tally_services.install()  # every task change moves the dashboard's counts in its own transaction

    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=os.path.join(app.root_path, "translations"),
    )
    from tracker.db import enable_sqlite_pragmas

    with app.app_context():
        enable_sqlite_pragmas(db.engine)


def register_blueprints(app: Flask) -> None:
    for module in (main_views, auth_views, admin_user_views, unit_views, plan_views, task_views, notify_views,
                   notice_views, report_views, scoring_views, api_views, audit_views, link_views,
                   burden_views):
        app.register_blueprint(module.bp)
    # the API's docs and token pages, and its CSRF exemption (bearer tokens are not ambient)
    app.register_blueprint(admin_user_views.imports_bp)
    app.register_blueprint(link_views.settings_bp)
    api_views.register(app)
    # the session rules of 等保 (idle timeout, forced password change, second factor) and their page helper
    auth_views.register(app)
