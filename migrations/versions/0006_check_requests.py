"""background dataset checks: when a check was asked for and no worker has finished it yet

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 08:20:00

"""
from alembic import op
import sqlalchemy as sa

import pilots.models.base


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('published_datasets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_requested_at', pilots.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('published_datasets', schema=None) as batch_op:
        batch_op.drop_column('check_requested_at')
