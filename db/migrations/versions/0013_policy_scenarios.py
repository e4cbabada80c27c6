"""policy scenarios (政策模拟方案)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 08:30:00

A scenario is a named set of dated overrides on the baseline parameters, stored as canonical JSON and identified by
the hash of that content (unique: the same set is one scenario).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('policy_scenario',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('overrides', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_policy_scenario_author_id_app_user')),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_policy_scenario_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_scenario')),
    sa.UniqueConstraint('hash', name=op.f('uq_policy_scenario_hash'))
    )
    with op.batch_alter_table('policy_scenario', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_scenario_author_id'), ['author_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('policy_scenario', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_scenario_author_id'))
    op.drop_table('policy_scenario')
