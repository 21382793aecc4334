"""Webhook replies kept for repeats (each Twilio webhook idempotent by CallSid and step)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 09:30:00.000000
"""
from alembic import op
import sqlalchemy as sa

import tickets.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('at', tickets.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_reply')),
    sa.UniqueConstraint('request', name=op.f('uq_webhook_reply_request'))
    )
    with op.batch_alter_table('webhook_reply', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_reply_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webhook_reply', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_reply_at'))
    op.drop_table('webhook_reply')
