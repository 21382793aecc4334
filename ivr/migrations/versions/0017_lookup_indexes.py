"""Indexes for the lookups of every call: a call's queue entry and tickets, a ticket's queue
visits, a known caller's open tickets (each was a scan of its whole table)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 10:40:00.000000

Indexes only: no row changes. On a large table, PostgreSQL holds a write lock on it while an
index is built (seconds per million rows): run it in a quiet hour.
"""
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('queue_entry', schema=None) as batch_op:
        batch_op.create_index('ix_queue_entry_call_id', ['call_id'], unique=False)
        batch_op.create_index('ix_queue_entry_ticket_id', ['ticket_id'], unique=False)
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_call_id', ['call_id'], unique=False)
        batch_op.create_index('ix_ticket_customer_id', ['customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_customer_id')
        batch_op.drop_index('ix_ticket_call_id')
    with op.batch_alter_table('queue_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_entry_ticket_id')
        batch_op.drop_index('ix_queue_entry_call_id')
