"""Sign in (password, then the second factor when set up) and out, one's own password and
authenticator, the sign-in history, the language switch, and the session rules of every request."""

import base64
import time

import qrcode
import qrcode.image.svg
from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from tracker.auth import services
from tracker.auth.forms import ChangePasswordForm, LoginForm, SecondFactorForm
from tracker.auth.models import User
from tracker.db import utcnow
from tracker.errors import show_again
from tracker.extensions import db, limiter

bp = Blueprint("auth", __name__)

#: how long the second-factor step may follow the password (seconds)
PENDING_SECONDS = 300
#: pages a user who must first change the password or set up an authenticator can still reach
GATE_OPEN = {"auth.change_password", "auth.logout", "auth.set_language", "auth.second_factor_setup", "static"}


def _client() -> services.Client:
    return services.Client(address=request.remote_addr, user_agent=request.headers.get("User-Agent"))


def remember_allowed() -> bool:
    """A remember-me cookie would outlive the idle timeout, so it is offered only without one."""
    return not current_app.config.get("IDLE_TIMEOUT_MINUTES")


def _begin_session(user: User, *, remember: bool, next_url: str):
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember and remember_allowed())
    session["_started"] = session["_seen"] = time.time()
    return redirect(next_url)


def _login_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "10 per minute")


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would let a link send users elsewhere after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message="too many sign-in attempts")
def login():
    """The sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        # not the one error path: a failed attempt is committed, it counts toward the lockout
        try:
            result = services.sign_in(form.email.data, form.password.data, now=utcnow(), client=_client())
        except services.AccountError as exc:
            db.session.commit()
            flash(str(exc), "danger")
            status = 401
        else:
            db.session.commit()
            next_url = _safe_next(request.args.get("next"))
            if result.needs_second_factor:
                locale = session.get("locale")
                session.clear()
                if locale:
                    session["locale"] = locale
                session["pending_user"] = result.user.get_id()
                session["pending_at"] = time.time()
                session["pending_next"] = next_url
                session["pending_remember"] = bool(form.remember.data)
                return redirect(url_for("auth.second_factor"))
            return _begin_session(result.user, remember=form.remember.data, next_url=next_url)
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, remember_allowed=remember_allowed()), status


def _pending_user() -> User | None:
    ident, _sep, token = (session.get("pending_user") or "").partition(":")
    if not ident.isdigit() or time.time() - float(session.get("pending_at") or 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, int(ident))
    return user if user is not None and user.session_token == token else None


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message="too many sign-in attempts")
def second_factor():
    """The second step: a code from the authenticator, or a recovery code."""
    user = _pending_user()
    if user is None:
        flash(_("登录已过期，请重新输入密码。"), "warning")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.sign_in_second_factor(user, form.code.data, now=utcnow(), client=_client())
        except services.AccountError as exc:
            db.session.commit()
            flash(str(exc), "danger")
            status = 401
            if services.is_locked(user, utcnow()):
                session.clear()
                return redirect(url_for("auth.login"))
        else:
            db.session.commit()
            return _begin_session(user, remember=bool(session.get("pending_remember")),
                                  next_url=session.get("pending_next") or url_for("main.home"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/second_factor.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out here and in every other browser of this user."""
    services.sign_out_everywhere(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; other sessions end, this one stays."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if form.new.data != form.confirm.data:
            flash(_("两次输入的新密码不一致。"), "danger")
        else:
            show_again(lambda: render_template("auth/password.html", form=form), status=200)
            services.change_password(current_user, form.current.data, form.new.data, now=utcnow())
            db.session.commit()
            login_user(current_user._get_current_object())
            flash(_("密码已修改，其他设备上的登录已失效。"), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form)


def _qr_data_uri(text: str) -> str:
    """The QR code as an SVG data URI, made here: nothing is fetched, the secret goes nowhere."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode("ascii")


@bp.route("/account/second-factor", methods=["GET", "POST"])
@login_required
def second_factor_setup():
    """Set up the authenticator (TOTP): scan, confirm with a code, keep the recovery codes."""
    user = current_user._get_current_object()
    if services.second_factor_enabled(user):
        return render_template("auth/second_factor_setup.html", enabled=True,
                               required=services.second_factor_required(user))
    secret = session.get("totp_setup_secret")
    if not secret:
        secret = session["totp_setup_secret"] = services.new_totp_secret()
    form = SecondFactorForm()
    if form.validate_on_submit():
        try:
            codes = services.enable_second_factor(user, secret, form.code.data, now=utcnow())
        except services.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            session.pop("totp_setup_secret", None)
            flash(_("双因素认证已启用。"), "success")
            return render_template("auth/recovery_codes.html", codes=codes)
    uri = services.totp_uri(user, secret)
    return render_template("auth/second_factor_setup.html", enabled=False, form=form, secret=secret,
                           qr=_qr_data_uri(uri), required=services.second_factor_required(user))


@bp.route("/account/sign-ins")
@login_required
def sign_in_history():
    """One's own sign-in history: time, address, result."""
    return render_template("auth/sign_ins.html", events=services.sign_in_history(current_user), user=current_user,
                           locked=services.is_locked(current_user, utcnow()))


SIGN_IN_RESULTS = {
    "success": _l("成功"), "bad_password": _l("密码错误"), "bad_code": _l("验证码错误"),
    "locked": _l("账号已锁定"), "inactive": _l("账号已停用"), "unknown": _l("账号不存在"),
}


def sign_in_result(result: str) -> str:
    return str(SIGN_IN_RESULTS.get(result, result))


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    """Switch between 中文 and English for this browser (and the account, when signed in)."""
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


def register(app: Flask) -> None:
    app.add_template_global(sign_in_result, "sign_in_result")

    @app.before_request
    def session_rules():
        """Idle timeout and absolute lifetime; then a forced password change or authenticator setup."""
        if request.endpoint in (None, "static") or request.path.startswith("/api/"):
            return None
        if not current_user.is_authenticated:
            return None
        config = current_app.config
        now = time.time()
        idle = int(config.get("IDLE_TIMEOUT_MINUTES") or 0) * 60
        lifetime = int(config.get("SESSION_LIFETIME_HOURS") or 0) * 3600
        started, seen = session.get("_started"), session.get("_seen")
        if started is None or seen is None:
            session["_started"] = session["_seen"] = now
        elif (idle and now - seen > idle) or (lifetime and now - started > lifetime):
            logout_user()
            locale = session.get("locale")
            session.clear()
            if locale:
                session["locale"] = locale
            flash(_("长时间未操作或登录时间过长，已自动退出，请重新登录。"), "warning")
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        elif now - seen > 10:
            session["_seen"] = now
        if request.endpoint in GATE_OPEN:
            return None
        user = current_user._get_current_object()
        if user.must_change_password or services.password_expired(user, utcnow()):
            flash(_("请先修改密码后再继续使用。"), "warning")
            return redirect(url_for("auth.change_password"))
        if services.second_factor_required(user) and not services.second_factor_enabled(user):
            # the setup page says why
            return redirect(url_for("auth.second_factor_setup"))
        return None
