"""Configuration classes; every value can come from a ``TRACKER_*`` environment variable.

``create_app`` picks the class named by ``TRACKER_CONFIG`` (development, production,
testing), then applies ``instance/tracker.cfg`` when present, for per-install overrides.
"""

from __future__ import annotations

import os


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"TRACKER_{name}", default)


def env_int(name: str, default: int) -> int:
    value = env(name)
    return int(value) if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in (env(name) or default).split(",") if part.strip()]


class Config:
    """Defaults for every environment: the embedded setup (SQLite, files and mail in instance/)."""

    SECRET_KEY = env("SECRET_KEY")
    # None means "tracker.sqlite in the instance folder"; set by create_app
    SQLALCHEMY_DATABASE_URI = env("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # None means "instance/evidence"
    UPLOAD_FOLDER = env("UPLOAD_FOLDER")
    TIMEZONE = env("TIMEZONE", "Asia/Shanghai")
    #: links in messages start with this; unset: the address the app is served at (SERVED_URL, set by
    #: ``make run``), else the request's
    BASE_URL = env("BASE_URL")
    SERVED_URL = env("SERVED_URL")
    ORGANISATION_NAME = env("ORGANISATION_NAME", "督查督办室")

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = ["zh_CN", "en"]

    # Flask-Mail; no MAIL_SERVER means mail stays in the outbox
    MAIL_SERVER = env("MAIL_SERVER")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = env("MAIL_USERNAME")
    MAIL_PASSWORD = env("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = env("MAIL_DEFAULT_SENDER", "duban@localhost")
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 30)

    # Flask-Limiter: memory by default, e.g. redis://127.0.0.1:6379/0 past one process
    RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    #: keeps two installs (or test runs) apart on one Redis
    RATELIMIT_KEY_PREFIX = env("RATELIMIT_KEY_PREFIX", "duban")
    LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "10 per minute")
    #: per API token
    API_RATE_LIMIT = env("API_RATE_LIMIT", "300 per minute")

    # uploads
    MAX_CONTENT_LENGTH = env_int("MAX_UPLOAD_MB", 200) * 1024 * 1024
    EVIDENCE_MAX_MB = env_int("EVIDENCE_MAX_MB", 50)
    EVIDENCE_EXTENSIONS = env_list(
        "EVIDENCE_EXTENSIONS", "pdf,doc,docx,xls,xlsx,wps,et,ofd,jpg,jpeg,png,zip"
    )
    PLAN_MAX_MB = env_int("PLAN_MAX_MB", 20)
    #: a units or users file (.xlsx/.csv) for the bulk import
    IMPORT_MAX_MB = env_int("IMPORT_MAX_MB", 20)
    #: e.g. /_protected/evidence/: evidence is sent by nginx (X-Accel-Redirect) after the app's check
    ACCEL_REDIRECT_PREFIX = env("ACCEL_REDIRECT_PREFIX")

    # who sees what (tracker/access.py): whether a supervisor sees, edits, assigns and reviews the
    # plans that have no supervisor (imported by an admin, or whose supervisor's account was removed)
    SUPERVISORS_SEE_UNSUPERVISED_PLANS = env_bool("SUPERVISORS_SEE_UNSUPERVISED_PLANS", False)

    # status lights and reminders
    WARNING_DAYS = env_int("WARNING_DAYS", 7)
    REMINDER_OFFSETS = [int(x) for x in env_list("REMINDER_OFFSETS", "7,3,1,0")]
    OVERDUE_CHASE_DAYS = env_int("OVERDUE_CHASE_DAYS", 3)
    ESCALATE_AFTER_DAYS = env_int("ESCALATE_AFTER_DAYS", 7)
    WORKING_DAYS = env_bool("WORKING_DAYS", False)
    NOTICE_SCHEDULE = env("NOTICE_SCHEDULE", "01-01 09:00,07-01 09:00")
    REMINDER_SWEEP_TIME = env("REMINDER_SWEEP_TIME", "08:30")
    #: periodic reports are reminded in the last N days of their period
    REPORT_REMIND_DAYS = env_int("REPORT_REMIND_DAYS", 5)
    #: a periodic report counts as missing (or late) N days after its period ended
    REPORT_GRACE_DAYS = env_int("REPORT_GRACE_DAYS", 5)
    #: one-task links in task emails: days a link lives after the latest email that carried it,
    #: and the requests one link, and one address, may make
    LINK_DAYS = env_int("LINK_DAYS", 30)
    LINK_RATE_LIMIT = env("LINK_RATE_LIMIT", "30 per minute")
    LINK_IP_RATE_LIMIT = env("LINK_IP_RATE_LIMIT", "60 per minute")
    #: 签收: a task not acknowledged after N working days is chased
    ACK_REMIND_WORKDAYS = env_int("ACK_REMIND_WORKDAYS", 2)
    #: 退回交办: a unit may refuse a task within N days of its assignment
    REFUSAL_WINDOW_DAYS = env_int("REFUSAL_WINDOW_DAYS", 3)
    #: less burden (减负): the requests a unit may receive in a month (reminders, 催办单, report
    #: periods, 督办单) before the burden view warns
    BURDEN_MONTHLY_CAP = env_int("BURDEN_MONTHLY_CAP", 20)
    #: days a unit has to answer a 督办单
    NOTICE_REPLY_DAYS = env_int("NOTICE_REPLY_DAYS", 15)
    #: the 督办要求 printed on each notice; None means the built-in text
    NOTICE_REQUIREMENTS = env("NOTICE_REQUIREMENTS")
    #: official documents (GB/T 9704): the red 版头 text (None: ORGANISATION_NAME), the 机关代字 of
    #: each number series, whether the 落款 leaves room for a seal, and the 版记 (shown when set)
    DOCUMENT_MARK = env("DOCUMENT_MARK")
    NOTICE_DOC_CODE = env("NOTICE_DOC_CODE", "督办")
    CHASE_DOC_CODE = env("CHASE_DOC_CODE", "催办")
    BULLETIN_DOC_CODE = env("BULLETIN_DOC_CODE", "督通")
    DOCUMENT_SEAL = env_bool("DOCUMENT_SEAL", True)
    DOCUMENT_COPY_TO = env("DOCUMENT_COPY_TO")
    DOCUMENT_PRINTER = env("DOCUMENT_PRINTER")
    #: sending: rows per batch (one SMTP connection), attempts before a message is given up
    OUTBOX_BATCH = env_int("OUTBOX_BATCH", 100)
    MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 20)
    #: how late (seconds) a scheduled job may still run after the scheduler was down
    SCHEDULER_MISFIRE_GRACE = env_int("SCHEDULER_MISFIRE_GRACE", 3600)
    #: a scheduler that starts after downtime runs a missed run this recent, and skips older ones
    SCHEDULER_CATCHUP_DAYS = env_int("SCHEDULER_CATCHUP_DAYS", 3)

    # channels beside email: each unit's group robot (企业微信/钉钉) and SMS phone
    #: robot webhooks must be https; allow http only for a gateway inside the network (and tests)
    ROBOT_ALLOW_HTTP = env_bool("ROBOT_ALLOW_HTTP", False)
    CHANNEL_TIMEOUT = env_int("CHANNEL_TIMEOUT", 10)
    SMS_GATEWAY_URL = env("SMS_GATEWAY_URL")
    #: the POST body, with {phone} and {text} (escaped for SMS_CONTENT_TYPE)
    SMS_BODY_TEMPLATE = env("SMS_BODY_TEMPLATE", '{"phone": "{phone}", "text": "{text}"}')
    SMS_CONTENT_TYPE = env("SMS_CONTENT_TYPE", "application/json")
    #: local hours without SMS; messages due then wait until the end ("" for none)
    SMS_QUIET_HOURS = env("SMS_QUIET_HOURS", "22:00-07:00")

    # digests
    #: local time at which daily-digest readers get their day's reminders in one message
    DIGEST_TIME = env("DIGEST_TIME", "08:30")
    #: chases to a unit a week (Monday to Sunday) before the rest is folded into its weekly digest;
    #: 0: no cap (a unit's own setting overrides)
    CHASE_WEEKLY_CAP = env_int("CHASE_WEEKLY_CAP", 0)
    #: where imported plan files are kept; None means instance/plans
    PLAN_SOURCE_FOLDER = env("PLAN_SOURCE_FOLDER")

    #: reverse proxies in front of the app (nginx: 1); their X-Forwarded-For/-Proto are trusted
    PROXY_COUNT = env_int("PROXY_COUNT", 0)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    # scrypt, werkzeug's default; tests use a cheaper setting
    PASSWORD_HASH_METHOD = "scrypt"
    # load demo data on the first start (make run)
    DEMO_DATA = env_bool("DEMO_DATA", False)

    # 等保 level 3 application controls; these defaults are production's (see the README's checklist)
    #: failed sign-ins (password or second factor) within the window that lock an account; 0: never
    LOCKOUT_ATTEMPTS = env_int("LOCKOUT_ATTEMPTS", 5)
    LOCKOUT_WINDOW_MINUTES = env_int("LOCKOUT_WINDOW_MINUTES", 15)
    LOCKOUT_MINUTES = env_int("LOCKOUT_MINUTES", 30)
    PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 10)
    #: of four: lower case, upper case, digits, other characters
    PASSWORD_MIN_CLASSES = env_int("PASSWORD_MIN_CLASSES", 3)
    #: a new password may not be one of the last N; 0: no check
    PASSWORD_HISTORY = env_int("PASSWORD_HISTORY", 5)
    #: days after which a password must be changed; 0: never
    PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 0)
    #: accounts made or reset by an admin change their password at the first sign-in
    FORCE_FIRST_PASSWORD_CHANGE = env_bool("FORCE_FIRST_PASSWORD_CHANGE", True)
    #: admins and supervisors must sign in with a TOTP second factor
    TOTP_REQUIRED = env_bool("TOTP_REQUIRED", True)
    TOTP_ISSUER = env("TOTP_ISSUER", "督办")
    #: signed-in sessions end after this much inactivity, and after this lifetime at most; 0: never
    IDLE_TIMEOUT_MINUTES = env_int("IDLE_TIMEOUT_MINUTES", 30)
    SESSION_LIFETIME_HOURS = env_int("SESSION_LIFETIME_HOURS", 12)
    #: audit rows older than this are archived to a signed export, then removed
    AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 180)
    #: where the signed archives go; None means instance/audit-archive
    AUDIT_ARCHIVE_FOLDER = env("AUDIT_ARCHIVE_FOLDER")


