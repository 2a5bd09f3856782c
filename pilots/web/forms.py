"""Forms shared by every blueprint."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from pilots.web.templating import LANGUAGE_NAMES


def choices(pairs) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class LanguageForm(FlaskForm):
    language = SelectField(choices=choices(LANGUAGE_NAMES.items()), validators=[InputRequired()])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """An empty form for buttons that change state: it carries the CSRF token."""
