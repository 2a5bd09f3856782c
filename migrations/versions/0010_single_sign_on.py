"""single sign-on: the identity at the OpenID Connect provider an account is linked to

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 16:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN and a unique index: no table rebuild on SQLite, nothing locked for long on PostgreSQL.
    op.add_column('users', sa.Column('oidc_issuer', sa.String(length=255), nullable=True))
    op.add_column('users', sa.Column('oidc_subject', sa.String(length=255), nullable=True))
    op.create_index('ix_users_oidc_identity', 'users', ['oidc_issuer', 'oidc_subject'], unique=True)


def downgrade():
    op.drop_index('ix_users_oidc_identity', table_name='users')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('oidc_subject')
        batch_op.drop_column('oidc_issuer')
