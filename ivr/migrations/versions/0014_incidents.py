"""Major incidents: the incident, its linked callers, dismissed suggestions

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 09:30:00.000000

An incident has a parent ticket; each caller who says they call about it gets a child ticket
(``ticket.parent_id`` = the parent) and an ``incident_caller`` row linking it to the incident.
"""
from alembic import op
import sqlalchemy as sa
import tickets.db


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('service', sa.String(length=200), nullable=True),
    sa.Column('messages', sa.JSON(), nullable=False),
    sa.Column('started_at', tickets.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expected_at', tickets.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('declared_by', sa.String(length=80), nullable=False),
    sa.Column('declared_at', tickets.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('parent_ticket_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', tickets.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=80), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['parent_ticket_id'], ['ticket.id'],
                            name=op.f('fk_incident_parent_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident'))
    )
    op.create_index('ix_incident_status', 'incident', ['status'], unique=False)
    op.create_table('incident_caller',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=True),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('linked_at', tickets.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_incident_caller_call_id_call')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'],
                            name=op.f('fk_incident_caller_incident_id_incident')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'],
                            name=op.f('fk_incident_caller_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_caller')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_incident_caller_ticket_id'))
    )
    op.create_index(op.f('ix_incident_caller_incident_id'), 'incident_caller', ['incident_id'],
                    unique=False)
    op.create_table('incident_dismissal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('at', tickets.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=80), nullable=False),
    sa.Column('last_ticket_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_dismissal'))
    )


def downgrade() -> None:
    op.drop_table('incident_dismissal')
    op.drop_index(op.f('ix_incident_caller_incident_id'), table_name='incident_caller')
    op.drop_table('incident_caller')
    op.drop_index('ix_incident_status', table_name='incident')
    op.drop_table('incident')
