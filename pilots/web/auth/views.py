"""Signing in and out, and the signed-in user's own account."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from pilots.security import throttle
from pilots.security.access import ANYONE, SIGNED_IN, allow
from pilots.services import account_links, accounts, sso
from pilots.services.errors import ServiceError
from pilots.web.auth.forms import ChoosePasswordForm, ForgotPasswordForm, LoginForm, PasswordChangeForm
from pilots.web.errors import render_error
from pilots.web.forms import ConfirmForm
from pilots.web.i18n import SESSION_KEY
from pilots.web.support import apply_service_error, form_status
from pilots.web.urls import safe_next_path

bp = Blueprint("auth", __name__)

UNKNOWN_BROWSER_LOCKED = _l(
    "There were too many wrong attempts to sign in to this account from browsers that have not signed in to it "
    "before. Wait a few minutes, or sign in from a computer or browser you used before: it is not blocked."
)


@bp.route("/login", methods=["GET", "POST"])
@allow(ANYONE)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next_path(request.args.get("next")) or url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        sso_refusal = sso.password_refusal(form.email.data)
        if sso_refusal is not None:  # a domain that must use single sign-on: refused before any password is looked at
            sso.record_password_refusal(form.email.data, "login", ip=request.remote_addr)
            form.email.errors.append(str(sso_refusal))  # str(): escaped like any text (see auth/sso.py)
        elif (response := _password_sign_in(form)) is not None:
            return response
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("auth/login.html", form=form, can_reset=account_links.can_send_email(), **sso_button()), status


def _password_sign_in(form: LoginForm):
    """Check the password (throttled); the redirect when it is right, else None with the error on the form."""
    account = accounts.normalise_email(form.email.data)
    device = throttle.known_device(account, request.cookies.get(throttle.DEVICE_COOKIE))
    refusal = throttle.register_attempt(account, request.remote_addr or "unknown", device)
    if refusal is not None:
        return _too_many(refusal.seconds, UNKNOWN_BROWSER_LOCKED if refusal.unknown_browser else None)
    user = accounts.authenticate(form.email.data, form.password.data, ip=request.remote_addr)
    if user is None:
        form.password.errors.append(_("The email address or password is not correct."))
        return None
    throttle.clear_account(account, device)
    start_session(user)
    response = redirect(safe_next_path(form.next.data) or url_for("main.index"))
    response.set_cookie(
        throttle.DEVICE_COOKIE,
        throttle.new_device_cookie(account, request.cookies.get(throttle.DEVICE_COOKIE)),
        max_age=throttle.DEVICE_DAYS * 24 * 3600,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


def start_session(user) -> None:
    """A fresh session for someone who just proved who they are (password or single sign-on): nothing planted in
    the session before survives (no fixation) but the language; Flask-Login then keeps the account's session token."""
    locale = session.get(SESSION_KEY)
    session.clear()
    if locale:
        session[SESSION_KEY] = locale
    login_user(user)
    flash(_("Welcome, %(name)s.", name=user.name), "success")


def sso_button(next_path: str | None = None) -> dict:
    """What the sign-in page needs for its "Sign in with …" button (nothing while single sign-on is off)."""
    if not sso.is_enabled():
        return {"sso_name": None}
    return {"sso_name": sso.provider_name(), "sso_next": safe_next_path(next_path or request.values.get("next")) or ""}


def _too_many(seconds: int, message=None):
    """429 with the error page and how long to wait."""
    body, code = render_error(429, message)
    return body, code, {"Retry-After": str(seconds)}


@bp.route("/password/forgot", methods=["GET", "POST"])
@allow(ANYONE)
def forgot_password():
    """Ask for a link to choose a new password. The answer is the same whether or not the address has an account."""
    if not account_links.can_send_email():
        return render_template("auth/forgot_password.html", form=None)
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        sso_refusal = sso.password_refusal(form.email.data, "reset")
        if sso_refusal is not None:  # such a domain has no passwords here; said for the domain, account or not
            sso.record_password_refusal(form.email.data, "reset", ip=request.remote_addr)
            form.email.errors.append(str(sso_refusal))  # str(): escaped like any text (see auth/sso.py)
        elif (response := _request_reset(form)) is not None:
            return response
    return render_template("auth/forgot_password.html", form=form), form_status(form)


def _request_reset(form: ForgotPasswordForm):
    """Queue the reset e-mail (throttled); the redirect when it is on its way, else None with the error on the form."""
    account = accounts.normalise_email(form.email.data)
    wait = throttle.register_reset_request(account, request.remote_addr or "unknown")
    if wait is not None:
        return _too_many(wait)
    try:
        account_links.request_password_reset(form.email.data, ip=request.remote_addr)
    except ServiceError as error:
        apply_service_error(form, error)
        return None
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    flash(
        _(
            "If an account uses %(email)s, a link to choose a new password is on its way to it. "
            "The link works once, for %(minutes)d minutes.",
            email=account,
            minutes=minutes,
        ),
        "info",
    )
    return redirect(url_for("auth.login"))


@bp.route("/password/new/<token>", methods=["GET", "POST"])
@allow(ANYONE)
def choose_password(token: str):
    """The page a reset or invitation e-mail links to: choose a password, then sign in with it."""
    found = account_links.read_token(token)
    if found is None:
        return render_template("auth/link_invalid.html", can_reset=account_links.can_send_email()), 404
    user, purpose = found
    if (sso_refusal := sso.password_refusal(user.email, "reset")) is not None:
        # A link sent before the domain had to use single sign-on: it no longer gives a password.
        return render_template("auth/sso_failed.html", message=str(sso_refusal), **sso_button()), 403
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        try:
            account_links.choose_password(
                token, form.password.data, current_app.config["PASSWORD_MIN_LENGTH"], ip=request.remote_addr
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            throttle.clear_account(user.email)  # the owner proved it: wrong guesses by others no longer block them
            if current_user.is_authenticated:
                logout_user()  # the change ended every session, this browser's too
            flash(_("Your password is saved. Sign in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/choose_password.html", form=form, user=user, purpose=purpose.value), form_status(form)


@bp.post("/logout")
@allow(SIGNED_IN)
def logout():
    if ConfirmForm().validate_on_submit():
        accounts.record_logout(current_user)
        logout_user()
        locale = session.get(SESSION_KEY)
        session.clear()
        if locale:
            session[SESSION_KEY] = locale
        flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account", methods=["GET", "POST"])
@allow(SIGNED_IN)
def account():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user,
                form.current_password.data,
                form.password.data,
                current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            login_user(current_user._get_current_object())  # the change ended every session; keep this one
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    status = 400 if form.errors else 200
    return render_template("auth/account.html", form=form), status
