from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FloatField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from pilots.models import MilestoneStatus, ParticipantRole, PilotStatus, Stage
from pilots.vocabularies import FREQUENCIES, LICENCES, OPEN_LICENCES, THEMES
from pilots.web.forms import choices
from pilots.web.labels import FILE_TYPE_LABELS

PILOT_STATUS_LABELS = {
    PilotStatus.PLANNED: _l("Planned"),
    PilotStatus.ACTIVE: _l("Active"),
    PilotStatus.COMPLETED: _l("Completed"),
    PilotStatus.CANCELLED: _l("Cancelled"),
}
ROLE_LABELS = {
    ParticipantRole.LEAD: _l("Lead"),
    ParticipantRole.PARTICIPANT: _l("Participant"),
    ParticipantRole.OBSERVER: _l("Observer"),
}
STAGE_LABELS = {
    Stage.INTERESTED: _l("Interested"),
    Stage.COMMITTED: _l("Committed"),
    Stage.PUBLISHING: _l("Publishing"),
    Stage.PUBLISHED: _l("Published"),
    Stage.WITHDRAWN: _l("Withdrawn"),
}
MILESTONE_LABELS = {
    MilestoneStatus.PLANNED: _l("Planned"),
    MilestoneStatus.IN_PROGRESS: _l("In progress"),
    MilestoneStatus.DONE: _l("Done"),
    MilestoneStatus.BLOCKED: _l("Blocked"),
}


class PilotForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=160)])
    goal = TextAreaField(_l("Goal"), validators=[Length(max=10_000)], render_kw={"rows": 4})
    lead_city_id = SelectField(_l("Lead city"), coerce=int, validators=[Optional()])
    status = SelectField(_l("Status"), choices=choices((s.value, PILOT_STATUS_LABELS[s]) for s in PilotStatus))
    start_date = DateField(_l("Start"), validators=[Optional()])
    end_date = DateField(_l("End"), validators=[Optional()])
    version = HiddenField()
    submit = SubmitField(_l("Save"))


class LeadForm(FlaskForm):
    email = EmailField(_l("Email address of the new lead"), validators=[InputRequired(), Length(max=254)])
    submit = SubmitField(_l("Add lead"))


class JoinForm(FlaskForm):
    city_id = SelectField(_l("City"), coerce=int, validators=[InputRequired()])
    role = SelectField(
        _l("Role"), choices=choices((r.value, ROLE_LABELS[r]) for r in (ParticipantRole.PARTICIPANT, ParticipantRole.OBSERVER))
    )
    submit = SubmitField(_l("Ask to join"))


class InviteForm(FlaskForm):
    city_id = SelectField(_l("City"), coerce=int, validators=[InputRequired()])
    role = SelectField(_l("Role"), choices=choices((r.value, ROLE_LABELS[r]) for r in ParticipantRole))
    submit = SubmitField(_l("Add city"))


class StageForm(FlaskForm):
    stage = SelectField(_l("Stage"), choices=choices((s.value, STAGE_LABELS[s]) for s in Stage))
    changed_on = DateField(_l("Since"), validators=[Optional()])
    submit = SubmitField(_l("Save stage"))


class MilestoneForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=160)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)], render_kw={"rows": 2})
    start_date = DateField(_l("Start"), validators=[Optional()])
    due_date = DateField(_l("Due date"), validators=[InputRequired()])
    per_city = BooleanField(
        _l("Per city: each participating city has its own status"),
        description=_l("For example: each city publishes its real-time parking data."),
    )
    weight = FloatField(_l("Weight in the pilot's progress"), default=1.0, validators=[InputRequired()])
    version = HiddenField()
    submit = SubmitField(_l("Save milestone"))


class MilestoneStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=choices((s.value, MILESTONE_LABELS[s]) for s in MilestoneStatus))
    city_id = HiddenField()
    reason = StringField(_l("What blocks it?"), validators=[Length(max=500)])
    completed_on = DateField(_l("Done on"), validators=[Optional()])
    submit = SubmitField(_l("Update"))


class DatasetForm(FlaskForm):
    city_id = SelectField(_l("Publishing city"), coerce=int, validators=[InputRequired()])
    title_nl = StringField(_l("Title (Dutch)"), validators=[InputRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Length(max=200)])
    description_nl = TextAreaField(_l("Description (Dutch)"), validators=[Length(max=10_000)], render_kw={"rows": 2})
    description_en = TextAreaField(_l("Description (English)"), validators=[Length(max=10_000)], render_kw={"rows": 2})
    access_url = StringField(
        _l("Access URL"),
        validators=[InputRequired(), Length(max=500)],
        render_kw={"inputmode": "url"},
        description=_l("Where the data (or its API) answers; this is what the conformance check fetches."),
    )
    download_url = StringField(_l("Download URL"), validators=[Length(max=500)], render_kw={"inputmode": "url"})
    file_type = SelectField(_l("Format"), choices=choices(FILE_TYPE_LABELS.items()))
    licence = SelectField(_l("Licence"), choices=choices((uri, label) for uri, label in LICENCES.items() if uri in OPEN_LICENCES))
    theme = SelectField(_l("Theme"), choices=choices(THEMES.items()))
    frequency = SelectField(_l("Update frequency"), choices=choices(FREQUENCIES.items()), default="UNKNOWN")
    realtime = BooleanField(_l("Real-time data"))
    conforms_to = StringField(
        _l("Conforms to (standard)"), validators=[Length(max=200)], description=_l("For example DATEX II or an OSLO model.")
    )
    keywords = StringField(_l("Keywords"), validators=[Length(max=500)], description=_l("Separated by commas."))
    contact_email = EmailField(_l("Contact email"), validators=[InputRequired(), Length(max=254)])
    issued = DateField(_l("Issued on"), validators=[Optional()])
    language = SelectField(
        _l("Language of the data"),
        choices=choices([("nl", "Nederlands"), ("en", "English"), ("fr", "Français"), ("de", "Deutsch")]),
    )
    version = HiddenField()
    submit = SubmitField(_l("Save dataset"))


class UpdateForm(FlaskForm):
    body = TextAreaField(
        _l("Post an update"),
        validators=[InputRequired(), Length(max=5000)],
        render_kw={"rows": 3},
        description=_l("Markdown is allowed."),
    )
    submit = SubmitField(_l("Post"))
