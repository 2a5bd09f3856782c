"""Administration: accounts and their roles, cities, and the audit log."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from pilots.extensions import db
from pilots.models import AuditEvent, City, CityKind, CityRole, User
from pilots.security.access import ADMIN, allow
from pilots.services import account_links, accounts, cities
from pilots.services.accounts import UserData
from pilots.services.cities import CityData
from pilots.services.errors import ServiceError
from pilots.web.admin.forms import CityForm, MembershipForm, NewUserForm, PasswordResetForm, UserForm, parse_version
from pilots.web.forms import ConfirmForm, choices
from pilots.web.labels import audit_label
from pilots.web.support import (
    apply_service_error,
    button_action,
    flash_service_error,
    form_status,
    page_argument,
    page_size,
    run_and_flash,
    submit_form,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _city_choices(blank: bool = False) -> list:
    pairs = [(city.id, city.name) for city in cities.list_cities()]
    return choices([(0, "—"), *pairs] if blank else pairs)


def _user_data(form: UserForm) -> UserData:
    return UserData(
        email=form.email.data,
        name=form.name.data,
        locale=form.locale.data,
        is_admin=form.is_admin.data,
        is_steering=form.is_steering.data,
    )


@bp.get("/")
@allow(ADMIN)
def index():
    counts = {
        "users": db.session.scalar(select(func.count(User.id))),
        "active_users": db.session.scalar(select(func.count(User.id)).where(User.active.is_(True))),
        "cities": db.session.scalar(select(func.count(City.id))),
    }
    recent = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(10)).all()
    return render_template("admin/index.html", counts=counts, recent=recent)


@bp.get("/users")
@allow(ADMIN)
def users():
    query_text = request.args.get("q", "").strip()[:100]
    query = select(User).options(selectinload(User.memberships)).order_by(func.lower(User.name), User.id)
    if query_text:
        pattern = f"%{query_text.lower()}%"
        query = query.where(or_(func.lower(User.name).like(pattern), func.lower(User.email).like(pattern)))
    pagination = db.paginate(query, page=page_argument(), per_page=page_size(), error_out=False)
    return render_template("admin/users.html", pagination=pagination, q=query_text, confirm=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
@allow(ADMIN)
def new_user():
    form = NewUserForm()
    form.city_id.choices = _city_choices(blank=True)
    can_invite = account_links.can_send_email()
    if not can_invite:
        del form.invite
    if form.validate_on_submit():
        memberships = ((form.city_id.data, CityRole(form.role.data)),) if form.city_id.data else ()
        invite = can_invite and form.invite.data
        try:
            user = accounts.create_user(
                current_user,
                _user_data(form),
                None if invite else form.password.data,
                current_app.config["PASSWORD_MIN_LENGTH"],
                memberships,
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("Account %(email)s created.", email=user.email), "success")
            if invite:
                run_and_flash(
                    lambda: account_links.invite(current_user, user.id),
                    _("The invitation is on its way to %(email)s.", email=user.email),
                )
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_new.html", form=form), form_status(form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(ADMIN)
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(user.version)
    if submit_form(
        form,
        lambda: accounts.update_user(current_user, user.id, _user_data(form), parse_version(form.version.data)),
        _("Account saved."),
    ):
        return redirect(url_for("admin.edit_user", user_id=user.id))
    membership_form = MembershipForm()
    membership_form.city_id.choices = _city_choices()
    return _render_user(user, form, membership_form, PasswordResetForm())


def _render_user(user: User, form: UserForm, membership_form: MembershipForm, password_form: PasswordResetForm):
    has_errors = bool(form.errors or membership_form.errors or password_form.errors)
    return render_template(
        "admin/user_edit.html",
        user=user,
        form=form,
        membership_form=membership_form,
        password_form=password_form,
        confirm=ConfirmForm(),
        can_invite=account_links.can_send_email() and user.active,
    ), 400 if has_errors else 200


@bp.post("/users/<int:user_id>/memberships")
@allow(ADMIN)
def add_membership(user_id: int):
    user = db.get_or_404(User, user_id)
    membership_form = MembershipForm()
    membership_form.city_id.choices = _city_choices()
    if submit_form(
        membership_form,
        lambda: accounts.set_membership(current_user, user.id, membership_form.city_id.data, CityRole(membership_form.role.data)),
        _("Role saved."),
    ):
        return redirect(url_for("admin.edit_user", user_id=user.id))
    form = UserForm(obj=user)
    form.version.data = str(user.version)
    return _render_user(user, form, membership_form, PasswordResetForm(formdata=None))


@bp.post("/users/<int:user_id>/memberships/<int:membership_id>/delete")
@allow(ADMIN)
def remove_membership(user_id: int, membership_id: int):
    user = db.get_or_404(User, user_id)
    button_action(lambda: accounts.remove_membership(current_user, user.id, membership_id), _("Role removed."))
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/password")
@allow(ADMIN)
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    password_form = PasswordResetForm()
    if submit_form(
        password_form,
        lambda: accounts.reset_password(
            current_user, user.id, password_form.password.data, current_app.config["PASSWORD_MIN_LENGTH"]
        ),
        _("Password set."),
    ):
        return redirect(url_for("admin.edit_user", user_id=user.id))
    form = UserForm(obj=user)
    form.version.data = str(user.version)
    membership_form = MembershipForm(formdata=None)
    membership_form.city_id.choices = _city_choices()
    return _render_user(user, form, membership_form, password_form)


@bp.post("/users/<int:user_id>/invitation")
@allow(ADMIN)
def invite(user_id: int):
    """(Re)send the invitation e-mail: the owner chooses a password through its link."""
    user = db.get_or_404(User, user_id)
    button_action(
        lambda: account_links.invite(current_user, user.id),
        _("The invitation is on its way to %(email)s.", email=user.email),
    )
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@allow(ADMIN)
def set_active(user_id: int):
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        activate = request.form.get("active") == "1"
        try:
            accounts.set_active(current_user, user.id, activate)
        except ServiceError as error:
            flash_service_error(error)
        else:
            flash(_("Account activated.") if activate else _("Account deactivated."), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.get("/cities")
@allow(ADMIN)
def city_list():
    member_counts = dict(
        db.session.execute(
            select(City.id, func.count(User.id)).join(City.memberships, isouter=True).join(User, isouter=True).group_by(City.id)
        ).all()
    )
    return render_template("admin/cities.html", cities=cities.list_cities(), member_counts=member_counts)


def _city_data(form: CityForm) -> CityData:
    return CityData(
        name=form.name.data,
        slug=form.slug.data,
        nis_code=form.nis_code.data,
        province=form.province.data or "",  # an optional field left out of the post is None
        kind=CityKind(form.kind.data),
        active=form.active.data,
    )


@bp.route("/cities/new", methods=["GET", "POST"])
@allow(ADMIN)
def new_city():
    form = CityForm()
    city = submit_form(
        form, lambda: cities.create_city(current_user, _city_data(form)), lambda city: _("City %(name)s created.", name=city.name)
    )
    if city:
        return redirect(url_for("admin.city_list"))
    return render_template("admin/city_form.html", form=form, city=None), form_status(form)


@bp.route("/cities/<int:city_id>", methods=["GET", "POST"])
@allow(ADMIN)
def edit_city(city_id: int):
    city = db.get_or_404(City, city_id)
    form = CityForm(obj=city if request.method == "GET" else None)
    if request.method == "GET":
        form.version.data = str(city.version)
        form.kind.data = city.kind.value
    if submit_form(
        form,
        lambda: cities.update_city(current_user, city.id, _city_data(form), parse_version(form.version.data)),
        _("City saved."),
    ):
        return redirect(url_for("admin.city_list"))
    return render_template("admin/city_form.html", form=form, city=city), form_status(form)


@bp.get("/audit")
@allow(ADMIN)
def audit_log():
    action = request.args.get("action", "").strip()[:64]
    object_type = request.args.get("object_type", "").strip()[:64]
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    pagination = db.paginate(query, page=page_argument(), per_page=50, error_out=False)
    recorded = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    actions = sorted(recorded, key=lambda name: (audit_label(name), name))  # in the order of what they say
    return render_template("admin/audit.html", pagination=pagination, action=action, object_type=object_type, actions=actions)
