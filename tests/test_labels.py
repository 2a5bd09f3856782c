"""Every name the code uses has a label for people, in both languages (pilots/web/labels.py): each audit action
the services record, each conformance check, result and evidence message, and the file formats."""

from __future__ import annotations

import ast
import socket
import ssl
from pathlib import Path

import httpcore
import pytest
from flask_babel import force_locale
from flask_babel.speaklater import LazyString

from pilots.conformance import messages
from pilots.conformance.fetch import describe
from pilots.conformance.policy import FetchPolicy
from pilots.conformance.report import CHECK_IDS, RESULTS, Check
from pilots.models import RoundPhase
from pilots.services.notifications import Subject
from pilots.web import labels

PILOTS = Path(__file__).resolve().parent.parent / "pilots"

#: The actions recorded with an f-string, by the f-string's source: every value it can take.
FAMILIES = {
    'f"round.{target.value}"': {f"round.{phase.value}" for phase in RoundPhase if phase is not RoundPhase.DRAFT},
    "f\"{subject.value}.{'followed' if following else 'unfollowed'}\"": {
        f"{subject.value}.{verb}" for subject in Subject for verb in ("followed", "unfollowed")
    },
}


def constants(node: ast.expr, function: ast.AST, source: str) -> set[str]:
    """The action strings an argument of ``audit.record`` can be: a literal, either side of ``a if c else b``,
    a known f-string family, or a local name assigned one of those in the same function."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return constants(node.body, function, source) | constants(node.orelse, function, source)
    if isinstance(node, ast.JoinedStr):
        text = ast.get_source_segment(source, node)
        assert text in FAMILIES, f"an audit action made by an f-string the test does not know: {text}"
        return FAMILIES[text]
    if isinstance(node, ast.Name):
        found: set[str] = set()
        for assign in ast.walk(function):
            if isinstance(assign, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in assign.targets):
                found |= constants(assign.value, function, source)
        assert found, f"the audit action {node.id} is not assigned a value the test can read"
        return found
    raise AssertionError(f"an audit action the test cannot read: {ast.dump(node)}")


def recorded_actions() -> dict[str, str]:
    """Every action passed to ``audit.record`` in the code, with where it is recorded."""
    found: dict[str, str] = {}
    for path in sorted(PILOTS.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "audit.record(" not in source:
            continue
        tree = ast.parse(source)
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(function):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "record"
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "audit"
                ):
                    action = call.args[1] if len(call.args) > 1 else next(k.value for k in call.keywords if k.arg == "action")
                    for name in constants(action, function, source):
                        found.setdefault(name, f"{path.relative_to(PILOTS.parent)}:{call.lineno}")
    return found


def test_every_recorded_audit_action_has_a_label():
    actions = recorded_actions()
    assert len(actions) > 60 and "pilot.lead_added" in actions and "round.voting_open" in actions
    missing = {action: where for action, where in actions.items() if action not in labels.AUDIT_ACTIONS}
    assert not missing, f"audit actions without a label in pilots/web/labels.py: {missing}"


def test_audit_labels_are_translatable_and_tell_the_actions_apart(app):
    assert all(isinstance(label, LazyString) for label in labels.AUDIT_ACTIONS.values())
    with app.test_request_context(), force_locale("en"):
        texts = [str(label) for label in labels.AUDIT_ACTIONS.values()]
        assert len(set(texts)) == len(texts), "two actions read the same in the audit log's filter"
        assert labels.audit_label("pilot.lead_added") == "Pilot lead added"
        assert labels.audit_label("something.new") == "Other change"  # never the name itself
        assert labels.object_label("pilot") == "Pilot" and labels.object_label("thing") == "Other object"


def test_every_check_and_result_has_a_label(app):
    assert set(labels.CHECK_LABELS) == set(CHECK_IDS)
    assert set(labels.CHECK_RESULTS) == set(RESULTS)
    with app.test_request_context(), force_locale("en"):
        assert labels.check_label("rdf_parses") == "Valid RDF"
        assert labels.check_label("no_such_check") == "Other check"
        assert labels.check_result("n/a") == "not applicable"


def test_the_file_format_other_is_translatable(app):
    assert isinstance(labels.FILE_TYPE_LABELS["OTHER"], LazyString)
    with app.test_request_context(), force_locale("en"):
        assert labels.file_type_label("OTHER") == "Other"
        assert labels.file_type_label(None) == "Other" and labels.file_type_label("NOPE") == "Other"
        assert labels.file_type_label("RDF_TURTLE") == "RDF Turtle"


# --- the evidence of the conformance checks --------------------------------------------------------------------------


def test_every_message_of_the_library_has_the_same_english_text_on_the_web(app):
    """A message's msgid is the library's English text, so the JSON report and the page say the same in English."""
    with_words = set(messages.ENGLISH) - labels.STRUCTURAL
    assert set(labels.MESSAGES) == with_words
    assert set(labels.PLURAL_MESSAGES) == set(messages.PLURALS)
    with app.test_request_context(), force_locale("en"):
        for key in with_words:
            assert str(labels.MESSAGES[key]) == messages.ENGLISH[key], key
        for key, (singular, plural) in messages.PLURALS.items():
            assert (labels.PLURAL_MESSAGES[key](1), labels.PLURAL_MESSAGES[key](2)) == (singular, plural), key


def report_item(check: Check) -> dict:
    return check.to_dict()


def test_evidence_is_said_from_its_key_with_the_technical_detail_apart(app):
    error = httpcore.ConnectError("[Errno -2] Name or service not known")
    error.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    reason = describe(error, FetchPolicy())
    item = report_item(Check.said("reachable", "fail", messages.say("reachable.error", error=reason, where="")))
    assert "Name or service not known" in item["evidence"]  # the JSON report keeps the system's words
    with app.test_request_context(), force_locale("en"):
        said = labels.evidence(item)
    assert said.text == "could not connect: the server's name could not be found"
    assert said.details == ("[Errno -2] Name or service not known",)


def test_numbers_and_frequencies_are_written_for_the_reader(app):
    message = messages.say(
        "freshness.stale",
        stamp="Last-Modified Mon, 02 Mar 2026 08:00:00 GMT",
        age=messages.duration(3 * 86_400 + 7200),
        allowed=messages.duration(2 * 86_400),
        basis=messages.say("freshness.basis_frequency", frequency="DAILY"),
    )
    item = report_item(Check.said("freshness", "fail", message))
    assert item["evidence"].endswith("is 3 days 2 hours old, more than the 2 days allowed for the update frequency DAILY")
    with app.test_request_context(), force_locale("en"):
        assert labels.evidence(item).text.endswith("more than the 2 days allowed for the update frequency Daily")
        size = report_item(
            Check.said(
                "reachable",
                "pass",
                messages.say(
                    "reachable.pass",
                    status="HTTP 200 OK",
                    via="",
                    size=messages.say("reachable.size", bytes=messages.count("count.bytes", 5120)),
                ),
            )
        )
        assert labels.evidence(size).text == "HTTP 200 OK, 5,120 bytes"
    with app.test_request_context(), force_locale("nl"):
        assert "5.120" in labels.evidence(size).text  # written as Dutch writes numbers


def test_an_old_report_without_a_message_keeps_its_english_evidence(app):
    with app.test_request_context(), force_locale("nl"):
        assert labels.evidence({"id": "cors", "result": "fail", "evidence": "no ACAO"}) == labels.Evidence("no ACAO")
        unknown = {"id": "cors", "result": "fail", "evidence": "as stored", "message": "from.a.newer.version", "params": {}}
        assert labels.evidence(unknown).text == "as stored"
        assert labels.evidence({"id": "cors", "result": "fail"}).text == ""
        assert labels.evidence(None).text == ""


@pytest.mark.parametrize(
    ("cause", "key"),
    [
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "net.name_not_found"),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"), "net.lookup_error"),
        (ConnectionRefusedError(111, "Connection refused"), "net.refused"),
        (ConnectionResetError(104, "Connection reset by peer"), "net.reset"),
        (OSError(101, "Network is unreachable"), "net.unreachable"),
        (ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "net.certificate"),
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "net.tls"),
        (OSError("something else"), "net.connection_failed"),
    ],
)
def test_network_errors_become_sentences(cause, key):
    error = httpcore.ConnectError(str(cause))
    error.__cause__ = cause
    reason = describe(error, FetchPolicy())
    assert reason.key == "net.could_not_connect"
    assert reason.params["reason"].key == key
    assert reason.params["reason"].detail == str(cause)
    assert str(cause) in reason.english()


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (httpcore.ConnectTimeout("timed out"), "net.connect_timeout"),
        (httpcore.ReadTimeout("timed out"), "net.read_timeout"),
        (httpcore.PoolTimeout("timed out"), "net.timeout"),
        (httpcore.RemoteProtocolError("illegal status line"), "net.not_http"),
        (httpcore.ReadError("[Errno 104] Connection reset by peer"), "net.read_broken"),
        (RuntimeError("boom"), "net.unexpected"),
    ],
)
def test_other_fetch_errors_become_sentences(error, key):
    message = describe(error, FetchPolicy(timeout=2.5))
    assert message.key == key
    if key.endswith("timeout"):
        assert message.english().startswith("the server did not answer in time") and "2.5 s" in message.english()
