"""One place where services end their unit of work."""

from __future__ import annotations

from contextlib import contextmanager

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from pilots.extensions import db
from pilots.services.errors import ServiceError, StaleEdit


@contextmanager
def unit_of_work(conflict_message: str | None = None, conflict_field: str | None = None):
    """Commit what the block did, or roll it all back.

    A concurrent save caught by the version column becomes :class:`StaleEdit`; a unique constraint
    that another request won in the meantime becomes a :class:`ServiceError` on ``conflict_field``.
    """
    try:
        yield db.session
        db.session.commit()
    except StaleDataError:
        _forget_after_commit()
        db.session.rollback()
        raise StaleEdit(_l("Somebody else saved this in the meantime. Reload the page and try again.")) from None
    except IntegrityError:
        _forget_after_commit()
        db.session.rollback()
        raise ServiceError(conflict_message or _l("This conflicts with data saved in the meantime."), conflict_field) from None
    except BaseException:
        _forget_after_commit()
        db.session.rollback()
        raise
    for callback in db.session.info.pop(_AFTER_COMMIT, []):
        callback()


_AFTER_COMMIT = "pilots.after_commit"


def after_commit(callback) -> None:
    """Run ``callback`` once the current unit of work has committed (never if it rolls back): for work that
    must only start on stored data, such as queueing the e-mails of the notifications it stored."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def _forget_after_commit() -> None:
    db.session.info.pop(_AFTER_COMMIT, None)


def check_version(current: int, expected: int | None) -> None:
    """Refuse an edit made on a form opened before the last save."""
    if expected is not None and current != expected:
        raise StaleEdit(_l("Somebody else saved this in the meantime. Reload the page and try again."))
