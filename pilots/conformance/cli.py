"""Command line: check one URL and print the checklist as JSON (``flask check-url URL`` calls :func:`run`).

Exit status: 0 when no applicable check fails, 1 when some check fails, 2 when the URL argument is invalid
or refused by the address rules (or the settings are invalid).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from pilots.conformance.checker import check_url
from pilots.conformance.policy import FetchPolicy, policy_from_config
from pilots.conformance.report import CheckReport

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2


def exit_status(report: CheckReport) -> int:
    if report.refused is not None:
        return EXIT_REFUSED
    return EXIT_PASSED if report.passed else EXIT_FAILED


def run(url: str, *, realtime: bool = False, policy: FetchPolicy, out: TextIO | None = None, frequency: str | None = None) -> int:
    """Check ``url``, print the report as JSON on ``out`` (default stdout) and return the exit status."""
    report = check_url(url, realtime=realtime, policy=policy, frequency=frequency)
    stream = out if out is not None else sys.stdout
    stream.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    stream.flush()
    return exit_status(report)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="check-url",
        description="Check a published dataset against the Smart Flanders technical principles; print JSON.",
    )
    parser.add_argument("url", help="the dataset's URL (http:// or https://)")
    parser.add_argument("--realtime", action="store_true", help="the data is real-time: require prov:generatedAtTime")
    parser.add_argument(
        "--frequency", metavar="CODE", help="the declared update frequency (EU code such as DAILY): judges freshness"
    )
    parser.add_argument("--allow", action="append", default=[], metavar="ENTRY", help="add to the allow-list (CIDR or host:port)")
    parser.add_argument("--timeout", type=float, help="seconds to connect and for each read")
    parser.add_argument("--max-bytes", type=int, help="largest body read")
    parser.add_argument("--max-redirects", type=int, help="redirects followed")
    return parser


def main(argv: Sequence[str] | None = None, *, config: Mapping[str, Any] | None = None, out: TextIO | None = None) -> int:
    """``check-url [--realtime] [--frequency CODE] [--allow ENTRY]... [--timeout S] [--max-bytes N] [--max-redirects N] URL``.

    ``config`` (such as ``app.config``) gives the defaults through :func:`policy_from_config`; the options
    override them, and ``--allow`` entries are added to ``CONFORMANCE_ALLOW``. Returns the exit status.
    """
    try:
        args = parser().parse_args(argv)
    except SystemExit as stop:  # argparse has printed the usage already
        return stop.code if isinstance(stop.code, int) else EXIT_REFUSED
    settings = dict(config or {})
    if args.allow:
        allow = settings.get("CONFORMANCE_ALLOW") or []
        allow = allow.replace(",", " ").split() if isinstance(allow, str) else list(allow)
        settings["CONFORMANCE_ALLOW"] = [*allow, *args.allow]
    for option, key in (
        ("timeout", "CONFORMANCE_TIMEOUT"),
        ("max_bytes", "CONFORMANCE_MAX_BYTES"),
        ("max_redirects", "CONFORMANCE_MAX_REDIRECTS"),
    ):
        if getattr(args, option) is not None:
            settings[key] = getattr(args, option)
    try:
        policy = policy_from_config(settings)
    except ValueError as error:
        sys.stderr.write(f"error: {error}\n")
        return EXIT_REFUSED
    return run(args.url, realtime=args.realtime, policy=policy, out=out, frequency=args.frequency)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
