"""anchored scales: what the lowest and highest score of a criterion mean, in Dutch and English

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

ANCHORS = ('anchor_low_nl', 'anchor_low_en', 'anchor_high_nl', 'anchor_high_en')


def upgrade():
    # Plain ADD COLUMN with a default: existing criteria get empty anchors, nothing is rebuilt.
    for name in ANCHORS:
        op.add_column('criteria', sa.Column(name, sa.String(length=200), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('criteria') as batch_op:
        for name in reversed(ANCHORS):
            batch_op.drop_column(name)
