"""audit log: append-only and tamper-evident

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02 00:10:00

Every audit row carries its place in a chain (chain_seq), the previous row's hash and its own hash of that and its
content (db.audit.chain_digest); the rows already there are chained in the order they were written. Triggers refuse
UPDATE and DELETE on audit_log (and TRUNCATE on PostgreSQL), so the log can only grow; `manage.py verify-audit`
checks the chain.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from db.audit import CHAINED, GENESIS, chain_digest


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

REFUSAL = "操作日志只能追加，不能修改或删除"

PG_GUARD = [
    f"""CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege';
        END $$""",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
]
SQLITE_GUARD = [
    f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
    f"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
]


def upgrade() -> None:
    # plain ADD COLUMN, not a batch: SQLite would rebuild the table
    op.add_column('audit_log', sa.Column('chain_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
    op.add_column('audit_log', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_log', sa.Column('row_hash', sa.String(length=64), nullable=True))
    log = sa.table('audit_log', sa.column('id', sa.Integer()), sa.column('chain_seq', sa.BigInteger()),
                   sa.column('at', sa.DateTime()), sa.column('user_id', sa.Integer()), sa.column('actor', sa.String()),
                   sa.column('action', sa.String()), sa.column('entity', sa.String()), sa.column('entity_id', sa.String()),
                   sa.column('field', sa.String()), sa.column('old_value', sa.Text()), sa.column('new_value', sa.Text()),
                   sa.column('reason', sa.Text()), sa.column('household_id', sa.Integer()),
                   sa.column('prev_hash', sa.String()), sa.column('row_hash', sa.String()))
    conn = op.get_bind()
    prev, seq, batch = GENESIS, 0, []
    # read all first: a cursor left open over the table while it is updated is not portable
    rows = conn.execute(sa.select(*[log.c[k] for k in ('id',) + CHAINED if k != 'chain_seq']).order_by(log.c.id)).mappings().all()
    for row in rows:
        seq += 1
        values = dict(row, chain_seq=seq)
        digest = chain_digest(prev, values)
        batch.append({"row_id": row["id"], "seq": seq, "prev": prev, "digest": digest})
        prev = digest
        if len(batch) >= 5000:
            _write(conn, log, batch)
            batch = []
    _write(conn, log, batch)
    op.create_index('uq_audit_log_chain_seq', 'audit_log', ['chain_seq'], unique=True)
    op.create_index('ix_audit_log_actor_action_at', 'audit_log', ['actor', 'action', 'at'])
    for statement in (PG_GUARD if conn.dialect.name == 'postgresql' else SQLITE_GUARD):
        op.execute(statement)


def _write(conn, log, batch) -> None:
    if batch:
        conn.execute(log.update().where(log.c.id == sa.bindparam('row_id'))
                     .values(chain_seq=sa.bindparam('seq'), prev_hash=sa.bindparam('prev'), row_hash=sa.bindparam('digest')),
                     batch)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_actor_action_at')
        batch_op.drop_index('uq_audit_log_chain_seq')
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('chain_seq')
