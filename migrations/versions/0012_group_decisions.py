"""group decisions: whose weights a round ranks with, its tie-break rule, effort and capacity, each city's
weights on its ballot, and the cities' pledges to take part

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import pilots.models.base


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs with server defaults: existing rounds keep today's behaviour (the committee's weights,
    # the engine's default tie-break, no capacity), nothing is rebuilt.
    op.add_column('rounds', sa.Column('weight_source', sa.String(length=16), nullable=False, server_default='committee'))
    op.add_column('rounds', sa.Column('tie_break', sa.String(length=40), nullable=False, server_default='default'))
    op.add_column('rounds', sa.Column('effort_unit', sa.String(length=16), nullable=False, server_default='person_months'))
    op.add_column('rounds', sa.Column('capacity', sa.Double(), nullable=True))
    op.add_column('challenges', sa.Column('effort', sa.Double(), nullable=True))
    op.add_column('ballots', sa.Column('weights', sa.JSON(), nullable=True))
    op.add_column('ballots', sa.Column('weight_judgements', sa.JSON(), nullable=True))
    op.create_table(
        'pledges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('challenge_id', sa.Integer(), nullable=False),
        sa.Column('city_id', sa.Integer(), nullable=False),
        sa.Column('taking_part', sa.Boolean(), nullable=False),
        sa.Column('updated_at', pilots.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_pledges_challenge_id_challenges'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_pledges_city_id_cities')),
        sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_pledges_round_id_rounds'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_pledges_updated_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pledges')),
        sa.UniqueConstraint('round_id', 'challenge_id', 'city_id', name=op.f('uq_pledges_round_id_challenge_id_city_id')),
    )
    op.create_index(op.f('ix_pledges_round_id'), 'pledges', ['round_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_pledges_round_id'), table_name='pledges')
    op.drop_table('pledges')
    with op.batch_alter_table('ballots') as batch_op:
        batch_op.drop_column('weight_judgements')
        batch_op.drop_column('weights')
    with op.batch_alter_table('challenges') as batch_op:
        batch_op.drop_column('effort')
    with op.batch_alter_table('rounds') as batch_op:
        for name in ('capacity', 'effort_unit', 'tie_break', 'weight_source'):
            batch_op.drop_column(name)
