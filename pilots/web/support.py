"""Small helpers the views share."""

from __future__ import annotations

from flask import abort, current_app, flash, request
from flask_wtf import FlaskForm

from pilots.services.errors import NotFound, ServiceError


def apply_service_error(form: FlaskForm, error: ServiceError) -> None:
    """Show a refused change next to the field it concerns, or at the top of the form."""
    if isinstance(error, NotFound):
        abort(404)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)] if isinstance(field.errors, list) else [str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def flash_service_error(error: ServiceError) -> None:
    if isinstance(error, NotFound):
        abort(404)
    flash(str(error.message), "danger")


def page_argument() -> int:
    try:
        page = int(request.args.get("page", 1))
    except ValueError:
        return 1
    return max(page, 1)


def page_size() -> int:
    return current_app.config["PAGE_SIZE"]
