from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from pilots.models import CityKind, CityRole
from pilots.web.auth.forms import min_password_length
from pilots.web.forms import choices
from pilots.web.templating import CITY_KIND_LABELS, CITY_ROLE_LABELS, LANGUAGE_NAMES


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    email = EmailField(_l("Email address"), validators=[InputRequired(), Email(check_deliverability=False), Length(max=254)])
    locale = SelectField(_l("Language"), choices=choices(LANGUAGE_NAMES.items()), default="nl")
    is_steering = BooleanField(_l("Member of the steering committee"))
    is_admin = BooleanField(_l("Administrator"))
    version = HiddenField()
    submit = SubmitField(_l("Save"))


class NewUserForm(UserForm):
    invite = BooleanField(
        _l("Send an invitation e-mail"),
        description=_l("The person receives a link to choose their own password; leave the password empty."),
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[Optional(), min_password_length, Length(max=200)],
        description=_l(
            "Without an invitation: give it to the person through a separate channel; they can change it under My account."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    city_id = SelectField(
        _l("City"), coerce=int, validators=[Optional()], description=_l("Optional: the city this person works for.")
    )
    role = SelectField(
        _l("Role in the city"), choices=choices((r.value, CITY_ROLE_LABELS[r]) for r in CityRole), default=CityRole.VOTER.value
    )
    submit = SubmitField(_l("Create account"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        invited = self.invite is not None and self.invite.data  # the view removes the choice when no e-mail is sent
        if not invited and not self.password.data:
            self.password.errors.append(_l("Type an initial password, or send an invitation e-mail."))
            return False
        if invited and self.password.data:
            self.password.errors.append(_l("Leave the password empty: the invitation lets the person choose it."))
            return False
        return valid


class MembershipForm(FlaskForm):
    city_id = SelectField(_l("City"), coerce=int, validators=[InputRequired()])
    role = SelectField(_l("Role in the city"), choices=choices((r.value, CITY_ROLE_LABELS[r]) for r in CityRole))
    submit = SubmitField(_l("Add or change role"))


class PasswordResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(), min_password_length, Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set password"))


class CityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)])
    slug = StringField(
        _l("Slug"),
        validators=[
            InputRequired(),
            Length(max=64),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Use lower-case letters, digits and single hyphens, like sint-niklaas.")
            ),
        ],
        description=_l("Used in addresses and demo accounts, like sint-niklaas."),
    )
    nis_code = StringField(
        _l("NIS code"),
        validators=[Optional(), Regexp(r"^\d{5}$", message=_l("A NIS code has five digits."))],
        description=_l("Five digits; leave empty for the VGC."),
    )
    province = StringField(_l("Province"), validators=[Length(max=64)])
    kind = SelectField(
        _l("Kind"), choices=choices((k.value, CITY_KIND_LABELS[k]) for k in CityKind), default=CityKind.CENTRUMSTAD.value
    )
    active = BooleanField(_l("Active in the programme"), default=True)
    version = HiddenField()
    submit = SubmitField(_l("Save"))


def parse_version(raw: str | None) -> int:
    """The version the form was opened at; a missing or mangled one counts as stale (-1)."""
    try:
        return int(raw) if raw else -1
    except ValueError:
        return -1
