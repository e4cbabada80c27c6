"""measure status history, backfilled from each measure's status and dates

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:45:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('measure_status_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_measure_status_change_household_id_household')),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_measure_status_change_measure_id_measure')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_status_change'))
    )
    with op.batch_alter_table('measure_status_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_status_change_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_measure_status_change_measure_id'), ['measure_id'], unique=False)

    # The history each existing measure implies (core.measure_history.implied_history): 实施中 (or 计划) from its
    # start, and for 已完成 a second change on its end (its start when it has none).
    op.execute("INSERT INTO measure_status_change (measure_id, household_id, from_status, to_status, effective_on, recorded_by) "
               "SELECT id, household_id, NULL, CASE WHEN status = 'done' THEN 'in_progress' ELSE status END, start_on, '系统（迁移补录）' "
               "FROM measure ORDER BY id")
    op.execute("INSERT INTO measure_status_change (measure_id, household_id, from_status, to_status, effective_on, recorded_by) "
               "SELECT id, household_id, 'in_progress', 'done', COALESCE(end_on, start_on), '系统（迁移补录）' "
               "FROM measure WHERE status = 'done' ORDER BY id")


def downgrade() -> None:
    with op.batch_alter_table('measure_status_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_status_change_measure_id'))
        batch_op.drop_index(batch_op.f('ix_measure_status_change_household_id'))
    op.drop_table('measure_status_change')
