"""What people read instead of the names the code uses: audit actions, the conformance checks, their results
and evidence, file formats and the kinds of objects in the audit log.

Every label is a lazy text with an English msgid (Dutch in the catalogue). A name without a label is never
shown as it is: :func:`audit_label` and :func:`check_label` fall back to a general label, and a template may put
the name itself after it in a ``<code>`` element, as a technical detail.

The evidence of a check is stored as a message key with its parameters (``pilots.conformance.messages``);
:func:`evidence` says it in the reader's language, with the technical details apart. A stored report from before
the keys (no ``message``) keeps its English evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal, get_group_symbol
from flask import g, has_request_context
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from pilots.conformance import messages
from pilots.models import EffortUnit, RoundPhase
from pilots.vocabularies import FILE_TYPES, FREQUENCIES

# --- the audit log -------------------------------------------------------------------------------------------------

#: Every action the services record (``audit.record``), as people read it in the admin's audit log, a pilot's
#: activity and a challenge's history. tests/test_labels.py checks that every recorded action is here.
AUDIT_ACTIONS: dict[str, LazyString] = {
    # accounts
    "user.login": _l("Signed in"),
    "user.login_failed": _l("Sign-in failed"),
    "user.logout": _l("Signed out"),
    "user.created": _l("Account created"),
    "user.updated": _l("Account edited"),
    "user.activated": _l("Account activated"),
    "user.deactivated": _l("Account deactivated"),
    "user.invited": _l("Person invited"),
    "user.invitation_accepted": _l("Invitation accepted"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset": _l("Password reset by an administrator"),
    "user.password_reset_requested": _l("New password asked for"),
    "user.password_reset_by_email": _l("New password set with an e-mail link"),
    "user.locale_changed": _l("Language changed"),
    "user.notification_preferences": _l("Notification settings changed"),
    "user.sso_linked": _l("Account linked to single sign-on"),
    "user.login_refused": _l("Password sign-in refused: single sign-on required"),
    "user.password_reset_refused": _l("New password refused: single sign-on required"),
    "sso.refused": _l("Single sign-on refused"),
    "membership.added": _l("Added to a city"),
    "membership.changed": _l("Role in a city changed"),
    "membership.removed": _l("Removed from a city"),
    # cities
    "city.created": _l("City created"),
    "city.updated": _l("City edited"),
    "city.charter_updated": _l("Charter principle updated"),
    "city.maturity_saved": _l("Maturity self-assessment saved"),
    # challenges
    "challenge.created": _l("Challenge created"),
    "challenge.updated": _l("Challenge edited"),
    "challenge.submitted": _l("Challenge submitted"),
    "challenge.withdrawn": _l("Challenge withdrawn"),
    "challenge.screened": _l("Challenge screened"),
    "challenge.effort_estimated": _l("Estimated effort changed"),
    "challenge.rescreening_needed": _l("Challenge to be screened again"),
    "challenge.dataset_added": _l("Dataset added"),
    "challenge.dataset_updated": _l("Dataset edited"),
    "challenge.dataset_removed": _l("Dataset removed"),
    "challenge.cosponsored": _l("Co-sponsored by a city"),
    "challenge.cosponsorship_withdrawn": _l("Co-sponsorship withdrawn"),
    "challenge.commented": _l("Comment posted"),
    "challenge.comment_edited": _l("Comment edited"),
    "challenge.comment_hidden": _l("Comment hidden"),
    "challenge.followed": _l("Challenge followed"),
    "challenge.unfollowed": _l("Challenge no longer followed"),
    # rounds and ballots (``round.<phase>``: the round moved to that phase)
    "round.created": _l("Round created"),
    "round.updated": _l("Round edited"),
    "round.criterion_added": _l("Criterion added"),
    "round.criterion_updated": _l("Criterion edited"),
    "round.criterion_removed": _l("Criterion removed"),
    "round.weights_from_ahp": _l("Weights derived from pairwise comparisons"),
    f"round.{RoundPhase.DRAFT.value}": _l("Round back in preparation"),
    f"round.{RoundPhase.PROPOSALS_OPEN.value}": _l("Proposals opened"),
    f"round.{RoundPhase.VOTING_OPEN.value}": _l("Voting opened"),
    f"round.{RoundPhase.CLOSED.value}": _l("Voting closed"),
    f"round.{RoundPhase.PUBLISHED.value}": _l("Results published"),
    "round.voters_reminded": _l("Voters reminded"),
    "round.revision_opened": _l("First pass closed: the cities may revise their scores"),
    "round.selection_confirmed": _l("Selection confirmed"),
    "round.pledged": _l("A city said whether it takes part"),
    "round.followed": _l("Round followed"),
    "round.unfollowed": _l("Round no longer followed"),
    "ballot.saved": _l("Ballot saved"),
    "ballot.submitted": _l("Ballot submitted"),
    "ballot.reopened": _l("Ballot reopened"),
    "ballot.weights_saved": _l("A city's weights saved"),
    # pilots
    "pilot.created": _l("Pilot created"),
    "pilot.updated": _l("Pilot edited"),
    "pilot.lead_added": _l("Pilot lead added"),
    "pilot.lead_removed": _l("Pilot lead removed"),
    "pilot.update_posted": _l("Update posted"),
    "pilot.join_requested": _l("Request to join the pilot"),
    "pilot.city_invited": _l("City added to the pilot"),
    "pilot.city_accepted": _l("City accepted"),
    "pilot.role_changed": _l("Role of a city changed"),
    "pilot.stage_changed": _l("Stage of a city changed"),
    "pilot.milestone_added": _l("Milestone added"),
    "pilot.milestone_updated": _l("Milestone edited"),
    "pilot.milestone_status": _l("Status of a milestone changed"),
    "pilot.milestone_reminded": _l("Reminder about a milestone sent"),
    "pilot.dataset_added": _l("Published dataset registered"),
    "pilot.dataset_updated": _l("Published dataset edited"),
    "pilot.dataset_check_requested": _l("Check of a dataset asked for"),
    "pilot.dataset_checked": _l("Dataset checked"),
    "pilot.followed": _l("Pilot followed"),
    "pilot.unfollowed": _l("Pilot no longer followed"),
}
OTHER_ACTION = _l("Other change")

#: What an audit event is about (its ``object_type``).
OBJECT_TYPES: dict[str, LazyString] = {
    "user": _l("Account"),
    "city": _l("City"),
    "challenge": _l("Challenge"),
    "round": _l("Round"),
    "pilot": _l("Pilot"),
}
OTHER_OBJECT = _l("Other object")

#: The unit of an estimated effort, as it follows a number ("3 (person-months)").
EFFORT_UNITS_SHORT: dict[EffortUnit, LazyString] = {
    EffortUnit.PERSON_MONTHS: _l("person-months"),
    EffortUnit.RELATIVE: _l("relative size"),
}


def audit_label(action: str) -> str:
    """The audit action in words (``"pilot.lead_added"`` -> "Pilot lead added"); a general label when unknown."""
    return str(AUDIT_ACTIONS.get(action, OTHER_ACTION))


def object_label(object_type: str) -> str:
    return str(OBJECT_TYPES.get(object_type, OTHER_OBJECT))


# --- the conformance checks ----------------------------------------------------------------------------------------

#: Each check of the checklist (``pilots.conformance.report.CHECK_IDS``) by what it asks of the data.
CHECK_LABELS: dict[str, LazyString] = {
    "reachable": _l("Reachable"),
    "https": _l("Served over HTTPS"),
    "cors": _l("Open to web apps on other sites (CORS)"),
    "caching": _l("Can be cached"),
    "media_type": _l("Machine-readable format"),
    "rdf_parses": _l("Valid RDF"),
    "content_negotiation": _l("Offers more than one RDF format"),
    "licence": _l("Licence in the data"),
    "generated_at": _l("Says when the data was generated"),
    "history_links": _l("Links to earlier versions"),
    "freshness": _l("Recent enough"),
}
OTHER_CHECK = _l("Other check")

#: A check's result.
CHECK_RESULTS: dict[str, LazyString] = {"pass": _l("pass"), "fail": _l("fail"), "n/a": _l("not applicable")}


def check_label(check_id: str) -> str:
    return str(CHECK_LABELS.get(check_id, OTHER_CHECK))


def check_result(result: str) -> str:
    return str(CHECK_RESULTS.get(result, _l("unknown")))


#: Every evidence message of the library (``messages.ENGLISH``) with words in it, with the same English text as
#: msgid. The others only put their parts together (``"%(format)s, %(triples)s"``) and are used as they are.
MESSAGES: dict[str, LazyString] = {
    "not_checked": _l("not checked"),
    "not_checked.refused": _l("not checked: the request was refused"),
    "not_checked.url_refused": _l("not checked: the URL was refused"),
    "not_checked.no_answer": _l("not checked: no answer"),
    "not_checked.no_answer_because": _l("not checked: no answer (%(error)s)"),
    "not_checked.status": _l("not checked: the URL answered HTTP %(status)s"),
    "not_checked.body_not_read": _l("not checked: the body was not read (%(error)s)"),
    "not_checked.rdf_does_not_parse": _l("not checked: the RDF does not parse"),
    "not_checked.realtime_only": _l("only checked for real-time data"),
    "not_checked.freshness": _l("only checked for real-time data or data updated at a fixed frequency"),
    "not_checked.not_rdf": _l("not RDF (%(media_type)s)"),
    "not_checked.too_slow": _l("too slow to check: fetching and parsing took longer than %(seconds)s s in all"),
    "not_checked.too_large": _l("too large to check: parsing needed more than %(megabytes)s MB of memory"),
    "check_failed": _l("the check itself failed"),
    "where": _l(" (at %(url)s, after %(redirects)s)"),
    "no_media_type": _l("no media type"),
    "http_status": _l("HTTP %(status)s"),
    "reachable.via": _l(" from %(url)s after %(redirects)s"),
    "reachable.refused": _l("refused: %(reason)s%(where)s"),
    "reachable.unreadable": _l("%(status)s, but the body could not be read: %(error)s"),
    "https.pass": _l("served over HTTPS: %(url)s%(upgraded)s"),
    "https.upgraded": _l(" (redirected from http://)"),
    "https.fail": _l("served over plain HTTP: %(url)s"),
    "cors.missing": _l("no Access-Control-Allow-Origin header: web apps on other sites cannot read the data"),
    "cors.any": _l("Access-Control-Allow-Origin: *"),
    "cors.echo": _l("Access-Control-Allow-Origin echoes the request's Origin (%(origin)s)"),
    "cors.one_origin": _l("Access-Control-Allow-Origin: %(value)s lets only that origin read the data; public data needs '*'"),
    "caching.no_store": _l("Cache-Control: %(value)s forbids caching"),
    "caching.max_age": _l("Cache-Control: %(value)s"),
    "caching.etag": _l("ETag: %(value)s"),
    "caching.both": _l("Cache-Control: %(value)s; ETag: %(etag)s"),
    "caching.missing": _l("no Cache-Control max-age and no ETag%(seen)s"),
    "caching.seen": _l(" (Cache-Control: %(value)s)"),
    "media_type.rdf": _l("%(media_type)s (RDF: %(format)s)"),
    "media_type.missing": _l("no Content-Type header"),
    "media_type.structured": _l("%(media_type)s (machine-readable, not RDF: the RDF checks do not apply)"),
    "media_type.not_data": _l("%(media_type)s is not a machine-readable data format"),
    "rdf.not_rdf_format": _l("%(media_type)s is not an RDF format"),
    "rdf.does_not_parse": _l("%(format)s does not parse"),
    "rdf.not_json": _l("not valid JSON"),
    "rdf.nested_too_deeply": _l("the JSON-LD document is nested too deeply"),
    "rdf.unresolved_context": _l("remote @context left unresolved: %(url)s"),
    "rdf.not_an_object": _l("a JSON-LD document must be a JSON object or array"),
    "rdf.context_includes_itself": _l("the remote @context %(url)s includes itself"),
    "rdf.context_not_loaded_here": _l("the document uses a remote @context (%(url)s), which is not loaded here"),
    "rdf.too_many_contexts": _l("the document uses more than %(max)s remote @context documents"),
    "rdf.not_a_context": _l("the remote @context %(url)s is not a JSON-LD context (no @context key)"),
    "rdf.too_many_terms": _l(
        "the document's remote @context documents add up to more than %(max)s term definitions "
        "(the last was %(url)s): too large to check"
    ),
    "rdf.import_not_one": _l("@import must name one context URL"),
    "rdf.import_not_an_object": _l("the @import %(url)s is not a single context object"),
    "rdf.context_not_loaded": _l("could not load the remote @context %(url)s: %(reason)s"),
    "rdf.context_not_json": _l("the remote @context %(url)s is not JSON"),
    "negotiation.pass": _l("offers %(offered)s and %(asked)s through the Accept header%(note)s"),
    "negotiation.no_vary": _l("; note: no 'Vary: Accept' header, so shared caches may mix the formats"),
    "negotiation.other_type": _l("asked for %(asked)s and got %(got)s: only %(offered)s seems to be offered"),
    "negotiation.error": _l("asked for %(asked)s: %(reason)s"),
    "licence.pass": _l("%(predicate)s <%(value)s>%(note)s about %(about)s"),
    "licence.flemish_model": _l(" (the Flemish model licence for free reuse)"),
    "licence.flemish_cc0": _l(" (the Flemish CC0 declaration)"),
    "licence.this_document": _l("this document"),
    "licence.part_of": _l("%(subject)s, which this document is part of"),
    "licence.not_uri": _l("the licence is not a URI (%(found)s): a machine-readable licence is identified by its URI"),
    "licence.missing": _l("no dct:license or cc:license about this document (<%(document)s>)%(hint)s"),
    "licence.elsewhere": _l("; a licence is stated about %(subject)s, which is not this document"),
    "generated_at.pass": _l("prov:generatedAtTime %(value)s"),
    "generated_at.not_datetime": _l("prov:generatedAtTime %(value)s is not an xsd:dateTime"),
    "generated_at.missing": _l("no prov:generatedAtTime about this document"),
    "history_links.template": _l("%(predicate)s (a template)"),
    "history_links.missing": _l("no hydra:next, hydra:previous or hydra:search: the history pages are not linked"),
    "freshness.no_frequency": _l("not real-time, and no update frequency is declared"),
    "freshness.no_period": _l("not real-time, and the update frequency %(frequency)s has no fixed period"),
    "freshness.realtime_unknown": _l(
        "no prov:generatedAtTime or Last-Modified: nothing says when the real-time data was generated"
    ),
    "freshness.unknown": _l("no prov:generatedAtTime or Last-Modified to judge by (required only for real-time data)"),
    "freshness.future": _l("%(stamp)s is %(ahead)s in the future: more than the %(skew)s allowed for clock differences"),
    "freshness.ahead": _l("%(stamp)s is %(ahead)s ahead of the checker's clock, within the allowed clock difference"),
    "freshness.fresh": _l("%(stamp)s is %(age)s old, within the %(allowed)s allowed for %(basis)s"),
    "freshness.stale": _l("%(stamp)s is %(age)s old, more than the %(allowed)s allowed for %(basis)s"),
    "freshness.basis_continuous": _l("continuously updated data (%(frequency)s)"),
    "freshness.basis_frequency": _l("the update frequency %(frequency)s"),
    "freshness.basis_realtime": _l("real-time data"),
    "address.no_url": _l("no URL given"),
    "address.too_long": _l("the URL is longer than %(max)s characters"),
    "address.scheme": _l("only http:// and https:// URLs can be checked, not %(scheme)s"),
    "address.this_url": _l("this URL"),
    "address.invalid_url": _l("not a valid URL"),
    "address.credentials": _l("URLs with a user name or password are not checked"),
    "address.no_host": _l("the URL has no host"),
    "address.bad_ip_literal": _l("%(host)s is not a valid host (IPv6 zone identifiers and encoded characters are refused)"),
    "address.odd_number": _l("%(host)s looks like a number but is not an IPv4 address written as a.b.c.d"),
    "address.bad_host": _l("%(host)s is not a valid host name"),
    "address.lookup_slow": _l("looking up %(host)s took longer than %(seconds)s s"),
    "address.lookup_failed": _l("%(host)s could not be resolved: %(reason)s"),
    "address.not_an_ip": _l("%(host)s resolved to %(text)s, which is not an IP address"),
    "address.no_address": _l("%(host)s resolved to no address"),
    "address.refused_literal": _l("%(address)s is %(article)s %(problem)s, and it is not in the allow-list"),
    "address.refused_name": _l(
        "%(host)s resolves to %(address)s, which is %(article)s %(problem)s, and it is not in the allow-list"
    ),
    "address.peer_unknown": _l("could not verify which address the connection went to"),
    "address.peer_other": _l("the connection went to %(peer)s, not to the checked address %(expected)s"),
    "address.unix_socket": _l("connections over UNIX sockets are never made"),
    "address.redirect_invalid": _l("the redirect goes to an invalid URL"),
    "address.redirect_refused": _l("the redirect to %(location)s is refused: %(reason)s"),
    "problem.zone": _l("IPv6 address with a zone"),
    "problem.teredo": _l("Teredo tunnel address"),
    "problem.unspecified": _l("unspecified address"),
    "problem.loopback": _l("loopback address"),
    "problem.link_local": _l("link-local address"),
    "problem.multicast": _l("multicast address"),
    "problem.reserved": _l("reserved address"),
    "problem.private": _l("private address"),
    "problem.not_global": _l("address that is not globally routable"),
    "problem.embedded": _l("%(problem)s (IPv4 %(address)s inside IPv6)"),
    "fetch.deadline": _l("the check took longer than %(seconds)s s in all"),
    "fetch.too_many_redirects": _l("more than %(max)s redirects"),
    "fetch.too_large": _l("larger than %(max)s bytes"),
    "fetch.too_large_declared": _l("larger than %(max)s bytes (Content-Length: %(length)s)"),
    "fetch.too_large_decompressed": _l("larger than %(max)s bytes after decompression"),
    "fetch.encoding": _l("unsupported Content-Encoding %(encoding)s"),
    "fetch.broken_compression": _l("the compressed body is broken"),
    "fetch.cut_short": _l("the compressed body is cut short"),
    "net.connect_timeout": _l("the server did not answer in time: no connection within %(seconds)s s"),
    "net.read_timeout": _l("the server did not answer in time: no answer within %(seconds)s s"),
    "net.timeout": _l("the server did not answer in time (%(seconds)s s)"),
    "net.could_not_connect": _l("could not connect: %(reason)s"),
    "net.name_not_found": _l("the server's name could not be found"),
    "net.lookup_error": _l("the server's name could not be looked up"),
    "net.refused": _l("the server refused the connection"),
    "net.reset": _l("the server broke off the connection"),
    "net.unreachable": _l("the server cannot be reached from here"),
    "net.certificate": _l("the certificate could not be verified"),
    "net.tls": _l("no secure connection could be set up"),
    "net.connection_failed": _l("the connection failed"),
    "net.not_http": _l("the answer is not valid HTTP"),
    "net.read_broken": _l("the connection broke while reading"),
    "net.invalid_url": _l("not a valid URL"),
    "net.http_error": _l("the exchange with the server failed"),
    "net.unexpected": _l("an unexpected error occurred"),
}


def ngettext(singular: str, plural: str, num: int) -> str:
    """The translated text of a count, its placeholders not yet filled in (:func:`evidence` fills them in,
    with the numbers written for the reader). Named as gettext's own, so that pybabel extracts the texts."""
    return get_translations().ungettext(singular, plural, num)


