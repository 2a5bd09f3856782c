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
from pilots.services import challenges, notifications, voting, workspaces
from pilots.services.notifications import KINDS, Kind, Subject
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


#: What can be followed: how to load it for the signed-in user (404 when it does not exist or they may not see
#: it), where its page is, and what the button's answer says.
FOLLOWABLE = {
    Subject.CHALLENGE: (
        lambda item_id: challenges.get_visible(item_id, current_user),
        lambda item: url_for("challenges.detail", challenge_id=item.id),
        (_l("You follow this challenge."), _l("You no longer follow this challenge.")),
    ),
    Subject.ROUND: (
        voting.get_round,
        lambda item: url_for("rounds.detail", round_id=item.id),
        (_l("You follow this round."), _l("You no longer follow this round.")),
    ),
    Subject.PILOT: (
        workspaces.get_pilot,
        lambda item: url_for("workspaces.detail", pilot_id=item.id),
        (_l("You follow this pilot."), _l("You no longer follow this pilot.")),
    ),
}


@bp.post("/follow/<any(challenge, round, pilot):subject>/<int:subject_id>")
@allow(SIGNED_IN)
def follow(subject: str, subject_id: int):
    load, page, (followed, unfollowed) = FOLLOWABLE[Subject(subject)]
    item = load(subject_id)
    following = request.form.get("follow") == "1"
    button_action(lambda: notifications.follow(current_user, item, following), str(followed if following else unfollowed))
    return redirect(page(item))
