"""The OpenID Connect client: Authlib's Flask integration, made on first use from the settings.

Nothing here runs at import or start-up. The first sign-in reads the provider's discovery document
(OIDC_ISSUER + /.well-known/openid-configuration), checks that it names the configured issuer and endpoints at the
issuer's own address, and keeps the client for the process (a new one when the settings change). Authlib keeps the
state, the nonce and the PKCE verifier (S256) in the session; the callback exchanges the code and Authlib checks the
ID token: its signature against the provider's JWKS, ``iss``, ``aud`` (it must name this client), ``exp``, ``iat``
and ``nonce``. Every request goes to the issuer's own scheme, host and port, redirects included: a discovery document
or a redirect that points elsewhere is refused before anything is sent there.

Each way the protocol can fail becomes a :class:`SignInFailed` with a reason for the audit log, the HTTP status of
the page and a message for the person.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app, request
from flask_babel import lazy_gettext as _l
from joserfc import errors as jose

from pilots.services import sso

CLIENT_NAME = "datapilots_sso"  # not "oidc": Authlib would read OIDC_* settings of its own choosing
EXTENSION = "pilots.sso_client"
LEEWAY = 60  # seconds of clock difference allowed for exp, iat and nbf


class OutsideIssuer(requests.exceptions.RequestException):
    """A request (or a redirect) to an address that is not the configured issuer's: refused before it is sent."""


@dataclass
class SignInFailed(Exception):
    reason: str
    status: int
    message: object

    def __str__(self) -> str:
        return self.reason


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class _IssuerOnlySession(OAuth2Session):
    """Authlib's requests session, refusing any address outside the issuer (each redirect goes through send())."""

    allowed_origin: tuple = ()

    def send(self, prepared, **kwargs):
        if _origin(prepared.url) != self.allowed_origin:
            raise OutsideIssuer(f"refused a request outside the issuer: {prepared.url}")
        return super().send(prepared, **kwargs)


def _settings() -> tuple:
    config = current_app.config
    return (
        config["OIDC_ISSUER"],
        config["OIDC_CLIENT_ID"],
        config["OIDC_CLIENT_SECRET"],
        config.get("OIDC_SCOPES") or "openid email profile",
        float(config.get("OIDC_TIMEOUT") or 10.0),
    )


def client() -> FlaskOAuth2App:
    """The registered client, its discovery document read and checked. Raises SignInFailed (503) if it cannot be."""
    settings = _settings()
    cached = current_app.extensions.get(EXTENSION)
    if cached is None or cached[0] != settings:
        cached = (settings, _register(*settings))
        current_app.extensions[EXTENSION] = cached
    app_client = cached[1]
    if "_loaded_at" in app_client.server_metadata:
        return app_client
    try:
        metadata = app_client.load_server_metadata()
        _check_metadata(metadata, settings[0])
    except SignInFailed:
        current_app.extensions.pop(EXTENSION, None)  # read the document again next time
        raise
    except (requests.RequestException, ValueError) as error:
        current_app.extensions.pop(EXTENSION, None)
        raise _unavailable(error) from None
    return app_client


def _register(issuer: str, client_id: str, secret: str, scopes: str, timeout: float) -> FlaskOAuth2App:
    session_class = type("IssuerOnlySession", (_IssuerOnlySession,), {"allowed_origin": _origin(issuer)})
    app_class = type("IssuerOnlyApp", (FlaskOAuth2App,), {"client_cls": session_class})
    oauth = OAuth()
    oauth.init_app(current_app._get_current_object())
    return oauth.register(
        CLIENT_NAME,
        client_cls=app_class,
        client_id=client_id,
        client_secret=secret,
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": scopes, "code_challenge_method": "S256", "default_timeout": timeout},
    )


def _check_metadata(metadata: dict, issuer: str) -> None:
    """The discovery document must name this issuer and keep every endpoint at the issuer's address."""
    problems = []
    if not isinstance(metadata.get("issuer"), str) or metadata["issuer"].rstrip("/") != issuer.rstrip("/"):
        problems.append(f"issuer {metadata.get('issuer')!r} is not {issuer!r}")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(name), str):
            problems.append(f"{name} is missing")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        value = metadata.get(name)
        if isinstance(value, str) and _origin(value) != _origin(issuer):
            problems.append(f"{name} {value!r} is not at the issuer's address")
    algorithms = metadata.get("id_token_signing_alg_values_supported")
    if isinstance(algorithms, list):  # never accept an unsigned ID token, whatever the document says
        metadata["id_token_signing_alg_values_supported"] = [alg for alg in algorithms if str(alg).lower() != "none"]
    if problems:
        current_app.logger.error("single sign-on: the provider's discovery document is refused: %s", "; ".join(problems))
        raise SignInFailed(
            "provider_misconfigured",
            503,
            _l(
                "%(provider)s is not set up correctly for this platform. Sign in with a password, or tell an administrator.",
                provider=sso.provider_name(),
            ),
        )


