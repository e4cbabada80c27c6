"""password changed at; one open file per head ID number

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 15:30:56.406905
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index('uq_household_open_id_number', ['id_number'], unique=True, sqlite_where=sa.text("status IN ('applying', 'active')"), postgresql_where=sa.text("status IN ('applying', 'active')"))



def downgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index('uq_household_open_id_number', sqlite_where=sa.text("status IN ('applying', 'active')"), postgresql_where=sa.text("status IN ('applying', 'active')"))

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')

