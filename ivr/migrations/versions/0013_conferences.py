"""Calls as conferences: a caller's conference with analysts and team leads, and its legs;
analysts who answer in the browser

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 09:40:00.000000

New tables: calls already bridged keep their queue entries as they are. Every analyst
answers on their phone until they choose the browser.
"""
from alembic import op
import sqlalchemy as sa

import tickets.db


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'conference',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('sid', sa.String(length=64), nullable=True),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('queue_entry_id', sa.Integer(), nullable=True),
        sa.Column('ticket_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('last_sequence', sa.Integer(), nullable=False),
        sa.Column('created_at', tickets.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('started_at', tickets.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('ended_at', tickets.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_conference_call_id_call')),
        sa.ForeignKeyConstraint(['queue_entry_id'], ['queue_entry.id'],
                                name=op.f('fk_conference_queue_entry_id_queue_entry')),
        sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'],
                                name=op.f('fk_conference_ticket_id_ticket')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conference')),
        sa.UniqueConstraint('name', name=op.f('uq_conference_name')),
        sa.UniqueConstraint('sid', name=op.f('uq_conference_sid')),
    )
    op.create_index(op.f('ix_conference_call_id'), 'conference', ['call_id'], unique=False)
    op.create_index(op.f('ix_conference_queue_entry_id'), 'conference', ['queue_entry_id'],
                    unique=False)
    op.create_table(
        'conference_participant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conference_id', sa.Integer(), nullable=False),
        sa.Column('call_sid', sa.String(length=64), nullable=True),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('mode', sa.String(length=20), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('on_hold', sa.Boolean(), nullable=False),
        sa.Column('muted', sa.Boolean(), nullable=False),
        sa.Column('leaving', sa.Boolean(), nullable=False),
        sa.Column('held_at', tickets.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_sequence', sa.Integer(), nullable=False),
        sa.Column('leg_sequence', sa.Integer(), nullable=False),
        sa.Column('created_at', tickets.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('joined_at', tickets.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('left_at', tickets.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['conference_id'], ['conference.id'],
                                name=op.f('fk_conference_participant_conference_id_conference')),
        sa.ForeignKeyConstraint(['agent_id'], ['agent.id'],
                                name=op.f('fk_conference_participant_agent_id_agent')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_conference_participant_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conference_participant')),
        sa.UniqueConstraint('call_sid', name=op.f('uq_conference_participant_call_sid')),
    )
    op.create_index(op.f('ix_conference_participant_conference_id'), 'conference_participant',
                    ['conference_id'], unique=False)


    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answers_in_browser', sa.Boolean(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('agent', schema=None) as batch_op:
        batch_op.drop_column('answers_in_browser')
    op.drop_index(op.f('ix_conference_participant_conference_id'),
                  table_name='conference_participant')
    op.drop_table('conference_participant')
    op.drop_index(op.f('ix_conference_queue_entry_id'), table_name='conference')
    op.drop_index(op.f('ix_conference_call_id'), table_name='conference')
    op.drop_table('conference')
