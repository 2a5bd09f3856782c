"""The jobs. Each is a plain function of ids (what a queue can carry) that calls services, like a view does."""

from __future__ import annotations

from flask import current_app

from pilots.jobs import Job, Periodic


def run_checker(url: str, realtime: bool, frequency: str | None = None) -> dict:
    """The conformance checker with the app's address rules, allow-list and limits, in a child process that
    is stopped at CONFORMANCE_TOTAL_TIMEOUT (fetching and parsing together) or CONFORMANCE_MAX_MEMORY_MB.
    ``frequency`` (the declared update frequency's code) decides how recent the data must be."""
    from pilots.conformance import policy_from_config
    from pilots.conformance.isolated import check_url_isolated

    config = current_app.config
    max_memory = int(config["CONFORMANCE_MAX_MEMORY_MB"]) * 1024 * 1024
    policy = policy_from_config(config)
    return check_url_isolated(url, realtime=realtime, frequency=frequency, policy=policy, max_memory=max_memory).to_dict()


def check_dataset(dataset_id: int, actor_id: int | None) -> bool | None:
    """Check a published dataset and keep the result; None when the dataset is gone in the meantime."""
    from pilots.services import workspaces

    return workspaces.run_requested_check(dataset_id, actor_id, run_checker)


def warm_catalogue() -> int:
    """Render the DCAT-AP catalogue in every format after a change, for every web process to serve."""
    from pilots.services import catalogue

    return catalogue.warm(current_app.config["BASE_URL"])


def send_password_reset(email: str) -> bool:
    from pilots.services import account_links

    return account_links.send_password_reset(email)


def send_invitation(user_id: int, actor_id: int | None) -> bool:
    from pilots.services import account_links

    return account_links.send_invitation(user_id, actor_id)


def send_notification_emails(notification_ids: list[int]) -> int:
    from pilots.services import notifications

    return notifications.send_emails(notification_ids)


def send_digests() -> int:
    """The daily digest of every user who asked for one (and of what could not be sent at once)."""
    from pilots.services import notifications

    return notifications.send_digests()


def remind_voters() -> int:
    """Cities whose ballot is not submitted hear VOTING_REMINDER_DAYS before the deadline (once per round)."""
    from pilots.services import voting, workspaces

    return voting.remind_voters(workspaces.today(), int(current_app.config["VOTING_REMINDER_DAYS"]))


def remind_milestones() -> int:
    """Milestones due within a week, or overdue: their responsible cities and the pilot's leads hear once."""
    from pilots.services import workspaces

    return workspaces.remind_milestones(workspaces.today())


def recheck_datasets() -> int:
    """The nightly monitoring pass: every published dataset's check is queued, spread over
    DATASET_MONITORING_WINDOW_HOURS, one check per host at a time. Returns how many were queued."""
    from pilots import jobs
    from pilots.conformance.pacing import spread
    from pilots.services import workspaces

    config = current_app.config
    window = float(config["DATASET_MONITORING_WINDOW_HOURS"]) * 3600
    gap = float(config["CONFORMANCE_TOTAL_TIMEOUT"]) + 1  # a check is stopped at its budget
    plan = spread(workspaces.monitoring_targets(), window, gap)
    for dataset_id, delay in plan:
        jobs.enqueue_in(delay, "check_dataset", dataset_id, None)
    return len(plan)


#: name -> job. A check does not retry: a failing endpoint is a result, not an error; a crash is logged.
#: An e-mail is tried again while the mail server refuses or does not answer: after MAIL_RETRY_DELAY seconds
#: (1 minute), then 2, 4, 8 and 16 times as long.
def _email(function) -> Job:
    return Job(function, retries=5, retry_delay="MAIL_RETRY_DELAY", retry_backoff=2)


JOBS: dict[str, Job] = {
    "check_dataset": Job(check_dataset),
    "warm_catalogue": Job(warm_catalogue),
    "send_password_reset": _email(send_password_reset),
    "send_invitation": _email(send_invitation),
    "send_notification_emails": _email(send_notification_emails),
}

#: name -> job the workers start by the clock (once a day whatever the number of workers).
PERIODIC: dict[str, Periodic] = {
    "recheck_datasets": Periodic(recheck_datasets, hour_setting="DATASET_MONITORING_HOUR"),
    "send_digests": Periodic(send_digests, hour_setting="DIGEST_HOUR"),
    "remind_voters": Periodic(remind_voters, hour_setting="REMINDER_HOUR"),
    "remind_milestones": Periodic(remind_milestones, hour_setting="REMINDER_HOUR"),
}
