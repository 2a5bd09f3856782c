"""Administrators manage accounts, their roles in cities, and the cities themselves."""

from __future__ import annotations

from sqlalchemy import func, select

from pilots.models import AuditEvent, City, CityRole, Membership, User
from tests import factories
from tests.conftest import PASSWORD, count_queries


def _user(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def _actions(session) -> list[str]:
    return session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


NEW_USER = {
    "name": "Nora Nieuw",
    "email": "nora@example.org",
    "locale": "en",
    "password": "long-enough-pw",
    "city_id": "0",
    "role": "voter",
}


class TestCreateUser:
    def test_create_with_a_city_role(self, admin_client, in_app):
        with in_app():
            gent_id = factories.city("gent").id
        response = admin_client.post(
            "/admin/users/new", data={**NEW_USER, "city_id": str(gent_id), "is_steering": "y"}, follow_redirects=True
        )
        assert response.status_code == 200
        assert "Account nora@example.org aangemaakt." in response.text
        with in_app() as session:
            user = _user(session, "nora@example.org")
            assert user.is_steering and not user.is_admin and user.locale == "en"
            assert user.role_in(gent_id) is CityRole.VOTER
            assert user.check_password("long-enough-pw")
            assert user.password_hash != "long-enough-pw"
            event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
            assert event.actor.email == "admin@example.org"
            assert event.details["memberships"] == [{"city_id": gent_id, "role": "voter"}]

    def test_duplicate_email_keeps_what_was_typed(self, admin_client, make_user, in_app):
        make_user("nora@example.org")
        response = admin_client.post("/admin/users/new", data={**NEW_USER, "email": "NORA@example.org"})
        assert response.status_code == 400
        assert "Een ander account gebruikt dit e-mailadres al." in response.text
        assert 'value="Nora Nieuw"' in response.text
        with in_app() as session:
            assert session.scalar(select(func.count(User.id))) == 2

    def test_bad_input_messages(self, admin_client):
        response = admin_client.post(
            "/admin/users/new", data={**NEW_USER, "email": "not-an-email", "password": "short", "name": ""}
        )
        assert response.status_code == 400
        assert "Gebruik minstens 10 tekens." in response.text
        assert response.text.count('aria-invalid="true"') == 3

    def test_malformed_choice_is_a_message_not_a_crash(self, admin_client):
        response = admin_client.post("/admin/users/new", data={**NEW_USER, "city_id": "gent", "role": "king"})
        assert response.status_code == 400
        assert response.text.count('aria-invalid="true"') == 2  # the city and the role, each with its message
        assert 'id="city_id-error"' in response.text and 'id="role-error"' in response.text
        assert f'value="{NEW_USER["email"]}"' in response.text  # what was typed stays


class TestEditUser:
    def test_edit_and_audit(self, admin_client, make_user, in_app):
        user_id = make_user("edit@example.org", name="Old Name")
        page = admin_client.get(f"/admin/users/{user_id}")
        assert 'name="version" type="hidden" value="1"' in page.text
        response = admin_client.post(
            f"/admin/users/{user_id}",
            data={"name": "New Name", "email": "edit@example.org", "locale": "nl", "is_admin": "y", "version": "1"},
        )
        assert response.status_code == 302
        with in_app() as session:
            user = session.get(User, user_id)
            assert user.name == "New Name" and user.is_admin and user.version == 2
            event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.updated"))
            assert event.details["changes"]["name"] == {"from": "Old Name", "to": "New Name"}

    def test_stale_edit_is_refused(self, admin_client, make_user, in_app):
        user_id = make_user("edit@example.org", name="Original")
        with in_app():  # somebody else saves first
            from pilots.services.accounts import UserData, update_user

            update_user(None, user_id, UserData(email="edit@example.org", name="Saved by somebody else"), expected_version=1)
        response = admin_client.post(
            f"/admin/users/{user_id}", data={"name": "My change", "email": "edit@example.org", "locale": "nl", "version": "1"}
        )
        assert response.status_code == 400
        assert "Iemand anders heeft dit intussen bewaard." in response.text
        assert 'value="My change"' in response.text  # what the user typed is kept
        with in_app() as session:
            assert session.get(User, user_id).name == "Saved by somebody else"

    def test_a_sign_in_does_not_make_the_form_stale(self, admin_client, app, make_user):
        user_id = make_user("busy@example.org", name="Busy")
        admin_client.get(f"/admin/users/{user_id}")  # the form is opened at version 1
        other = app.test_client()
        other.post("/login", data={"email": "busy@example.org", "password": PASSWORD, "csrf_token": other.csrf_token()})
        response = admin_client.post(
            f"/admin/users/{user_id}", data={"name": "Busy Bee", "email": "busy@example.org", "locale": "nl", "version": "1"}
        )
        assert response.status_code == 302

    def test_mangled_version_counts_as_stale(self, admin_client, make_user):
        user_id = make_user("edit@example.org")
        response = admin_client.post(
            f"/admin/users/{user_id}", data={"name": "X", "email": "edit@example.org", "locale": "nl", "version": "abc"}
        )
        assert response.status_code == 400

    def test_last_admin_cannot_lose_the_role(self, admin_client, in_app):
        with in_app() as session:
            admin = _user(session, "admin@example.org")
            admin_id, version = admin.id, admin.version
        response = admin_client.post(
            f"/admin/users/{admin_id}",
            data={"name": "Ada", "email": "admin@example.org", "locale": "nl", "version": str(version)},
        )
        assert response.status_code == 400
        assert "minstens één actieve beheerder" in response.text

    def test_unknown_user_is_404(self, admin_client):
        assert admin_client.get("/admin/users/999").status_code == 404
        assert admin_client.post("/admin/users/999/active", data={"active": "0"}).status_code == 404


class TestActivation:
    def test_deactivate_and_activate(self, admin_client, make_user, in_app):
        user_id = make_user("x@example.org")
        response = admin_client.post(f"/admin/users/{user_id}/active", data={"active": "0"}, follow_redirects=True)
        assert "Account gedeactiveerd." in response.text
        admin_client.post(f"/admin/users/{user_id}/active", data={"active": "1"})
        with in_app() as session:
            assert session.get(User, user_id).active
            assert _actions(session)[-2:] == ["user.deactivated", "user.activated"]

    def test_cannot_deactivate_yourself(self, admin_client, in_app):
        with in_app() as session:
            admin_id = _user(session, "admin@example.org").id
        response = admin_client.post(f"/admin/users/{admin_id}/active", data={"active": "0"}, follow_redirects=True)
        assert "Je kunt je eigen account niet deactiveren." in response.text
        with in_app() as session:
            assert session.get(User, admin_id).active


class TestMemberships:
    def test_add_change_and_remove(self, admin_client, make_user, in_app):
        user_id = make_user("x@example.org")
        with in_app():
            leuven_id = factories.city("leuven").id
        admin_client.post(f"/admin/users/{user_id}/memberships", data={"city_id": str(leuven_id), "role": "staff"})
        admin_client.post(f"/admin/users/{user_id}/memberships", data={"city_id": str(leuven_id), "role": "voter"})
        with in_app() as session:
            membership = session.scalar(select(Membership).where(Membership.user_id == user_id))
            assert membership.role is CityRole.VOTER
            membership_id = membership.id
        response = admin_client.post(f"/admin/users/{user_id}/memberships/{membership_id}/delete", follow_redirects=True)
        assert "Rol verwijderd." in response.text
        with in_app() as session:
            assert session.scalar(select(func.count(Membership.id))) == 0
            assert _actions(session)[-3:] == ["membership.added", "membership.changed", "membership.removed"]

    def test_unknown_city_is_a_message(self, admin_client, make_user):
        user_id = make_user("x@example.org")
        response = admin_client.post(f"/admin/users/{user_id}/memberships", data={"city_id": "424242", "role": "staff"})
        assert response.status_code == 400
        assert "Ongeldige keuze." in response.text

    def test_removing_an_unknown_role_is_404(self, admin_client, make_user):
        user_id = make_user("x@example.org")
        response = admin_client.post(f"/admin/users/{user_id}/memberships/12345/delete")
        assert response.status_code == 404


def test_password_reset_by_admin(admin_client, client, make_user, in_app):
    user_id = make_user("forgot@example.org")
    response = admin_client.post(f"/admin/users/{user_id}/password", data={"password": "short"})
    assert response.status_code == 400
    admin_client.post(f"/admin/users/{user_id}/password", data={"password": "a-brand-new-password"})
    admin_client.logout()
    assert client.login("forgot@example.org", "a-brand-new-password").status_code == 302


def test_user_list_searches_and_has_no_n_plus_one(app, admin_client, in_app):
    def make(count):
        with in_app():
            for _ in range(count):
                factories.MembershipFactory()

    make(3)
    with count_queries(app) as few:
        assert admin_client.get("/admin/users").status_code == 200
    make(20)
    with count_queries(app) as many:
        page = admin_client.get("/admin/users")
    assert page.text.count("/admin/users/") >= 24
    assert len(many) == len(few)
    assert "<td>admin@example.org</td>" in admin_client.get("/admin/users?q=ada").text
    assert "<td>admin@example.org</td>" not in admin_client.get("/admin/users?q=nobody-like-this").text


class TestCities:
    DATA = {
        "name": "Dendermonde",
        "slug": "dendermonde",
        "nis_code": "42006",
        "province": "Oost-Vlaanderen",
        "kind": "other",
        "active": "y",
    }

    def test_create_and_edit(self, admin_client, in_app):
        response = admin_client.post("/admin/cities/new", data=self.DATA, follow_redirects=True)
        assert "Stad Dendermonde aangemaakt." in response.text
        with in_app() as session:
            city = session.scalar(select(City).where(City.slug == "dendermonde"))
            city_id = city.id
        response = admin_client.post(f"/admin/cities/{city_id}", data={**self.DATA, "province": "O-VL", "version": "1"})
        assert response.status_code == 302
        with in_app() as session:
            assert session.get(City, city_id).province == "O-VL"
            assert _actions(session)[-2:] == ["city.created", "city.updated"]

    def test_duplicates_and_bad_codes(self, admin_client, in_app):
        with in_app():
            factories.CityFactory(name="Gent", slug="gent", nis_code="44021")
        for field, value, message in [
            ("slug", "gent", "Een andere stad heeft deze slug al."),
            ("nis_code", "44021", "Een andere stad heeft deze NIS-code al."),
            ("nis_code", "4402", "Een NIS-code heeft vijf cijfers."),
            ("slug", "Not A Slug", "Gebruik kleine letters"),
        ]:
            response = admin_client.post("/admin/cities/new", data={**self.DATA, field: value})
            assert response.status_code == 400, field
            assert message in response.text, field
            assert 'value="Dendermonde"' in response.text

    def test_stale_city_edit(self, admin_client, in_app):
        with in_app():
            city_id = factories.CityFactory(name="Gent", slug="gent", nis_code="44021").id
        data = {"name": "Gent", "slug": "gent", "nis_code": "44021", "province": "X", "kind": "centrumstad", "version": "1"}
        assert admin_client.post(f"/admin/cities/{city_id}", data=data).status_code == 302
        response = admin_client.post(f"/admin/cities/{city_id}", data={**data, "province": "Y"})
        assert response.status_code == 400
        assert "Iemand anders heeft dit intussen bewaard." in response.text

    def test_city_list_counts_accounts(self, admin_client, make_user):
        make_user("a@example.org", city="gent")
        make_user("b@example.org", city="gent")
        make_user("c@example.org", city="leuven")
        page = admin_client.get("/admin/cities").text
        rows = {row.split("</a>")[0].rsplit(">", 1)[-1]: row for row in page.split("<tr>")[2:]}
        assert "<td>2</td>" in rows["Gent"]
        assert "<td>1</td>" in rows["Leuven"]


def test_audit_log_page_filters(app, admin_client, make_user):
    make_user("x@example.org")
    app.test_client().post("/login", data={"email": "x@example.org", "password": "wrong"}, csrf=False)  # refused: CSRF
    other = app.test_client()
    other.post("/login", data={"email": "x@example.org", "password": "wrong", "csrf_token": other.csrf_token()})
    everything = admin_client.get("/admin/audit").text
    assert "<code>user.login_failed</code>" in everything and "<code>user.login</code>" in everything
    page = admin_client.get("/admin/audit?action=user.login").text
    assert "<code>user.login</code>" in page
    assert "<code>user.login_failed</code>" not in page
    assert admin_client.get("/admin/audit?page=abc").status_code == 200
