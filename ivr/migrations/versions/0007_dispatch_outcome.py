"""Dispatch outcomes counted per kind of call (/metrics: helpdesk_dispatcher_calls_total)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 08:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dispatch_outcome',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'outcome', name=op.f('pk_dispatch_outcome'))
    )


def downgrade() -> None:
    op.drop_table('dispatch_outcome')
