"""race-safe writes: one current pairing per file, a lock row per ID number

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:10:00

Two people assigning a helper to one file at once could leave it with two current pairings; the database now allows
one (a partial unique index on pairing(household_id) where end_on is null). A file that already has several keeps
its latest; each earlier one ends the day before the next one starts (or on its own start day, when they start on
the same day).

`identity_lock` holds one row per ID number of an open file (heads and members): a service adding a person to an
open file locks that row first, so two saves at once cannot both pass the one-open-file-per-person check. It is
filled here from the open files; services add the rows of new numbers.
"""
import datetime as dt
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CURRENT = "end_on IS NULL"


def _end_doubled_pairings(bind) -> None:
    pairing = sa.table('pairing', sa.column('id', sa.Integer()), sa.column('household_id', sa.Integer()),
                       sa.column('start_on', sa.Date()), sa.column('end_on', sa.Date()), sa.column('version', sa.Integer()))
    rows = bind.execute(sa.select(pairing.c.id, pairing.c.household_id, pairing.c.start_on)
                        .where(pairing.c.end_on.is_(None))
                        .order_by(pairing.c.household_id, pairing.c.start_on, pairing.c.id)).all()
    by_file: dict[int, list] = {}
    for row in rows:
        by_file.setdefault(row.household_id, []).append(row)
    for current in by_file.values():
        for earlier, later in zip(current, current[1:]):  # all but the latest end where the next one begins
            end_on = max(earlier.start_on, later.start_on - dt.timedelta(days=1))
            bind.execute(pairing.update().where(pairing.c.id == earlier.id)
                         .values(end_on=end_on, version=pairing.c.version + 1))


def upgrade() -> None:
    bind = op.get_bind()
    _end_doubled_pairings(bind)
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.create_index('uq_pairing_current', ['household_id'], unique=True,
                              sqlite_where=sa.text(CURRENT), postgresql_where=sa.text(CURRENT))

    op.create_table('identity_lock', sa.Column('id_number', sa.String(length=18), nullable=False),
                    sa.PrimaryKeyConstraint('id_number', name=op.f('pk_identity_lock')))
    household = sa.table('household', sa.column('id', sa.Integer()), sa.column('id_number', sa.String()),
                         sa.column('status', sa.String()))
    member = sa.table('member', sa.column('household_id', sa.Integer()), sa.column('id_number', sa.String()))
    open_files = household.c.status.in_(('applying', 'active'))
    heads = sa.select(household.c.id_number).where(open_files, household.c.id_number.is_not(None))
    members = (sa.select(member.c.id_number).join(household, household.c.id == member.c.household_id)
               .where(open_files, member.c.id_number.is_not(None)))
    numbers = sorted({n for (n,) in bind.execute(heads.union(members)).all() if n})
    if numbers:
        lock = sa.table('identity_lock', sa.column('id_number', sa.String()))
        bind.execute(lock.insert(), [{"id_number": n} for n in numbers])


def downgrade() -> None:
    op.drop_table('identity_lock')
    with op.batch_alter_table('pairing', schema=None) as batch_op:
        batch_op.drop_index('uq_pairing_current', sqlite_where=sa.text(CURRENT), postgresql_where=sa.text(CURRENT))
