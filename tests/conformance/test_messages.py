"""Every evidence line is a message by key and parameters (pilots/conformance/messages.py), so that the web can
say it in its reader's language; its English text is the evidence of the JSON report."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import pytest

from pilots.conformance import check_url, messages
from pilots.conformance.report import Check

SOURCE = Path(messages.__file__).resolve().parent


def said_keys() -> set[str]:
    """Every key the library passes to ``say``, ``count`` or ``Message`` as a literal."""
    keys: set[str] = set()
    for path in SOURCE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"say", "count", "Message"} and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    keys.add(first.value)
    from pilots.conformance import checks

    return keys | set(checks.FLEMISH_LICENCES.values())  # the Flemish licences name their message in a table


def test_every_key_the_library_says_has_an_english_text():
    keys = said_keys()
    assert len(keys) > 100
    assert keys <= messages.KEYS, keys - messages.KEYS


def test_every_english_text_has_the_placeholders_of_its_parameters():
    for key, text in messages.ENGLISH.items():
        assert text % dict.fromkeys(messages.placeholders(text), "x"), key
    for singular, plural in messages.PLURALS.values():
        assert messages.placeholders(singular) == messages.placeholders(plural) == {"num"}


@pytest.mark.parametrize(
    "path",
    ["/good", "/jsonld", "/no-cors", "/other-origin", "/no-cache", "/no-licence", "/no-time", "/dataset-licence", "/broken",
     "/huge", "/gzip", "/binary-as-turtle", "/csv", "/html", "/redirect-good", "/redirect-private", "/redirect-ftp",
     "/redirect-loop", "/missing"],
)  # fmt: skip
def test_every_check_of_a_real_report_is_a_message(server, path):
    report = check_url(server.url(path), realtime=True, frequency="DAILY", policy=server.policy())
    for check in report.checks:
        assert check.message is not None, (path, check)
        assert check.message.english() == check.evidence
        stored = check.to_dict()
        assert {"id", "result", "evidence", "message", "params"} <= set(stored)
        loaded = messages.load(stored)
        assert loaded is not None and loaded.english() == check.evidence  # the stored report says it again
    assert pickle.loads(pickle.dumps(report)) == report  # noqa: S301 - the isolated check sends it between processes


def test_a_refused_url_and_an_unknown_host_are_messages(monkeypatch, server):
    import socket

    from pilots.conformance import addresses

    refused = check_url("ftp://example.org/data.ttl", policy=server.policy())
    assert refused.get("reachable").message.params["reason"].key == "address.scheme"

    def not_found(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(addresses, "lookup", not_found)
    report = check_url("https://nergens.example.be/data.ttl", policy=server.policy())
    reason = report.get("reachable").message.params["reason"]
    assert reason.key == "address.lookup_failed" and reason.params["reason"].key == "net.name_not_found"
    assert messages.details(report.get("reachable").message) == ["[Errno -2] Name or service not known"]
    assert report.refused == (
        "nergens.example.be could not be resolved: the server's name could not be found ([Errno -2] Name or service not known)"
    )


def test_checks_compare_by_their_evidence():
    said = Check.said("cors", "pass", messages.say("cors.any"))
    assert said == Check("cors", "pass", "Access-Control-Allow-Origin: *") and said.message is not None
    assert hash(said) == hash(Check("cors", "pass", "Access-Control-Allow-Origin: *"))
    assert Check("cors", "pass", "plain").to_dict() == {"id": "cors", "result": "pass", "evidence": "plain"}


def test_messages_are_checked_and_stored_whole():
    with pytest.raises(ValueError, match="unknown message key"):
        messages.say("no.such.key")
    nested = messages.say("net.could_not_connect", reason=messages.say("net.refused", detail="[Errno 111] Connection refused"))
    stored = nested.to_dict()
    assert stored == {
        "message": "net.could_not_connect",
        "params": {"reason": {"message": "net.refused", "params": {}, "detail": "[Errno 111] Connection refused"}},
    }
    assert messages.load(stored) == nested
    assert nested.english() == "could not connect: the server refused the connection ([Errno 111] Connection refused)"
    assert messages.load({"message": "no.such.key", "params": {}}) is None
    assert messages.load({"evidence": "old"}) is None


@pytest.mark.parametrize(
    ("seconds", "english"),
    [(0, "0 seconds"), (1, "1 second"), (61, "1 minute 1 second"), (3 * 86_400 + 7_200 + 5, "3 days 2 hours")],
)
def test_durations(seconds, english):
    assert messages.duration(seconds).english() == english
