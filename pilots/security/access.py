"""The access policy: every route declares who may use it, and one hook enforces it before the view runs.

Usage::

    @bp.get("/admin/users")
    @allow(ADMIN)
    def users(): ...

    @bp.post("/cities/<slug>/status")
    @allow(ADMIN, staff_of(city_from_slug))   # any of the rules may grant access
    def edit_status(slug): ...

A rule is a small object with a ``name`` (shown in tests and docs) and a ``check(user, view_args)``.
:func:`allow` only annotates the view; :func:`enforce` runs for every request, so a route whose
decorators are in an unusual order is still protected, and a route that declares nothing is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from pilots.web.urls import safe_next_path

POLICY_ATTRIBUTE = "access_policy"


@dataclass(frozen=True)
class Rule:
    name: str
    check: Callable[[Any, dict[str, Any]], bool]
    needs_sign_in: bool = True


ANYONE = Rule("anyone", lambda user, args: True, needs_sign_in=False)
SIGNED_IN = Rule("signed in", lambda user, args: user.is_authenticated)
STEERING = Rule("steering committee", lambda user, args: user.is_authenticated and user.is_steering)
ADMIN = Rule("administrator", lambda user, args: user.is_authenticated and user.is_admin)
CITY_STAFF = Rule("staff of a city", lambda user, args: user.is_authenticated and bool(user.memberships))


def staff_of(city_id_of: Callable[[dict[str, Any]], int | None], name: str = "staff of the city") -> Rule:
    """Staff (or voters) of the city that owns the object the route acts on.

    ``city_id_of`` receives the route's view arguments and returns the owning city's id, or None when the
    object does not exist; then the rule refuses (403 for a signed-in user, sign-in for a visitor), which also
    keeps the existence of other cities' objects private.
    """
    return Rule(name, lambda user, args: user.is_authenticated and user.is_staff_of(city_id_of(args)))


def voter_of(city_id_of: Callable[[dict[str, Any]], int | None], name: str = "voter of the city") -> Rule:
    return Rule(name, lambda user, args: user.is_authenticated and user.is_voter_of(city_id_of(args)))


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...]

    @property
    def description(self) -> str:
        return " or ".join(rule.name for rule in self.rules)

    @property
    def is_public(self) -> bool:
        return any(not rule.needs_sign_in for rule in self.rules)

    def permits(self, user: Any, view_args: dict[str, Any]) -> bool:
        return any(rule.check(user, view_args) for rule in self.rules)


def allow(*rules: Rule) -> Callable:
    """Declare who may use a view: any one of ``rules`` grants access."""
    if not rules:
        raise ValueError("allow() needs at least one rule")

    def decorate(view: Callable) -> Callable:
        setattr(view, POLICY_ATTRIBUTE, Policy(tuple(rules)))
        return view

    return decorate


def declare(app: Flask, endpoint: str, *rules: Rule) -> None:
    """Declare the policy of an endpoint registered by a library (static files, for example)."""
    app.extensions.setdefault("access_policies", {})[endpoint] = Policy(tuple(rules))


def policy_for(app: Flask, endpoint: str) -> Policy | None:
    declared = app.extensions.get("access_policies", {}).get(endpoint)
    if declared is not None:
        return declared
    view = app.view_functions.get(endpoint)
    return getattr(view, POLICY_ATTRIBUTE, None)


def enforce() -> Any:
    """``before_request`` hook: refuse the request unless the route's policy permits it."""
    if request.endpoint is None:  # no route matched: let the 404/405 handlers answer
        return None
    policy = policy_for(current_app, request.endpoint)
    if policy is None:
        current_app.logger.error("route %s declares no access policy; refusing", request.endpoint)
        abort(403)
    if policy.permits(current_user, request.view_args or {}):
        return None
    if not current_user.is_authenticated:
        from flask import flash

        flash(_l("Please sign in to open this page."), "info")
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("auth.login", next=safe_next_path(target)))
    abort(403)
