"""Choosing the interface language: the user's explicit choice, then their account, then the browser."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

SESSION_KEY = "locale"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the CLI and background work use the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get(SESSION_KEY)
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
