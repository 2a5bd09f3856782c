"""gunicorn's settings for Datapilots; gunicorn reads this file from the folder it starts in.

Command-line options (``--workers``, ``--bind``) still win. See README.md, "Deployment".
"""

from pilots.runtime import tune_gc

# Access log to standard output: the process manager (systemd, a container runtime) keeps it.
accesslog = "-"
# A request that takes longer than this is killed and the worker replaced (the catalogue of a large
# programme renders in seconds the first time; nothing should take half a minute).
timeout = 30


def post_worker_init(worker) -> None:
    """Each worker, once it has loaded the app: freeze what it holds and collect garbage less often."""
    tune_gc()
