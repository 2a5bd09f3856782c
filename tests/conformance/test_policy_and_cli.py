"""The policy from the app's settings, and the command line (JSON out, exit status 0 / 1 / 2)."""

from __future__ import annotations

import io
import json

import pytest

from pilots.conformance import FetchPolicy, policy_from_config
from pilots.conformance.cli import main, run


def test_policy_defaults():
    policy = policy_from_config({})
    assert policy == FetchPolicy()
    assert (policy.timeout, policy.max_bytes, policy.max_redirects) == (5.0, 5 * 1024 * 1024, 3)
    assert policy.allow == ()


def test_bad_values_name_their_setting():
    with pytest.raises(ValueError, match="CONFORMANCE_TIMEOUT must be a positive"):
        policy_from_config({"CONFORMANCE_TIMEOUT": -1})
    with pytest.raises(ValueError, match="CONFORMANCE_MAX_BYTES must be a number"):
        policy_from_config({"CONFORMANCE_MAX_BYTES": "lots"})


def test_policy_from_config_reads_the_conformance_keys():
    policy = policy_from_config(
        {"CONFORMANCE_ALLOW": ["127.0.0.1:5000", "10.0.0.0/8"], "CONFORMANCE_TIMEOUT": "2.5", "CONFORMANCE_MAX_BYTES": 1000}
    )
    assert policy.allow == ("127.0.0.1:5000", "10.0.0.0/8")
    assert policy.timeout == 2.5 and policy.max_bytes == 1000
    assert policy_from_config({"CONFORMANCE_ALLOW": "127.0.0.1:5000, 10.0.0.0/8"}).allow == ("127.0.0.1:5000", "10.0.0.0/8")


@pytest.mark.parametrize(
    "config",
    [
        {"CONFORMANCE_ALLOW": ["not an entry"]},
        {"CONFORMANCE_ALLOW": ["10.0.0.0/33"]},
        {"CONFORMANCE_ALLOW": ["localhost"]},  # a name needs a port
        {"CONFORMANCE_ALLOW": ["127.0.0.1:99999"]},
        {"CONFORMANCE_ALLOW": 5},
        {"CONFORMANCE_TIMEOUT": 0},
        {"CONFORMANCE_TIMEOUT": "soon"},
        {"CONFORMANCE_MAX_BYTES": -1},
        {"CONFORMANCE_MAX_BYTES": True},
    ],
)
def test_bad_settings_are_refused(config):
    with pytest.raises(ValueError, match=r"^conformance configuration: "):
        policy_from_config(config)


def test_cli_prints_the_checklist_and_exits_1_when_a_check_fails(server):
    out = io.StringIO()
    status = main([server.url("/good"), "--allow", f"127.0.0.1:{server.port}", "--timeout", "0.5"], out=out)
    document = json.loads(out.getvalue())
    assert status == 1  # https fails on the plain-HTTP test server
    assert document["url"] == server.url("/good")
    assert {check["id"]: check["result"] for check in document["checks"]}["licence"] == "pass"
    assert all({"id", "result", "evidence", "message", "params"} <= set(check) for check in document["checks"])


def test_cli_exits_0_when_everything_applicable_passes(server, monkeypatch):
    from pilots.conformance.report import Check

    monkeypatch.setattr("pilots.conformance.checker.check_https", lambda fetched: Check("https", "pass", "pretend"))
    out = io.StringIO()
    assert (
        main([server.url("/csv"), "--timeout", "0.5"], config={"CONFORMANCE_ALLOW": [f"127.0.0.1:{server.port}"]}, out=out) == 0
    )
    assert json.loads(out.getvalue())["passed"] is True


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "file:///etc/passwd", "http://127.0.0.1/", "http://localhost/", "not a url"]
)
def test_cli_exits_2_for_a_refused_url(url):
    out = io.StringIO()
    assert main([url, "--timeout", "0.5"], out=out) == 2
    document = json.loads(out.getvalue())
    assert document["refused"] and document["checks"][0]["result"] == "fail"


def test_cli_honours_the_config_allow_list(server):
    out = io.StringIO()
    assert main([server.url("/good"), "--timeout", "0.5"], out=out) == 2  # not allow-listed
    out = io.StringIO()
    assert main([server.url("/good"), "--timeout", "0.5"], config={"CONFORMANCE_ALLOW": f"127.0.0.1:{server.port}"}, out=out) == 1


def test_cli_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["http://example.org/", "--allow", "nonsense"]) == 2
    assert "error" in capsys.readouterr().err


def test_run_is_what_flask_check_url_calls(server, capsys):
    status = run(server.url("/no-cors"), policy=server.policy())
    assert status == 1
    assert json.loads(capsys.readouterr().out)["checks"][2] == {
        "id": "cors",
        "result": "fail",
        "evidence": "no Access-Control-Allow-Origin header: web apps on other sites cannot read the data",
        "message": "cors.missing",
        "params": {},
    }
