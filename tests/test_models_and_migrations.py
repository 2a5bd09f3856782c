"""Models, the audit log's guarantees, and migrations that match the models."""

from __future__ import annotations

from datetime import UTC, datetime

import flask_migrate
import pytest
import sqlalchemy as sa

from pilots.extensions import db
from pilots.models import AuditEvent, User
from pilots.models.audit import AppendOnlyError
from tests import factories


def test_timestamps_are_aware_utc_and_taken_at_insert(in_app):
    with in_app() as session:
        before = datetime.now(UTC)
        user = factories.UserFactory()
        after = datetime.now(UTC)
        session.expire_all()
        assert user.created_at.utcoffset().total_seconds() == 0
        assert before <= user.created_at <= after


def test_naive_datetimes_are_refused(in_app):
    with in_app() as session:
        user = factories.UserFactory()
        user.last_login_at = datetime(2026, 1, 1)
        with pytest.raises(sa.exc.StatementError):
            session.commit()
        session.rollback()


def test_aware_datetimes_round_trip(in_app):
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with in_app() as session:
        user_id = factories.UserFactory(last_login_at=moment).id
    with in_app() as session:
        assert session.get(User, user_id).last_login_at == moment


def test_audit_events_are_append_only(in_app):
    from pilots.services import audit

    with in_app() as session:
        audit.record(None, "test.recorded", "test", 1, note="x")
        session.commit()
        event = session.scalar(sa.select(AuditEvent))
        event.action = "rewritten"
        with pytest.raises(AppendOnlyError):
            session.commit()
        session.rollback()
        session.delete(session.scalar(sa.select(AuditEvent)))
        with pytest.raises(AppendOnlyError):
            session.commit()
        session.rollback()
        assert session.scalar(sa.select(AuditEvent)).action == "test.recorded"


def test_migrated_schema_matches_the_models(app):
    """`flask db check`: the schema built by `upgrade` on an empty database has no difference from the models."""
    with app.app_context():
        flask_migrate.check()  # exits non-zero (SystemExit) on any difference


def test_db_check_command(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_migrations_downgrade_and_upgrade_again(app):
    with app.app_context():
        flask_migrate.downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert {"users", "cities", "memberships", "audit_events"} <= set(sa.inspect(db.engine).get_table_names())


def test_constraints_are_named(app):
    with app.app_context():
        inspector = sa.inspect(db.engine)
        names = [uq["name"] for uq in inspector.get_unique_constraints("users")]
        assert "uq_users_email" in names
