"""import batches

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 18:49:59.717613
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('org_path', sa.String(length=255), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.Column('undone_by', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_import_batch_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    op.create_table('import_change',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('version_after', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_import_change_batch_id_import_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_change'))
    )
    with op.batch_alter_table('import_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_change_batch_id'), ['batch_id'], unique=False)

    with op.batch_alter_table('aid_payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_aid_payment_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_aid_payment_import_batch_id_import_batch'), 'import_batch', ['import_batch_id'], ['id'])

    with op.batch_alter_table('dibao_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_dibao_line_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_dibao_line_import_batch_id_import_batch'), 'import_batch', ['import_batch_id'], ['id'])

    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_household_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_household_import_batch_id_import_batch'), 'import_batch', ['import_batch_id'], ['id'])

    with op.batch_alter_table('household_cause', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_household_cause_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_household_cause_import_batch_id_import_batch'), 'import_batch', ['import_batch_id'], ['id'])

    with op.batch_alter_table('income_month', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_income_month_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_income_month_import_batch_id_import_batch'), 'import_batch', ['import_batch_id'], ['id'])

    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_measure_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_measure_import_batch_id_import_batch'), 'import_batch', ['import_batch_id'], ['id'])

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_member_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_member_import_batch_id_import_batch'), 'import_batch', ['import_batch_id'], ['id'])

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_visit_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_visit_import_batch_id_import_batch'), 'import_batch', ['import_batch_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visit_import_batch_id_import_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_visit_import_batch_id'))
        batch_op.drop_column('import_batch_id')

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_member_import_batch_id_import_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_member_import_batch_id'))
        batch_op.drop_column('import_batch_id')

    with op.batch_alter_table('measure', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_measure_import_batch_id_import_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_measure_import_batch_id'))
        batch_op.drop_column('import_batch_id')

    with op.batch_alter_table('income_month', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_income_month_import_batch_id_import_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_income_month_import_batch_id'))
        batch_op.drop_column('import_batch_id')

    with op.batch_alter_table('household_cause', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_household_cause_import_batch_id_import_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_household_cause_import_batch_id'))
        batch_op.drop_column('import_batch_id')

    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_household_import_batch_id_import_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_household_import_batch_id'))
        batch_op.drop_column('import_batch_id')

    with op.batch_alter_table('dibao_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_dibao_line_import_batch_id_import_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_dibao_line_import_batch_id'))
        batch_op.drop_column('import_batch_id')

    with op.batch_alter_table('aid_payment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_aid_payment_import_batch_id_import_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_aid_payment_import_batch_id'))
        batch_op.drop_column('import_batch_id')

    with op.batch_alter_table('import_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_change_batch_id'))

    op.drop_table('import_change')
    op.drop_table('import_batch')
