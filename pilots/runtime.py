"""Process settings for serving: garbage collection tuned for a web worker.

CPython's cyclic garbage collector runs a full collection now and then that walks every object the process
holds: the app, its templates, SQLAlchemy's mappers, Plotly's validators, Babel's locale data. On a large
programme that pause (tens of milliseconds) landed on about one request in seven. A worker therefore, once it
has loaded the app, collects once and *freezes* what survives (``gc.freeze()``: those objects are never
scanned again), and collects the young generation less often. Memory is still freed by reference counting
at once; only cycles wait a little longer.
"""

from __future__ import annotations

import gc

#: (young, middle, old) thresholds: Python's defaults are (700, 10, 10).
GC_THRESHOLDS = (50_000, 20, 20)


def tune_gc() -> None:
    """Call once the app is loaded (gunicorn: post_worker_init; the benchmarks: after creating the app)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
