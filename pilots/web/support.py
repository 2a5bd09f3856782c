"""Small helpers the views share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from flask import abort, current_app, flash, request
from flask_babel.speaklater import LazyString
from flask_sqlalchemy.pagination import SelectPagination
from flask_wtf import FlaskForm

from pilots.services.errors import Forbidden, NotFound, ServiceError

T = TypeVar("T")


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


def submit_form(form: FlaskForm, action: Callable[[], T], success: str | Callable[[T], str]) -> T | None:
    """The common shape of a form post: validate, run the service, flash on success.

    Returns the service's result (or True when it returns nothing) when the change was saved; None when the
    form was invalid or the service refused the change, whose message then sits next to its field.
    """
    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except ServiceError as error:
        apply_service_error(form, error)
        return None
    flash(success(result) if callable(success) else success, "success")
    return True if result is None else result  # type: ignore[return-value]


def button_action(action: Callable[[], object], success: str) -> None:
    """A state-changing button (an empty form with its CSRF token): run the service, flash the outcome."""
    from pilots.web.forms import ConfirmForm

    if ConfirmForm().validate_on_submit():
        run_and_flash(action, success)


def run_and_flash(action: Callable[[], object], success: str) -> None:
    """Run the service; flash ``success``, or the refusal (a missing object or a forbidden act ends the request)."""
    try:
        action()
    except ServiceError as error:
        flash_service_error(error)
    else:
        flash(success, "success")


def form_status(*forms: FlaskForm) -> int:
    """400 when a form comes back with errors, else 200."""
    return 400 if any(form.errors for form in forms) else 200


def translated(labels: Mapping) -> dict:
    """The labels (lazy texts, possibly in nested mappings) as plain text in the current language.

    A lazy text is translated again each time a template prints it; a page that prints a status label for
    every option of every milestone (thousands on a large pilot) is much faster with each one translated once.
    """
    return {
        key: translated(value) if isinstance(value, Mapping) else str(value) if isinstance(value, LazyString) else value
        for key, value in labels.items()
    }
