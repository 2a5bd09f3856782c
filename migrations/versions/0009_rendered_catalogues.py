"""the catalogue as rendered by the warm-up job, shared by every web process

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import pilots.models.base


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rendered_catalogues',
    sa.Column('etag', sa.String(length=32), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('media_type', sa.String(length=64), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('rendered_at', pilots.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('etag', name=op.f('pk_rendered_catalogues'))
    )


def downgrade():
    op.drop_table('rendered_catalogues')
