"""Forms shared by every blueprint."""

from __future__ import annotations

import math
import sys

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, validators
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from pilots.web.templating import LANGUAGE_NAMES


class NumberRange(validators.NumberRange):
    """WTForms' NumberRange, also for a whole number too large for a float: WTForms' own raises OverflowError on
    one (``math.isnan``), which made a 400-digit number typed in a form a 500."""

    def __call__(self, form, field) -> None:
        if isinstance(field.data, int) and abs(field.data) > sys.float_info.max:
            field.data = math.inf if field.data > 0 else -math.inf  # out of any range, with WTForms' own message
        super().__call__(form, field)


def choices(pairs) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class LanguageForm(FlaskForm):
    language = SelectField(choices=choices(LANGUAGE_NAMES.items()), validators=[InputRequired()])
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """An empty form for buttons that change state: it carries the CSRF token."""
