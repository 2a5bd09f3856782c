from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(), Length(max=254)], render_kw={"autocomplete": "username"})
    password = PasswordField(
        _l("Password"), validators=[InputRequired(), Length(max=200)], render_kw={"autocomplete": "current-password"}
    )
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


def min_password_length(form, field) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(field.data or "") < minimum:
        raise ValidationError(_l("Use at least %(n)d characters.", n=minimum))


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    """A new password and its repetition, made where a form declares them (so they keep their place in it)."""
    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(), min_password_length, Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired()], render_kw={"autocomplete": "current-password"}
    )
    password, confirm = new_password_fields()
    submit = SubmitField(_l("Change password"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired(), Length(max=254)], render_kw={"autocomplete": "username"})
    submit = SubmitField(_l("Send me a link"))


class ChoosePasswordForm(FlaskForm):
    password, confirm = new_password_fields()
    submit = SubmitField(_l("Save my password"))
