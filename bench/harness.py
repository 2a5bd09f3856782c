"""The benchmark registry and the context every benchmark gets: an app on a migrated database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import flask_migrate
from flask import Flask

from pilots import create_app
from pilots.extensions import db
from pilots.runtime import tune_gc


@dataclass
class Context:
    app: Flask
    scale: float
    facts_by_bench: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def create(cls, url: str, scale: float) -> Context:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            flask_migrate.upgrade()
        tune_gc()  # as a gunicorn worker does (gunicorn.conf.py)
        return cls(app=app, scale=scale)

    def size(self, base: int) -> int:
        return max(1, int(base * self.scale))

    def close(self) -> None:
        with self.app.app_context():
            db.engine.dispose()


@dataclass
class Bench:
    name: str
    description: str
    setup: Callable[[Context], Callable[[], object]]
    #: at most this many timed runs, whatever --repeat says (None: --repeat), for a run that takes minutes
    repeat: int | None = None
    #: whether an untimed run comes first (a benchmark without one warms up in its setup)
    warmup: bool = True

    def runs(self, requested: int) -> int:
        return requested if self.repeat is None else min(requested, self.repeat)

    def facts(self, context: Context) -> dict:
        return context.facts_by_bench.get(self.name, {})


REGISTRY: dict[str, Bench] = {}


def benchmark(name: str, description: str, *, repeat: int | None = None, warmup: bool = True):
    """Register ``setup(context) -> run``: setup builds the data, run is what gets timed (``repeat`` and
    ``warmup``: see :class:`Bench`)."""

    def register(setup: Callable[[Context], Callable[[], object]]):
        REGISTRY[name] = Bench(name, description, setup, repeat, warmup)
        return setup

    return register
