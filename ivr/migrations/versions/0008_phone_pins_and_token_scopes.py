"""Analysts' phone-login PINs; API token scopes and tier limits

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 09:00:00.000000

Tokens made before scopes existed could read every ticket and queue and add notes: they keep
exactly that (scopes tickets:read, notes:write, queues:read; every tier), so no integration
stops working. New tokens get the scopes they are created with (read-only by default).
Analysts have no phone PIN until one is set (flask ivr agents set-pin, or the console's
staff page): until then they cannot log in by phone.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

EXISTING_TOKEN_SCOPES = ["tickets:read", "notes:write", "queues:read"]


def upgrade() -> None:
    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pin_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('pin_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pin_failed_attempt', sa.String(length=100), nullable=True))

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('tiers', sa.JSON(), nullable=True))
    api_token = sa.table('api_token', sa.column('scopes', sa.JSON()))
    op.execute(api_token.update().values(scopes=EXISTING_TOKEN_SCOPES))
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('scopes', existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('tiers')
        batch_op.drop_column('scopes')

    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.drop_column('pin_failed_attempt')
        batch_op.drop_column('pin_failures')
        batch_op.drop_column('pin_hash')
