"""The daily digest: one e-mail per user with what they chose to hear of once a day (issue 13)."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from bench.harness import Context, benchmark
from bench.synthetic import user_row
from pilots.extensions import db
from pilots.models import Notification, User, utcnow
from pilots.services import notifications

PER_USER = 3


@benchmark("daily-digest-1000", "the daily digest for 1,000 users with 3 unread notifications each (rendered and sent)")
def daily_digest(context: Context):
    users = context.size(1000)
    now = utcnow()
    with context.app.app_context():
        db.session.execute(
            insert(User),
            [user_row(f"digest{n}@bench.local", f"Lezer {n}", "x", now, "nl" if n % 3 else "en") for n in range(users)],
        )
        ids = db.session.scalars(select(User.id).where(User.email.like("digest%@bench.local"))).all()
        db.session.execute(
            insert(Notification),
            [
                {
                    "user_id": user_id,
                    "kind": "comment",  # a daily kind by default
                    "params": {"author": "Gerda Gent", "title": f"Uitdaging {k}"},
                    "link": f"/challenges/{k + 1}",
                    "created_at": now,
                }
                for user_id in ids
                for k in range(PER_USER)
            ],
        )
        db.session.commit()
    context.facts_by_bench["daily-digest-1000"] = {"users": users, "notifications": users * PER_USER}
    outbox = context.app.extensions["mailman"]

    def run():
        with context.app.app_context():
            db.session.execute(update(Notification).values(emailed_at=None))
            db.session.commit()
            outbox.outbox = []
            sent = notifications.send_digests()
        assert sent == users, (sent, users)

    return run
