"""Configuration classes. Every setting that differs between machines comes from the environment."""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

#: The key used when SECRET_KEY is not set. Fine on a laptop; production refuses to start with it.
DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - documented development default

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def normalise_database_url(url: str) -> str:
    """Accept the URLs hosting providers hand out and select the psycopg 3 driver for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'datapilots.sqlite'}"
    # Pre-ping lets the pool recover by itself after the database restarts.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    # Sessions: HttpOnly and SameSite=Lax always; Secure in production (see ProductionConfig).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock

    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Brussels"
    LANGUAGES = ("nl", "en")

    BOOTSTRAP_SERVE_LOCAL = True  # no CDN anywhere

    # Compression (Flask-Compress, docs/operations.md "Light pages"): brotli for browsers, gzip for the rest, of
    # every text the platform sends (pages, JSON, CSV, scripts, stylesheets, SVG, the catalogue's RDF). Brotli
    # level 5 compresses plotly.js nearly as well as level 9 in a third of the time; files are compressed once.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 5
    COMPRESS_LEVEL = 6
    COMPRESS_MIN_SIZE = 500
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "text/plain",
        "text/csv",
        "text/tab-separated-values",
        "text/markdown",
        "text/calendar",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/geo+json",
        "image/svg+xml",
        "text/turtle",
        "application/ld+json",
        "application/rdf+xml",
        "application/n-triples",
        "application/xml",
        "text/xml",
    ]

    # Rate limits: memory storage by default (one process); Redis in production with several workers.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    LOGIN_LIMIT_PER_IP = "50 per 15 minutes"

    PASSWORD_MIN_LENGTH = 10
    PASSWORD_RESET_MINUTES = 60  # how long a "forgot your password?" link works (once)
    INVITATION_DAYS = 7  # how long an invitation to choose a password works (once)
    RESET_LIMIT_PER_ACCOUNT = "3 per hour"
    RESET_LIMIT_PER_IP = "20 per hour"
    # Single sign-on with OpenID Connect (docs/sso.md): off while OIDC_ISSUER is empty. The client is made on first
    # use, never at start-up; it talks to the issuer's own address only.
    OIDC_ISSUER = ""
    OIDC_CLIENT_ID = ""
    OIDC_CLIENT_SECRET = ""
    OIDC_NAME = ""  # the provider's name on the sign-in button, e.g. "ACM/IDM" (empty: "single sign-on", translated)
    OIDC_SCOPES = "openid email profile"
    OIDC_TIMEOUT = 10.0  # seconds for each request to the provider
    OIDC_REQUIRED_DOMAINS: list = []  # e-mail domains that must sign in with SSO (no password sign-in or reset)
    OIDC_CITY_CLAIM = ""  # a claim naming the user's city (slug or NIS code); empty: no city from the provider
    OIDC_ROLE_CLAIM = ""  # a claim whose values OIDC_ROLE_MAP turns into a role in that city
    OIDC_ROLE_MAP = ""  # "claim value:voter,claim value:staff"
    # E-mail (pilots.mail): SMTP when MAIL_SERVER is set; otherwise .eml files under instance/mail/ outside
    # production, and no e-mail at all in production.
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = "Datapilots <no-reply@localhost>"
    MAIL_RETRY_DELAY = 60  # seconds before a refused e-mail is tried again (then twice as long each time, 5 times)
    # Notifications are e-mailed (at once or in the daily digest, as each user chooses); off: in the app only.
    # Production refuses to start with them on and no MAIL_SERVER.
    NOTIFICATION_EMAILS = True
    PAGE_SIZE = 25
    # The public address of the platform: the base of the catalogue's URIs (never taken from a request).
    BASE_URL = "http://localhost:5000"
    # Conformance checks: addresses allowed although private or loopback (CIDR or host:port), and limits.
    CONFORMANCE_ALLOW: list = []
    CONFORMANCE_TIMEOUT = 5.0
    CONFORMANCE_MAX_BYTES = 5_000_000
    CONFORMANCE_TOTAL_TIMEOUT = 30.0  # seconds for a whole check: every request, and parsing what came back
    CONFORMANCE_MAX_MEMORY_MB = 1024  # the checking process is stopped beyond this ("too large to check")
    # Background jobs (pilots.jobs): sqlite:///… (empty: instance/tasks.sqlite), redis://…, or memory:// (immediate).
    TASK_QUEUE_URL = ""
    # A job still marked as under way after this many seconds lost its worker and is queued again (pilots.jobs):
    # far longer than the longest job (a check stops at CONFORMANCE_TOTAL_TIMEOUT, an e-mail at MAIL_TIMEOUT).
    JOB_LEASE_SECONDS = 900
    # The nightly monitoring pass re-checks every published dataset: starting at this hour (UTC; "off": never),
    # spread over this many hours.
    DATASET_MONITORING_HOUR: int | str = 1
    DATASET_MONITORING_WINDOW_HOURS = 4
    DIGEST_HOUR: int | str = 6  # the daily e-mail digest of notifications goes out at this hour (UTC; "off": never)
    REMINDER_HOUR: int | str = 7  # cities that have not voted are reminded at this hour (UTC; "off": never) …
    VOTING_REMINDER_DAYS = 2  # … this many days before the voting deadline (once per round)
    API_RATE_LIMIT = "120 per minute"  # per client address, for the public JSON API
    COMMENT_EDIT_MINUTES = 30  # authors may edit their comment this long after posting
    HSTS = False
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (0: none, trust nothing).
    TRUSTED_PROXIES = 0
    # The addresses (CIDR) the nearest proxy connects from; forwarded headers from anywhere else are ignored.
    TRUSTED_PROXY_ADDRESSES: list = ["127.0.0.1/32", "::1/128"]


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = "sqlite:///:memory:"
    TASK_QUEUE_URL = "memory://"  # jobs run when enqueued; tests of the worker itself use a real queue
    MAIL_BACKEND = "locmem"  # messages kept in app.extensions["mailman"].outbox; one test uses a real SMTP server
    # A deliberately slow hash (scrypt) costs every test sign-in ~0.1 s; the tests check the logic, not the cost.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a hash method name, not a password


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_recycle": 1800}


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


#: Environment variables read at start-up (never at import), with the setting each one overrides.
ENVIRONMENT_SETTINGS = {
    "SECRET_KEY": "SECRET_KEY",
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "LOGIN_LIMIT_PER_ACCOUNT": "LOGIN_LIMIT_PER_ACCOUNT",
    "LOGIN_LIMIT_PER_IP": "LOGIN_LIMIT_PER_IP",
    "SESSION_HOURS": "PERMANENT_SESSION_LIFETIME",
    "TRUSTED_PROXIES": "TRUSTED_PROXIES",
    "TRUSTED_PROXY_ADDRESSES": "TRUSTED_PROXY_ADDRESSES",
    "BASE_URL": "BASE_URL",
    "CONFORMANCE_ALLOW": "CONFORMANCE_ALLOW",
    "API_RATE_LIMIT": "API_RATE_LIMIT",
    "TASK_QUEUE_URL": "TASK_QUEUE_URL",
    "JOB_LEASE_SECONDS": "JOB_LEASE_SECONDS",
    "CONFORMANCE_TOTAL_TIMEOUT": "CONFORMANCE_TOTAL_TIMEOUT",
    "CONFORMANCE_MAX_MEMORY_MB": "CONFORMANCE_MAX_MEMORY_MB",
    "PASSWORD_RESET_MINUTES": "PASSWORD_RESET_MINUTES",
    "INVITATION_DAYS": "INVITATION_DAYS",
    "OIDC_ISSUER": "OIDC_ISSUER",
    "OIDC_CLIENT_ID": "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET": "OIDC_CLIENT_SECRET",
    "OIDC_NAME": "OIDC_NAME",
    "OIDC_SCOPES": "OIDC_SCOPES",
    "OIDC_TIMEOUT": "OIDC_TIMEOUT",
    "OIDC_REQUIRED_DOMAINS": "OIDC_REQUIRED_DOMAINS",
    "OIDC_CITY_CLAIM": "OIDC_CITY_CLAIM",
    "OIDC_ROLE_CLAIM": "OIDC_ROLE_CLAIM",
    "OIDC_ROLE_MAP": "OIDC_ROLE_MAP",
    "MAIL_SERVER": "MAIL_SERVER",
    "MAIL_PORT": "MAIL_PORT",
    "MAIL_USE_TLS": "MAIL_USE_TLS",
    "MAIL_USE_SSL": "MAIL_USE_SSL",
    "MAIL_USERNAME": "MAIL_USERNAME",
    "MAIL_PASSWORD": "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER": "MAIL_DEFAULT_SENDER",
    "MAIL_RETRY_DELAY": "MAIL_RETRY_DELAY",
    "NOTIFICATION_EMAILS": "NOTIFICATION_EMAILS",
    "DATASET_MONITORING_HOUR": "DATASET_MONITORING_HOUR",
    "DATASET_MONITORING_WINDOW_HOURS": "DATASET_MONITORING_WINDOW_HOURS",
    "DIGEST_HOUR": "DIGEST_HOUR",
    "REMINDER_HOUR": "REMINDER_HOUR",
    "VOTING_REMINDER_DAYS": "VOTING_REMINDER_DAYS",
}

_INTEGERS = (
    "TRUSTED_PROXIES",
    "CONFORMANCE_MAX_MEMORY_MB",
    "PASSWORD_RESET_MINUTES",
    "INVITATION_DAYS",
    "MAIL_PORT",
    "MAIL_RETRY_DELAY",
    "VOTING_REMINDER_DAYS",
    "JOB_LEASE_SECONDS",
)
_FLOATS = ("CONFORMANCE_TOTAL_TIMEOUT", "DATASET_MONITORING_WINDOW_HOURS")
_FLAGS = ("MAIL_USE_TLS", "MAIL_USE_SSL", "NOTIFICATION_EMAILS")
_HOURS = ("DATASET_MONITORING_HOUR", "DIGEST_HOUR", "REMINDER_HOUR")


class ConfigurationError(RuntimeError):
    """The application refuses to start with this configuration."""


def config_for(name: str | None) -> type[Config]:
    name = name or os.environ.get("PILOTS_ENV", "production")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigurationError(f"PILOTS_ENV={name!r} is unknown; use one of {', '.join(CONFIGS)}") from None


def environment_overrides(environ: dict[str, str] | None = None) -> dict:
    """The settings given by environment variables, read when the app is created."""
    environ = os.environ if environ is None else environ
    overrides: dict = {}
    for variable, setting in ENVIRONMENT_SETTINGS.items():
        value = environ.get(variable)
        if not value:
            continue
        if setting == "SQLALCHEMY_DATABASE_URI":
            value = normalise_database_url(value)
        elif setting == "PERMANENT_SESSION_LIFETIME":
            value = timedelta(hours=int(value))
        elif setting in _INTEGERS:
            value = int(value)
        elif setting in _HOURS:
            value = "off" if value.strip().lower() == "off" else int(value)
        elif setting in _FLOATS:
            value = float(value)
        elif setting in _FLAGS:
            value = _flag(variable, value)
        elif setting in ("CONFORMANCE_ALLOW", "TRUSTED_PROXY_ADDRESSES"):
            value = [item.strip() for item in value.split(",") if item.strip()]
        elif setting == "OIDC_REQUIRED_DOMAINS":
            value = [item.strip().lower().lstrip("@") for item in value.split(",") if item.strip()]
        elif setting == "OIDC_TIMEOUT":
            value = float(value)
        overrides[setting] = value
    return overrides


def _flag(variable: str, value: str) -> bool:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{variable}: {value!r} is not true or false")


def check_config(config: dict) -> None:
    """Fail loudly on settings that would be unsafe in production."""
    if config.get("ENV_NAME") == "production" and config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY):
        raise ConfigurationError(
            "SECRET_KEY is not set: production refuses to start with the default key. "
            "Set SECRET_KEY to a long random value (or PILOTS_ENV=development on a laptop)."
        )
    for address in config.get("TRUSTED_PROXY_ADDRESSES") or ():
        try:
            ipaddress.ip_network(address, strict=False)
        except ValueError:
            raise ConfigurationError(
                f"TRUSTED_PROXY_ADDRESSES: {address!r} is not an IP address or network (for example 10.0.0.0/8)"
            ) from None
    if (
        config.get("ENV_NAME") == "production"
        and config.get("NOTIFICATION_EMAILS")
        and not (config.get("MAIL_SERVER") or config.get("MAIL_BACKEND"))
    ):
        raise ConfigurationError(
            "MAIL_SERVER is not set: production refuses to start with notification e-mails on and nowhere to send "
            "them. Set MAIL_SERVER (and MAIL_PORT, MAIL_USE_TLS, MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER), "
            "or NOTIFICATION_EMAILS=false to keep notifications in the app only."
        )
    if config.get("MAIL_USE_TLS") and config.get("MAIL_USE_SSL"):
        raise ConfigurationError("MAIL_USE_TLS and MAIL_USE_SSL are both on: choose STARTTLS (TLS) or SMTPS (SSL)")
    for setting in _HOURS:
        hour = config.get(setting, "off")
        if hour != "off" and not (isinstance(hour, int) and 0 <= hour <= 23):
            raise ConfigurationError(f"{setting}: {hour!r} is not an hour from 0 to 23, or off")
    queue = config.get("TASK_QUEUE_URL") or ""
    if queue and queue.split("://", 1)[0] not in ("sqlite", "redis", "rediss", "unix", "memory"):
        raise ConfigurationError(f"TASK_QUEUE_URL: {queue!r} is not sqlite:///…, redis://… or memory://")
    check_sso_config(config)


def parse_role_map(text: str) -> dict[str, str]:
    """OIDC_ROLE_MAP ("claim value:voter,other value:staff") as {claim value: role}; ValueError when malformed."""
    mapping: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        value, separator, role = item.rpartition(":")
        if not separator or not value.strip() or role.strip() not in ("voter", "staff"):
            raise ValueError(item.strip())
        mapping[value.strip()] = role.strip()
    return mapping


def check_sso_config(config: dict) -> None:
    """Single sign-on: complete when on, nothing that needs it when off (docs/sso.md)."""
    from urllib.parse import urlsplit

    issuer = config.get("OIDC_ISSUER") or ""
    if not issuer:
        for setting in ("OIDC_REQUIRED_DOMAINS", "OIDC_CITY_CLAIM", "OIDC_ROLE_CLAIM", "OIDC_ROLE_MAP"):
            if config.get(setting):
                raise ConfigurationError(f"{setting} is set but single sign-on is off: set OIDC_ISSUER too")
        return
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigurationError(f"OIDC_ISSUER: {issuer!r} is not an https:// address")
    if parts.scheme != "https" and config.get("ENV_NAME") == "production":
        raise ConfigurationError(f"OIDC_ISSUER: {issuer!r} must use https:// in production")
    for setting in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
        if not config.get(setting):
            raise ConfigurationError(f"{setting} is not set: single sign-on (OIDC_ISSUER) needs the client's id and secret")
    if "openid" not in (config.get("OIDC_SCOPES") or "").split():
        raise ConfigurationError("OIDC_SCOPES must include openid")
    timeout = config.get("OIDC_TIMEOUT", 10.0)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigurationError(f"OIDC_TIMEOUT: {timeout!r} is not a number of seconds above 0")
    for domain in config.get("OIDC_REQUIRED_DOMAINS") or ():
        if "." not in domain or "@" in domain or any(char.isspace() for char in domain):
            raise ConfigurationError(f"OIDC_REQUIRED_DOMAINS: {domain!r} is not an e-mail domain (for example stad.gent)")
    try:
        roles = parse_role_map(config.get("OIDC_ROLE_MAP") or "")
    except ValueError as error:
        raise ConfigurationError(f"OIDC_ROLE_MAP: {error} is not 'claim value:voter' or 'claim value:staff'") from None
    if bool(roles) != bool(config.get("OIDC_ROLE_CLAIM")):
        raise ConfigurationError("OIDC_ROLE_CLAIM and OIDC_ROLE_MAP go together: set both or neither")
    if roles and not config.get("OIDC_CITY_CLAIM"):
        raise ConfigurationError("OIDC_ROLE_CLAIM gives a role in the city of OIDC_CITY_CLAIM: set OIDC_CITY_CLAIM too")
