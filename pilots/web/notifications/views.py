"""The notification centre: the signed-in user's notifications, how they hear of each kind, what they follow."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField

from pilots.extensions import db
from pilots.models import Delivery
from pilots.security.access import SIGNED_IN, allow
from pilots.services import challenges, notifications
from pilots.services.notifications import KINDS, Kind
from pilots.web.forms import ConfirmForm, choices
from pilots.web.support import button_action, form_status, page_argument, page_size

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

DELIVERY_LABELS = {
    Delivery.IMMEDIATELY: _l("In the app and by e-mail at once"),
    Delivery.DAILY: _l("In the app and in a daily e-mail"),
    Delivery.OFF: _l("Not at all"),
}


def preferences_form(current: dict[Kind, Delivery]) -> FlaskForm:
    """A form with one choice per kind (its field is named after the kind)."""

    class PreferencesForm(FlaskForm):
        submit = SubmitField(_l("Save preferences"))

    for kind in Kind:
        field = SelectField(
            KINDS[kind].label,
            choices=choices((d.value, DELIVERY_LABELS[d]) for d in Delivery),
            default=current[kind].value,
        )
        setattr(PreferencesForm, kind.value, field)
    return PreferencesForm()


@bp.get("")
@allow(SIGNED_IN)
def index():
    pagination = db.paginate(notifications.list_query(current_user), page=page_argument(), per_page=page_size(), error_out=False)
    return render_template("notifications/index.html", pagination=pagination, text=notifications.text, confirm=ConfirmForm())


@bp.post("/read")
@allow(SIGNED_IN)
def mark_all_read():
    button_action(lambda: notifications.mark_read(current_user), _("Everything is marked read."))
    return redirect(url_for("notifications.index"))


@bp.post("/<int:notification_id>/read")
@allow(SIGNED_IN)
def mark_read(notification_id: int):
    button_action(lambda: notifications.mark_read(current_user, notification_id), _("Marked read."))
    return redirect(url_for("notifications.index", page=request.args.get("page", type=int) or None))


@bp.route("/preferences", methods=["GET", "POST"])
@allow(SIGNED_IN)
def preferences():
    form = preferences_form(notifications.preferences(current_user))
    if form.validate_on_submit():
        notifications.set_preferences(current_user, {kind: Delivery(form[kind.value].data) for kind in Kind})
        flash(_("Your preferences are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form), form_status(form)


@bp.post("/follow/challenge/<int:challenge_id>")
@allow(SIGNED_IN)
def follow_challenge(challenge_id: int):
    challenge = challenges.get_visible(challenge_id, current_user)  # none such or not visible: 404
    following = request.form.get("follow") == "1"
    button_action(
        lambda: notifications.follow(current_user, challenge, following),
        _("You follow this challenge.") if following else _("You no longer follow this challenge."),
    )
    return redirect(url_for("challenges.detail", challenge_id=challenge.id))
