"""Calls keep a SIP caller ID whole (sip:ann@pbx.example.com): from and to up to 255 characters

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.alter_column('from_number', existing_type=sa.String(length=40),
                              type_=sa.String(length=255), existing_nullable=True)
        batch_op.alter_column('to_number', existing_type=sa.String(length=40),
                              type_=sa.String(length=255), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.alter_column('to_number', existing_type=sa.String(length=255),
                              type_=sa.String(length=40), existing_nullable=True)
        batch_op.alter_column('from_number', existing_type=sa.String(length=255),
                              type_=sa.String(length=40), existing_nullable=True)
