"""an optional Delphi pass: the round asks for it and sets a revision deadline; each score keeps its value at the
end of the first pass and the reason a city gave for changing it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 00:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs with server defaults: existing rounds have no Delphi pass and stay in their first pass.
    op.add_column('rounds', sa.Column('delphi', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('rounds', sa.Column('revision_deadline', sa.Date(), nullable=True))
    op.add_column('rounds', sa.Column('delphi_pass', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('scores', sa.Column('first_value', sa.Double(), nullable=True))
    op.add_column('scores', sa.Column('revision_reason', sa.String(length=300), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('scores') as batch_op:
        batch_op.drop_column('revision_reason')
        batch_op.drop_column('first_value')
    with op.batch_alter_table('rounds') as batch_op:
        for name in ('delphi_pass', 'revision_deadline', 'delphi'):
            batch_op.drop_column(name)