#: the development fallback; production refuses it (and any key it was not told)
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"


class DevelopmentConfig(Config):
    """``make run``: the demo accounts sign in with their printed passwords, no second factor."""

    DEBUG = False
    SECRET_KEY = Config.SECRET_KEY or DEVELOPMENT_SECRET_KEY
    PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 8)
    PASSWORD_MIN_CLASSES = env_int("PASSWORD_MIN_CLASSES", 2)
    FORCE_FIRST_PASSWORD_CHANGE = env_bool("FORCE_FIRST_PASSWORD_CHANGE", False)
    TOTP_REQUIRED = env_bool("TOTP_REQUIRED", False)


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls, config: dict) -> None:
        """Refuse to start with a missing or placeholder secret key."""
        key = config.get("SECRET_KEY")
        if not key or key == DEVELOPMENT_SECRET_KEY or len(key) < 16:
            raise RuntimeError(
                "TRACKER_SECRET_KEY must be set to a random string of at least 16 characters "
                "in production (python -c 'import secrets; print(secrets.token_hex(32))')."
            )


class TestingConfig(Config):
    TESTING = True
    BASE_URL = "http://127.0.0.1:5000"
    SECRET_KEY = "testing-secret-key-not-for-production"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    MAIL_SERVER = None
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    SERVER_NAME = None
    # tests that check a control switch it on
    PASSWORD_MIN_LENGTH = 8
    PASSWORD_MIN_CLASSES = 1
    FORCE_FIRST_PASSWORD_CHANGE = False
    TOTP_REQUIRED = False


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}
