"""Signing in with the single sign-on provider (OpenID Connect): the start and the callback. See docs/sso.md.

Both are GET: the provider sends the browser back with a GET, and the state Authlib keeps in the session (with the
nonce and the PKCE verifier) is what ties the callback to the sign-in this browser started. While single sign-on
is off (no OIDC_ISSUER), both pages say so and do nothing.
"""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_login import current_user

from pilots.security.access import ANYONE, allow
from pilots.services import sso
from pilots.web.auth import oidc
from pilots.web.auth.views import bp, sso_button, start_session
from pilots.web.urls import absolute_url, safe_next_path

NEXT_KEY = "sso_next"  # where to go after signing in; the session is renewed on sign-in, so it goes with it


def _off():
    return render_template("auth/sso_off.html")


def _failed(status: int, message):
    # str(): flask_babel's lazy strings count as safe HTML, and these carry values from the query string or the
    # provider (an error code, an e-mail address): as a plain string, Jinja escapes them.
    return render_template("auth/sso_failed.html", message=str(message), **sso_button()), status


@bp.get("/sso/login")
@allow(ANYONE)
def sso_login():
    """Send the browser to the provider's sign-in page."""
    if not sso.is_enabled():
        return _off()
    next_path = safe_next_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_path or url_for("main.index"))
    try:
        # The address the provider sends the browser back to is built from BASE_URL, never from the Host header.
        response = oidc.start(absolute_url("auth.sso_callback"))
    except oidc.SignInFailed as failure:
        sso.record_refusal(failure.reason, ip=request.remote_addr)
        return _failed(failure.status, failure.message)
    session[NEXT_KEY] = next_path or ""
    return response


@bp.get("/sso/callback")
@allow(ANYONE)
def sso_callback():
    """Where the provider sends the browser back: verify everything, then sign in as the account it names."""
    if not sso.is_enabled():
        return _off()
    try:
        identity = oidc.finish()
    except oidc.SignInFailed as failure:
        sso.record_refusal(failure.reason, ip=request.remote_addr)
        return _failed(failure.status, failure.message)
    next_path = safe_next_path(session.get(NEXT_KEY))
    try:
        user = sso.sign_in(identity, ip=request.remote_addr)
    except sso.SignInRefused as refusal:
        return _failed(refusal.status, refusal.message)
    start_session(user)
    return redirect(next_path or url_for("main.index"))
