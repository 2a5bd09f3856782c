"""Conformance check of a published dataset against the programme's technical principles.

Pure of Flask and the database (see docs/conformance.md). :func:`check_url` fetches the URL under a
:class:`FetchPolicy` (address rules, allow-list, timeouts, size cap) and returns a :class:`CheckReport`:
a checklist of :class:`Check` items, each ``"pass"``, ``"fail"`` or ``"n/a"`` with its evidence: in English, and
as a :class:`~pilots.conformance.messages.Message` (a key and its parameters) that a caller says in its own
language.
:func:`policy_from_config` builds the policy from the app's ``CONFORMANCE_*`` settings;
:func:`pilots.conformance.cli.run` prints the report as JSON for ``flask check-url``.
"""

from __future__ import annotations

from pilots.conformance.addresses import Refused, address_problem, validate_url
from pilots.conformance.checker import ACCEPT, check_url
from pilots.conformance.messages import Message
from pilots.conformance.policy import FetchPolicy, policy_from_config
from pilots.conformance.report import CHECK_IDS, FAIL, NOT_APPLICABLE, PASS, RESULTS, Check, CheckReport

__all__ = [
    "ACCEPT",
    "CHECK_IDS",
    "FAIL",
    "NOT_APPLICABLE",
    "PASS",
    "RESULTS",
    "Check",
    "CheckReport",
    "FetchPolicy",
    "Message",
    "Refused",
    "address_problem",
    "check_url",
    "policy_from_config",
    "validate_url",
]
