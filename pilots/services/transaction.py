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
        db.session.rollback()
        raise StaleEdit(_l("Somebody else saved this in the meantime. Reload the page and try again.")) from None
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(conflict_message or _l("This conflicts with data saved in the meantime."), conflict_field) from None
    except BaseException:
        db.session.rollback()
        raise


def check_version(current: int, expected: int | None) -> None:
    """Refuse an edit made on a form opened before the last save."""
    if expected is not None and current != expected:
        raise StaleEdit(_l("Somebody else saved this in the meantime. Reload the page and try again."))
