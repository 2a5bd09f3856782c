"""Signing in and out, and the signed-in user's own account."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from pilots.extensions import limiter
from pilots.security.access import ANYONE, SIGNED_IN, allow
from pilots.services import accounts
from pilots.services.errors import ServiceError
from pilots.web.auth.forms import LoginForm, PasswordChangeForm
from pilots.web.forms import ConfirmForm
from pilots.web.i18n import SESSION_KEY
from pilots.web.support import apply_service_error
from pilots.web.urls import safe_next_path

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    return "login:" + accounts.normalise_email(request.form.get("email", ""))


def _failed(response) -> bool:
    # A successful sign-in redirects; only failures count against the limits.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@allow(ANYONE)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
    scope="login-account",
)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed, scope="login-ip")
def login():
    if current_user.is_authenticated:
        return redirect(safe_next_path(request.args.get("next")) or url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data, ip=request.remote_addr)
        if user is None:
            form.password.errors.append(_("The email address or password is not correct."))
        else:
            locale = session.get(SESSION_KEY)
            session.clear()  # a fresh session on sign-in: no fixation
            if locale:
                session[SESSION_KEY] = locale
            login_user(user)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next_path(form.next.data) or url_for("main.index"))
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("auth/login.html", form=form), status


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
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    status = 400 if form.errors else 200
    return render_template("auth/account.html", form=form), status
