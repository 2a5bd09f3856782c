"""Small helpers the views share."""

from __future__ import annotations

from flask import abort, current_app, flash, request
from flask_sqlalchemy.pagination import SelectPagination
from flask_wtf import FlaskForm

from pilots.services.errors import Forbidden, NotFound, ServiceError


def apply_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Show a refused change next to the field it concerns, or at the top of the form."""
    abort_for(error)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)] if isinstance(field.errors, list) else [str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def abort_for(error: ServiceError) -> None:
    """Errors that are not about the input end the request: 404 for a missing object, 403 for a refusal."""
    if isinstance(error, NotFound):
        abort(404)
    if isinstance(error, Forbidden):
        abort(403)


def flash_service_error(error: ServiceError) -> None:
    abort_for(error)
    flash(str(error.message), "danger")


MAX_PAGE = 100_000


def page_argument() -> int:
    """The ``page`` query argument, from 1 to MAX_PAGE whatever was typed."""
    try:
        page = int(request.args.get("page", 1))
    except ValueError:
        return 1
    return min(max(page, 1), MAX_PAGE)


def page_size() -> int:
    return current_app.config["PAGE_SIZE"]


class RowPagination(SelectPagination):
    """Like ``db.paginate``, but for selects of several columns: items are rows, not first-column scalars."""

    def _query_items(self) -> list:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())


def paginate_rows(select, page: int, per_page: int) -> RowPagination:
    from pilots.extensions import db

    return RowPagination(select=select, session=db.session(), page=page, per_page=per_page, error_out=False)