#: The library's messages with a count (``messages.PLURALS``): the count -> the text for it.
PLURAL_MESSAGES = {
    "count.redirects": lambda num: ngettext("%(num)s redirect", "%(num)s redirects", num),
    "count.bytes": lambda num: ngettext("%(num)s byte", "%(num)s bytes", num),
    "count.triples": lambda num: ngettext("%(num)s triple", "%(num)s triples", num),
    "count.days": lambda num: ngettext("%(num)s day", "%(num)s days", num),
    "count.hours": lambda num: ngettext("%(num)s hour", "%(num)s hours", num),
    "count.minutes": lambda num: ngettext("%(num)s minute", "%(num)s minutes", num),
    "count.seconds": lambda num: ngettext("%(num)s second", "%(num)s seconds", num),
}


@dataclass(frozen=True)
class Evidence:
    """A check's evidence for the reader: the sentence, and the technical details (errors as the system gave
    them, untranslated) for a "details" line."""

    text: str
    details: tuple[str, ...] = ()


#: The library's messages that only put their parts together: no words of their own to translate.
STRUCTURAL = frozenset(
    key for key, text in messages.ENGLISH.items() if not re.search(r"[A-Za-z]", re.sub(r"%\(\w+\)s", "", text))
)


class Speaker:
    """Says the library's messages in one language. A page prints a checklist for each of a pilot's datasets
    (130 datasets of 11 checks on a large pilot), so the translated texts, and the evidence of checks that say
    the same, are kept for the rest of the request (:func:`speaker`). It reads the stored form of a message
    (``Message.to_dict()``) as it is."""

    def __init__(self) -> None:
        self.locale = get_locale()
        self.translations = get_translations()
        self.plural_form = getattr(self.translations, "plural", lambda num: int(num != 1))
        self.group = get_group_symbol(self.locale) if self.locale is not None else ","
        self.texts: dict[tuple[str, int], str] = {}
        self.said: dict[tuple[Any, ...], Evidence] = {}
        self.frequencies: dict[str, str] = {}

    def template(self, key: str, num: int | None) -> str:
        """The text of a message key, translated (KeyError for a key this version does not know)."""
        form = self.plural_form(2 if num is None else num) if key in PLURAL_MESSAGES else 0
        found = self.texts.get((key, form))
        if found is None:
            if key in PLURAL_MESSAGES:
                found = PLURAL_MESSAGES[key](2 if num is None else num)
            elif key in STRUCTURAL:
                found = messages.ENGLISH[key]
            else:
                found = str(MESSAGES[key])
            self.texts[(key, form)] = found
        return found

    def number(self, value: int | float) -> str:
        if isinstance(value, int):
            return f"{value:,}".replace(",", self.group)
        return format_decimal(value, locale=self.locale)

    def text(self, data: Mapping[str, Any], found: list[str] | None = None) -> str:
        """A stored message written out in this language; its technical details (and those of its parts) are
        added to ``found``."""
        key = data.get("message")
        params = data.get("params") or {}
        if not isinstance(key, str) or not isinstance(params, Mapping):
            raise KeyError(key)
        detail = data.get("detail")
        if detail and found is not None and detail not in found:
            found.append(str(detail))
        if key == messages.DURATION:
            parts = messages.duration_parts(params.get("seconds", 0))
            return " ".join(self.template(part, n) % {"num": self.number(n)} for part, n in parts)
        values = {}
        for name, value in params.items():
            if isinstance(value, str):
                values[name] = self.frequency(value) if name == "frequency" else value
            else:
                values[name] = self.value(name, value, found)
        num = params.get("num")
        num = num if isinstance(num, int) and not isinstance(num, bool) else None
        try:
            return self.template(key, num) % values
        except (ValueError, TypeError):  # a translation with a placeholder the message lacks
            return messages.english_text(key, num) % values

    def value(self, name: str, value: Any, found: list[str] | None) -> str:
        if isinstance(value, Mapping):
            return self.text(value, found) if "message" in value else ""
        if isinstance(value, list):
            return "; ".join(self.value(name, item, found) for item in value)
        if value is None or isinstance(value, bool):
            return "" if value is None else str(value)
        if isinstance(value, int | float):
            return self.number(value)
        return str(value)

    def frequency(self, code: str) -> str:
        """An update frequency (``DAILY``) in words; a code we do not know as it is."""
        found = self.frequencies.get(code)
        if found is None:
            found = self.frequencies[code] = str(FREQUENCIES[code]) if code in FREQUENCIES else code
        return found

    def evidence(self, item: Mapping[str, Any]) -> Evidence:
        english = str(item.get("evidence") or "")
        if not item.get("message"):
            return Evidence(english)
        key = (item.get("message"), repr(item.get("params")), item.get("detail"))
        said = self.said.get(key)
        if said is None:
            found: list[str] = []
            try:
                said = Evidence(self.text(item, found), tuple(found))
            except (KeyError, ValueError, TypeError):  # a key this version has no text for
                said = Evidence(english)
            self.said[key] = said
        return said


