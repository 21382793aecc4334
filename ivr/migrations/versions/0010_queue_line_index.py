"""The line's index: holding callers in queue order (place in line, routing) and the latest
ended entries (handle times for the wait estimate), so a hold fetch reads no whole queue

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 09:40:00.000000
"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('queue_entry', schema=None) as batch_op:
        batch_op.create_index('ix_queue_entry_line',
                              ['status', 'consent', 'rank', 'joined_at', 'id', 'tier',
                               'category'], unique=False)
        batch_op.create_index('ix_queue_entry_ended_at', ['ended_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('queue_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_entry_ended_at')
        batch_op.drop_index('ix_queue_entry_line')
