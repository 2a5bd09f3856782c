"""The jobs. Each is a plain function of ids (what a queue can carry) that calls services, like a view does."""

from __future__ import annotations

from flask import current_app

from pilots.jobs import Job


def run_checker(url: str, realtime: bool) -> dict:
    """The conformance checker with the app's address rules, allow-list and limits, in a child process that
    is stopped at CONFORMANCE_TOTAL_TIMEOUT (fetching and parsing together) or CONFORMANCE_MAX_MEMORY_MB."""
    from pilots.conformance import policy_from_config
    from pilots.conformance.isolated import check_url_isolated

    config = current_app.config
    max_memory = int(config["CONFORMANCE_MAX_MEMORY_MB"]) * 1024 * 1024
    return check_url_isolated(url, realtime=realtime, policy=policy_from_config(config), max_memory=max_memory).to_dict()


def check_dataset(dataset_id: int, actor_id: int | None) -> bool | None:
    """Check a published dataset and keep the result; None when the dataset is gone in the meantime."""
    from pilots.services import workspaces

    return workspaces.run_requested_check(dataset_id, actor_id, run_checker)


#: name -> job. A check does not retry: a failing endpoint is a result, not an error; a crash is logged.
JOBS: dict[str, Job] = {
    "check_dataset": Job(check_dataset),
}
