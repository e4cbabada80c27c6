"""household: category explanation, casualty flag, updated_by, search indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 15:22:58.180844
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category_explanation', sa.Text(), nullable=True))
        # existing files get 否; the server default keeps the upgrade from failing on rows already there
        batch_op.add_column(sa.Column('casualty', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('updated_by', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_household_category', ['category'], unique=False)
        batch_op.create_index('ix_household_place_status', ['place_code', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index('ix_household_place_status')
        batch_op.drop_index('ix_household_category')
        batch_op.drop_column('updated_by')
        batch_op.drop_column('casualty')
        batch_op.drop_column('category_explanation')

