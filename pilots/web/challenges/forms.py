from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from pilots.models import Availability
from pilots.vocabularies import FREQUENCIES, LICENCES, THEMES
from pilots.web.forms import choices
from pilots.web.labels import FILE_TYPE_LABELS

AVAILABILITY_LABELS = {
    Availability.NOT_COLLECTED: _l("Not collected yet"),
    Availability.INTERNAL: _l("Exists, internal only"),
    Availability.OPEN: _l("Published as open data"),
}
MARKDOWN_HELP = _l("You can use Markdown: **bold**, *italic*, lists, [links](https://example.org).")


NOT_KNOWN = _l("— not known —")
EFFORT_HELP = _l(
    "Optional: what the pilot would take, in the unit of the year's round, with at most 2 decimals. "
    "A round with a capacity needs it for every challenge on its ballot."
)


def _blank(pairs):
    return choices([("", NOT_KNOWN), *pairs])


class ChallengeForm(FlaskForm):
    city_id = SelectField(_l("Proposing city"), coerce=int, validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=160)])
    summary = TextAreaField(
        _l("Summary"),
        validators=[InputRequired(), Length(max=500)],
        description=_l("One or two sentences: the problem and who has it."),
        render_kw={"rows": 2},
    )
    description = TextAreaField(
        _l("Problem description"), validators=[Length(max=20_000)], description=MARKDOWN_HELP, render_kw={"rows": 8}
    )
    theme = SelectField(_l("Theme"), choices=choices(THEMES.items()), validators=[InputRequired()])
    expected_impact = TextAreaField(
        _l("Expected impact"),
        validators=[Length(max=5_000)],
        description=_l("What changes for citizens or the city when the data is there?"),
        render_kw={"rows": 3},
    )
    year = SelectField(
        _l("Year"), coerce=int, validators=[InputRequired()], description=_l("The yearly round this challenge is proposed for.")
    )
    version = HiddenField()
    submit = SubmitField(_l("Save"))


class DatasetForm(FlaskForm):
    title = StringField(_l("Dataset title"), validators=[InputRequired(), Length(max=160)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10_000)], render_kw={"rows": 3})
    holder_city_id = SelectField(_l("Held by a city"), coerce=int, validators=[Optional()])
    holder_name = StringField(
        _l("…or held by an organisation"),
        validators=[Length(max=160)],
        description=_l("For example De Lijn, a parking operator or a Flemish agency."),
    )
    availability = SelectField(_l("Availability"), choices=choices((a.value, AVAILABILITY_LABELS[a]) for a in Availability))
    url = StringField(
        _l("Web address (URL)"),
        validators=[Length(max=500)],
        description=_l("Where the data or its description can be found, if anywhere."),
        render_kw={"inputmode": "url"},
    )
    file_type = SelectField(_l("Format"), choices=_blank(FILE_TYPE_LABELS.items()))
    licence = SelectField(_l("Licence"), choices=_blank(LICENCES.items()))
    frequency = SelectField(_l("Update frequency"), choices=_blank(FREQUENCIES.items()))
    realtime = BooleanField(_l("Real-time data"))
    standard = StringField(
        _l("Data standard or vocabulary"), validators=[Length(max=120)], description=_l("For example DATEX II or an OSLO model.")
    )
    version = HiddenField()
    submit = SubmitField(_l("Save dataset"))


class CoSponsorForm(FlaskForm):
    city_id = SelectField(_l("Co-sponsor for"), coerce=int, validators=[InputRequired()])
    note = StringField(
        _l("Note (optional)"),
        validators=[Length(max=500)],
        description=_l("For example: we have the same problem in our city centre."),
    )
    submit = SubmitField(_l("Co-sponsor"))


class WithdrawCoSponsorForm(FlaskForm):
    city_id = HiddenField(validators=[InputRequired()])
    submit = SubmitField(_l("Withdraw co-sponsorship"))


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"), validators=[InputRequired(), Length(max=5_000)], description=MARKDOWN_HELP, render_kw={"rows": 3}
    )
    version = HiddenField()
    submit = SubmitField(_l("Post comment"))


class HideCommentForm(FlaskForm):
    reason = StringField(_l("Reason for hiding"), validators=[InputRequired(), Length(max=500)])
    submit = SubmitField(_l("Hide comment"))


class ScreeningForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=choices([("eligible", _l("Eligible")), ("ineligible", _l("Not eligible"))]),
        validators=[InputRequired()],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[Length(max=2_000)],
        description=_l("Required when not eligible; the proposing city sees it."),
        render_kw={"rows": 2},
    )
    # Text, not a FloatField: the service reads "2,5" as well as "2.5" and says what is wrong next to the field.
    effort = StringField(
        _l("Estimated effort"),
        validators=[Optional()],
        description=EFFORT_HELP,
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    # The effort as stored when the form was opened: a change another committee member made since is detected.
    effort_seen = HiddenField()
    submit = SubmitField(_l("Save screening"))
