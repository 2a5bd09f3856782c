"""Datapilots: the platform on which cities choose and run their yearly open-data pilots together."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilots.config import check_config, config_for, environment_overrides

if TYPE_CHECKING:  # Flask is imported when an app is made, so pure libraries (pilots.ranking) stay free of it
    from flask import Flask

__version__ = "0.1.0"

PROJECT_DIR = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application.

    ``config_name`` picks a config class (``development``, ``testing``, ``production``; default from
    ``PILOTS_ENV``, else production). Environment variables override it, and ``overrides`` (tests) override both.
    """
    from flask import Flask

    app = Flask(
        __name__,
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder=str(PROJECT_DIR / "static"),
        instance_path=str(PROJECT_DIR / "instance"),
    )
    app.config.from_object(config_for(config_name))
    app.config.update(environment_overrides())
    app.config.update(overrides or {})
    check_config(app.config)
    app.config["VERSION"] = __version__

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///") and ":memory:" not in app.config["SQLALCHEMY_DATABASE_URI"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite has one writer at a time: a write waits up to 30 s for the lock (voting.lock_round takes it early)
        # instead of failing after the driver's default 5 s.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"timeout": 30, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    if app.config["TRUSTED_PROXIES"]:
        from pilots.security.proxies import TrustedProxyFix

        app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, app.config["TRUSTED_PROXIES"], app.config["TRUSTED_PROXY_ADDRESSES"]
        )

    from pilots.security.requests import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # before any route is registered
    _init_extensions(app)
    _register_blueprints(app)

    from pilots import cli

    cli.register(app)
    return app


def _init_extensions(app: Flask) -> None:
    from pilots import jobs, mail, models  # noqa: F401  (models: registers the models with the metadata)
    from pilots.extensions import Compression, babel, bootstrap, csrf, db, limiter, login_manager, migrate
    from pilots.web import assets
    from pilots.web.i18n import select_locale, select_timezone

    # First, so that its after-request function runs after every other one (they run last-registered first).
    app.config.setdefault("COMPRESS_CACHE_BACKEND", assets.CompressedFiles)
    app.config.setdefault("COMPRESS_CACHE_KEY", assets.compression_key)
    app.extensions["compress"] = Compression(app)
    assets.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    bootstrap.init_app(app)
    limiter.init_app(app)
    jobs.init_app(app)
    mail.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_token: str):
        from sqlalchemy import select
        from sqlalchemy.orm import undefer

        from pilots.models import User

        # The unread notifications' count comes in the same statement (the navigation bar shows it).
        return db.session.scalar(
            select(User)
            .where(User.session_token == session_token, User.active.is_(True))
            .options(undefer(User.unread_notifications))
        )


def _register_blueprints(app: Flask) -> None:
    from pilots.security import access
    from pilots.security.headers import set_security_headers
    from pilots.web import (
        admin,
        api,
        auth,
        catalogue,
        challenges,
        cities,
        dashboard,
        errors,
        exports,
        main,
        notifications,
        reports,
        results,
        rounds,
        workspaces,
    )

    app.register_blueprint(main.bp)
    app.register_blueprint(challenges.bp)
    app.register_blueprint(rounds.bp)
    app.register_blueprint(results.bp)
    app.register_blueprint(workspaces.bp)
    app.register_blueprint(catalogue.bp)
    app.register_blueprint(cities.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(notifications.bp)
    errors.register(app)

    # Endpoints that libraries register: their files are public.
    access.declare(app, "static", access.ANYONE)
    access.declare(app, "bootstrap.static", access.ANYONE)
    from pilots.security.requests import refuse_control_characters

    app.before_request(refuse_control_characters)
    app.before_request(access.enforce)
    app.after_request(set_security_headers)

    from pilots.web.templating import register_template_helpers

    register_template_helpers(app)
