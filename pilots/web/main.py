"""The home page, the health check and the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import text

from pilots.extensions import db
from pilots.security.access import ANYONE, allow
from pilots.services import accounts, home
from pilots.web.forms import LanguageForm
from pilots.web.i18n import SESSION_KEY
from pilots.web.urls import safe_next_path

bp = Blueprint("main", __name__)


@bp.get("/")
@allow(ANYONE)
def index():
    agenda = home.agenda(current_user) if current_user.is_authenticated else []
    return render_template("main/index.html", agenda=agenda)


@bp.get("/healthz")
@allow(ANYONE)
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
        database_ok = True
    except Exception:  # any failure to answer means "not healthy"
        current_app.logger.exception("health check: database did not answer")
        db.session.rollback()
        database_ok = False
    body = {
        "status": "ok" if database_ok else "unavailable",
        "version": current_app.config["VERSION"],
        "database": "ok" if database_ok else "unavailable",
    }
    response = jsonify(body)
    response.status_code = 200 if database_ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/language")
@allow(ANYONE)
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session[SESSION_KEY] = form.language.data
        if current_user.is_authenticated:
            accounts.set_locale(current_user, form.language.data)
    target = safe_next_path(form.next.data) or url_for("main.index")
    return redirect(target)
