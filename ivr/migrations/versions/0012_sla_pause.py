"""SLA clocks paused while a ticket waits on the customer

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 09:40:00.000000

A ticket put on hold (waiting for information from the customer) stops its SLA clock:
``sla_paused_at`` says since when. When it leaves that status its due times move on by the
open time it spent waiting. Tickets on hold today have no pause recorded: their clock keeps
running, as before, until they next leave and re-enter the status.
"""
from alembic import op
import sqlalchemy as sa

import tickets.db


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sla_paused_at', tickets.db.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    # A plain ALTER (SQLite 3.35+ and PostgreSQL): rebuilding the ticket table, as a batch
    # would on SQLite, is refused while timeline lines and calls refer to its rows.
    op.execute("ALTER TABLE ticket DROP COLUMN sla_paused_at")