def speaker() -> Speaker:
    """The :class:`Speaker` of this request, in its current language."""
    if not has_request_context():
        return Speaker()
    current = getattr(g, "_evidence_speaker", None)
    if current is None or current.locale != get_locale():
        current = g._evidence_speaker = Speaker()
    return current


def say(message: messages.Message) -> Evidence:
    """A library message in the reader's language."""
    return speaker().evidence({"evidence": message.english(), **message.to_dict()})


def evidence(item: Mapping[str, Any] | Any) -> Evidence:
    """The evidence of a stored check (an item of ``CheckReport.to_dict()["checks"]``) in the reader's language.
    An item without a message we know (a report stored before evidence had keys) keeps its English text."""
    if not isinstance(item, Mapping):
        return Evidence("")
    return speaker().evidence(item)


# --- file formats --------------------------------------------------------------------------------------------------

#: The file formats (``vocabularies.FILE_TYPES``) by name: the names of formats are the same in every language,
#: except "Other".
FILE_TYPE_LABELS: dict[str, str | LazyString] = {
    code: _l("Other") if code == "OTHER" else kind.label for code, kind in FILE_TYPES.items()
}


def file_type_label(code: str | None) -> str:
    """A file format by its name; a code we do not know is "Other"."""
    return str(FILE_TYPE_LABELS.get(code or "OTHER", FILE_TYPE_LABELS["OTHER"]))
