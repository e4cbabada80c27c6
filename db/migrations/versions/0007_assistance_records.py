"""assistance records: 纳入政府救助体系 as dated records per programme

The single household.safety_net / safety_net_since (低保 or 特困供养, since a date) becomes one
assistance_record per household that had it: same programme, from = safety_net_since, still in
force (to empty), source 'legacy' (原档案字段迁移). A missing since-date was read by the engine as
"in it on every date"; a file is only judged while 在档, which begins at its filing, so the record
starts on the filing date (建档日期) — or, for a file never filed, the day the file was created — and
every judgement the old field gave is kept. Then the two columns are dropped.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:45:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

household = sa.table('household', sa.column('id', sa.Integer), sa.column('safety_net', sa.String),
                     sa.column('safety_net_since', sa.Date), sa.column('filed_on', sa.Date),
                     sa.column('created_at', sa.DateTime))
record = sa.table('assistance_record', sa.column('household_id', sa.Integer), sa.column('programme', sa.String),
                  sa.column('from_on', sa.Date), sa.column('to_on', sa.Date), sa.column('source', sa.String),
                  sa.column('note', sa.String), sa.column('version', sa.Integer))


def _as_date(value):
    """A date as the driver returns it (SQLite may hand back text)."""
    import datetime as dt
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    op.create_table('assistance_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('programme', sa.String(length=16), nullable=False),
    sa.Column('from_on', sa.Date(), nullable=False),
    sa.Column('to_on', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('to_on IS NULL OR to_on >= from_on', name=op.f('ck_assistance_record_period')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_assistance_record_household_id_household')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batch.id'], name=op.f('fk_assistance_record_import_batch_id_import_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_record'))
    )
    with op.batch_alter_table('assistance_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_record_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistance_record_import_batch_id'), ['import_batch_id'], unique=False)

    connection = op.get_bind()
    rows = connection.execute(sa.select(household.c.id, household.c.safety_net, household.c.safety_net_since,
                                        household.c.filed_on, household.c.created_at)
                              .where(household.c.safety_net.is_not(None)).order_by(household.c.id)).all()
    moved = [{"household_id": r.id, "programme": r.safety_net,
              "from_on": _as_date(r.safety_net_since) or _as_date(r.filed_on) or _as_date(r.created_at),
              "to_on": None, "source": "legacy",
              "note": None if r.safety_net_since else "原档案未填纳入日期，按建档日期记", "version": 1} for r in rows]
    if moved:
        connection.execute(record.insert(), moved)

    # SQLite ≥ 3.35 drops a column in place: no table copy, so the household's partial unique index stays as it is
    with op.batch_alter_table('household', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('safety_net_since')
        batch_op.drop_column('safety_net')


def downgrade() -> None:
    with op.batch_alter_table('household', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('safety_net', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('safety_net_since', sa.Date(), nullable=True))
    # back to one field: the latest open 低保 or 特困供养 record of each household
    connection = op.get_bind()
    rows = connection.execute(sa.select(record.c.household_id, record.c.programme, record.c.from_on)
                              .where(record.c.programme.in_(("dibao", "tekun")), record.c.to_on.is_(None))
                              .order_by(record.c.household_id, record.c.from_on)).all()
    latest = {r.household_id: r for r in rows}
    for household_id, r in latest.items():
        connection.execute(household.update().where(household.c.id == household_id)
                           .values(safety_net=r.programme, safety_net_since=r.from_on))
    with op.batch_alter_table('assistance_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistance_record_import_batch_id'))
        batch_op.drop_index(batch_op.f('ix_assistance_record_household_id'))
    op.drop_table('assistance_record')
