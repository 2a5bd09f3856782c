"""Configuration comes from the environment; production refuses unsafe settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pilots import create_app
from pilots.config import (
    DEFAULT_SECRET_KEY,
    ConfigurationError,
    check_config,
    environment_overrides,
    normalise_database_url,
)


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app("production")
    with pytest.raises(ConfigurationError):
        create_app("production", {"SECRET_KEY": DEFAULT_SECRET_KEY})


def test_production_is_the_default_and_hardened(monkeypatch, tmp_path):
    monkeypatch.delenv("PILOTS_ENV", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")
    monkeypatch.setenv("MAIL_SERVER", "mail.example.org")
    app = create_app()
    assert app.config["ENV_NAME"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/", base_url="https://datapilots.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_unknown_environment_name():
    with pytest.raises(ConfigurationError, match="unknown"):
        create_app("staging")


def test_environment_overrides():
    overrides = environment_overrides(
        {
            "DATABASE_URL": "postgres://u@db/pilots",
            "SECRET_KEY": "s",
            "SESSION_HOURS": "2",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
            "TRUSTED_PROXIES": "1",
        }
    )
    assert overrides["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/pilots"
    assert overrides["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=2)
    assert overrides["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert overrides["TRUSTED_PROXIES"] == 1


@pytest.mark.parametrize(
    "url,expected",
    [
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_normalise_database_url(url, expected):
    assert normalise_database_url(url) == expected


def test_proxy_headers_are_trusted_only_when_configured(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    from tests.conftest import make_app

    for proxies, expected in [(0, "127.0.0.1"), (1, "203.0.113.7")]:
        app = make_app(url, TRUSTED_PROXIES=proxies)

        @app.get("/ip")
        def ip():
            from flask import request

            return request.remote_addr

        from pilots.security import access

        access.declare(app, "ip", access.ANYONE)
        assert app.test_client().get("/ip", headers={"X-Forwarded-For": "203.0.113.7"}).text == expected


def _ip_app(tmp_path, **settings):
    from flask import request

    from pilots.security import access
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'x.sqlite'}", **settings)

    @app.get("/ip")
    def ip():
        return f"{request.remote_addr} {request.scheme}"

    access.declare(app, "ip", access.ANYONE)
    return app


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        # nginx on this machine appended the client's address to what the client sent: the last one counts.
        ("127.0.0.1", "198.51.100.9, 203.0.113.7", "203.0.113.7 https"),
        # Someone reaching gunicorn directly cannot pretend to be anyone: their headers are ignored.
        ("192.0.2.50", "203.0.113.7", "192.0.2.50 http"),
    ],
)
def test_forwarded_headers_are_believed_only_from_the_trusted_proxy(tmp_path, peer, forwarded_for, expected):
    app = _ip_app(tmp_path, TRUSTED_PROXIES=1)
    client = app.test_client()
    headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    response = client.get("/ip", headers=headers, environ_base={"REMOTE_ADDR": peer})
    assert response.text == expected


def test_a_proxy_on_another_machine_is_trusted_when_listed(tmp_path):
    app = _ip_app(tmp_path, TRUSTED_PROXIES=1, TRUSTED_PROXY_ADDRESSES=["10.0.0.0/8"])
    client = app.test_client()
    response = client.get("/ip", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.text == "203.0.113.7 http"
    response = client.get("/ip", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.text == "127.0.0.1 http"


def test_trusted_proxy_addresses_must_be_addresses():
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXY_ADDRESSES"):
        check_config({"TRUSTED_PROXY_ADDRESSES": ["nginx.internal"]})


@pytest.mark.parametrize("name", ["development", "production"])
def test_real_configurations_hash_passwords_with_scrypt(name):
    """Only the tests trade the slow hash for speed."""
    from pilots.config import CONFIGS

    assert getattr(CONFIGS[name], "PASSWORD_HASH_METHOD", "scrypt") == "scrypt"


def test_accounts_use_the_configured_hash(tmp_path):
    from pilots.services import accounts
    from pilots.services.accounts import UserData
    from tests.conftest import make_app

    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    for method, prefix in (("scrypt", "scrypt:"), ("pbkdf2:sha256:1000", "pbkdf2:sha256:1000$")):
        app = make_app(url, PASSWORD_HASH_METHOD=method)
        with app.app_context():
            from pilots.extensions import db

            db.create_all()
            user = accounts.create_user(None, UserData(f"{method[:6]}@example.org", "Someone"), "a-long-password")
            assert user.password_hash.startswith(prefix)
            assert accounts.authenticate(f"{method[:6]}@example.org", "a-long-password") is not None
            db.session.remove()


def test_mail_settings_come_from_the_environment():
    overrides = environment_overrides(
        {"MAIL_SERVER": "smtp.example.org", "MAIL_PORT": "587", "MAIL_USE_TLS": "true", "MAIL_USE_SSL": "no"}
    )
    assert overrides == {"MAIL_SERVER": "smtp.example.org", "MAIL_PORT": 587, "MAIL_USE_TLS": True, "MAIL_USE_SSL": False}
    assert environment_overrides({"NOTIFICATION_EMAILS": "false"}) == {"NOTIFICATION_EMAILS": False}
    with pytest.raises(ConfigurationError, match="MAIL_USE_TLS: 'maybe' is not true or false"):
        environment_overrides({"MAIL_USE_TLS": "maybe"})


def test_tls_and_ssl_together_are_refused():
    with pytest.raises(ConfigurationError, match="MAIL_USE_TLS and MAIL_USE_SSL"):
        check_config({"MAIL_USE_TLS": True, "MAIL_USE_SSL": True})
