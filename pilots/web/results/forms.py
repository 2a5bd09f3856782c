"""The steering committee's confirmation of a round's selection."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxesField(SelectMultipleField):
    """Several choices as a group of checkboxes (templates/results/detail.html renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConfirmSelectionForm(FlaskForm):
    selected = CheckboxesField(
        _l("Challenges that become pilots"),
        coerce=int,
        description=_l("Pre-checked: the selection the ranking computed."),
    )
    justification = TextAreaField(
        _l("Justification"),
        validators=[Optional(), Length(max=5000)],
        description=_l(
            "Required when the committee's selection differs from the computed one (at least 20 characters). "
            "It is shown with the results to everyone signed in."
        ),
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Confirm the selection"))