def _unavailable(error: Exception) -> SignInFailed:
    current_app.logger.warning("single sign-on: the provider did not answer: %s", error)
    if isinstance(error, OutsideIssuer):
        return SignInFailed(
            "outside_issuer",
            503,
            _l(
                "%(provider)s is not set up correctly for this platform. Sign in with a password, or tell an administrator.",
                provider=sso.provider_name(),
            ),
        )
    return SignInFailed(
        "provider_unavailable",
        503,
        _l(
            "%(provider)s does not answer right now. Try again in a few minutes, or sign in with a password.",
            provider=sso.provider_name(),
        ),
    )


def start(redirect_uri: str):
    """The redirect to the provider's sign-in page (state, nonce and PKCE kept in the session)."""
    app_client = client()
    try:
        return app_client.authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError) as error:
        raise _unavailable(error) from None


def finish() -> sso.Identity:
    """Complete the sign-in the provider sent the browser back from: exchange the code, verify the ID token."""
    provider = sso.provider_name()
    if request.args.get("error"):
        raise SignInFailed(
            "provider_error:" + request.args["error"][:40],
            401,
            _l(
                "%(provider)s did not sign you in (%(error)s). Try again, or sign in with a password.",
                provider=provider,
                error=request.args["error"][:100],
            ),
        )
    app_client = client()
    issuer = app_client.server_metadata["issuer"]
    options = {
        "iss": {"essential": True, "value": issuer},
        # Authlib alone accepts a token for another audience when its azp names this client: say aud must name it.
        "aud": {"essential": True, "value": app_client.client_id},
    }
    try:
        token = app_client.authorize_access_token(claims_options=options, leeway=LEEWAY)
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise SignInFailed("no_id_token", 401, _l("%(provider)s did not send an ID token. Try again.", provider=provider))
        if "email" not in claims and app_client.server_metadata.get("userinfo_endpoint"):
            claims = _with_userinfo(app_client, token, claims)
    except SignInFailed:
        raise
    except MismatchingStateError:
        raise SignInFailed(
            "state",
            400,
            _l("This sign-in was already completed, has expired or was not started in this browser. Start again."),
        ) from None
    except OAuthError as error:  # the token endpoint refused the code (used twice, expired, another client's)
        raise SignInFailed(
            "token_refused:" + str(error.error)[:40],
            400,
            _l(
                "%(provider)s refused to complete this sign-in (the code was used already or has expired). Start again.",
                provider=provider,
            ),
        ) from None
    except jose.ExpiredTokenError:
        raise SignInFailed(
            "expired",
            401,
            _l(
                "The identity token from %(provider)s has expired. Start again (if this keeps happening, a clock is wrong).",
                provider=provider,
            ),
        ) from None
    except jose.ClaimError as error:
        raise _claim_failure(error.claim, provider) from None
    except (jose.BadSignatureError, jose.InvalidKeyIdError, jose.MissingKeyError):
        raise SignInFailed(
            "signature",
            401,
            _l("The identity token is not signed by %(provider)s: it was refused. Start again.", provider=provider),
        ) from None
    except jose.JoseError:
        raise SignInFailed(
            "token_invalid", 401, _l("The identity token from %(provider)s could not be read: it was refused.", provider=provider)
        ) from None
    except (requests.RequestException, ValueError, json.JSONDecodeError) as error:
        raise _unavailable(error) from None
    return sso.Identity(issuer=issuer, subject=str(claims.get("sub") or ""), claims=claims)


def _claim_failure(claim: str, provider) -> SignInFailed:
    if claim in ("aud", "azp"):
        return SignInFailed(
            "audience", 401, _l("The identity token was issued for another application, not for this platform: it was refused.")
        )
    if claim == "iss":
        return SignInFailed(
            "issuer", 401, _l("The identity token was not issued by %(provider)s: it was refused.", provider=provider)
        )
    if claim == "nonce":
        return SignInFailed(
            "nonce",
            401,
            _l("The identity token belongs to another sign-in (it may have been replayed): it was refused. Start again."),
        )
    return SignInFailed(
        "claim:" + claim[:20],
        401,
        _l("The identity token from %(provider)s is not valid (%(claim)s): it was refused.", provider=provider, claim=claim[:40]),
    )


def _with_userinfo(app_client: FlaskOAuth2App, token: dict, claims: dict) -> dict:
    """Claims the ID token left out (as providers do in the code flow), from userinfo: only for the same ``sub``."""
    info = app_client.userinfo(token=token)
    if info.get("sub") != claims.get("sub"):
        raise SignInFailed(
            "userinfo_subject",
            401,
            _l("%(provider)s described someone else: the sign-in was refused.", provider=sso.provider_name()),
        )
    return {**info, **claims}
