"""Writing the audit log. Services call :func:`record` inside their own transaction."""

from __future__ import annotations

from typing import Any

from pilots.extensions import db
from pilots.models import AuditEvent, User


def record(
    actor: User | None,
    action: str,
    object_type: str,
    object_id: Any = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction; it is stored when the service commits."""
    event = AuditEvent(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details,
    )
    db.session.add(event)
    return event
