"""measure payment schedule; pairing and visit indexes; audit rows keep their file

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 17:48:53.288952
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('household_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_log_household_id'), ['household_id'], unique=False)

    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_interval_months', sa.Integer(), nullable=True))

    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pay_every', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('first_pay_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('pay_count', sa.Integer(), nullable=True))

    # a measure's amount used to be the total of its payments (still in the payment rows); it is now the amount
    # of each payment of a schedule, which older measures do not have
    op.execute("UPDATE measure SET amount_fen = NULL, fund_source = NULL WHERE pay_every IS NULL")

    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.create_index('ix_pairing_helper_current', ['helper_name', 'end_on'], unique=False)

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_household_on', ['household_id', 'visited_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_household_on')

    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.drop_index('ix_pairing_helper_current')

    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.drop_column('pay_count')
        batch_op.drop_column('first_pay_on')
        batch_op.drop_column('pay_every')

    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_column('visit_interval_months')

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_household_id'))
        batch_op.drop_column('household_id')

