"""imported files: 导入的历史档案

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:40:00

A file brought in 在档 from another system by a workbook is marked as such (household.historical_import).
Files that earlier imports created 在档 (before new files imported as 申请中) are exactly that, and are marked too,
so their missing exclusion checks show in the 待补核查 queue.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # existing files get 否 (the server default fills the rows already there); a plain ADD COLUMN, not a batch: SQLite
    # would rebuild the table, which its foreign keys refuse once other tables hold rows of it
    op.add_column('household', sa.Column('historical_import', sa.Boolean(), nullable=False, server_default=sa.false()))
    household = sa.table('household', sa.column('historical_import', sa.Boolean()), sa.column('import_batch_id', sa.Integer()),
                         sa.column('status', sa.String()))
    op.execute(household.update().where(household.c.import_batch_id.is_not(None), household.c.status != 'applying')
               .values(historical_import=True))


def downgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_column('historical_import')
