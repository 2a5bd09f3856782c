"""Forms shared by every blueprint."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired

from pilots.web.templating import LANGUAGE_NAMES


class LanguageForm(FlaskForm):
    language = SelectField(choices=list(LANGUAGE_NAMES.items()), validators=[InputRequired()])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """An empty form for buttons that change state: it carries the CSRF token."""
