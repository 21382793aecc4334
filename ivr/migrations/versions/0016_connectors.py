"""Ticket-system connectors: our tickets' keys and links in Zammad, GLPI, Jira

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 12:40:00.000000

A new table only: nothing existing changes. Tickets opened before are not filed there.
"""
from alembic import op
import sqlalchemy as sa
import tickets.db


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('connector', sa.String(length=60), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('created_at', tickets.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_link_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_link')),
    sa.UniqueConstraint('connector', 'key', name=op.f('uq_ticket_link_connector')),
    sa.UniqueConstraint('ticket_id', 'connector', name=op.f('uq_ticket_link_ticket_id'))
    )
    with op.batch_alter_table('ticket_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_link_ticket_id'), ['ticket_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_link_ticket_id'))

    op.drop_table('ticket_link')
