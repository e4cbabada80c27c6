"""official calendar years; ID numbers and 统一社会信用代码 stored in their normal form

Revision ID: 0008
Revises: 0007

Stored 身份证号 (heads and members) and 统一社会信用代码 are rewritten to the form every check and match now uses
(NFKC, no spaces, upper case), each change audited. Normalising can reveal one person in two open files; those are
never merged: both rows are kept, each is written to the audit log (action "review", field "id_number") and
printed, and `manage.py id-duplicates` lists them at any time. Where two open heads would end up with one number,
the later file keeps its number as typed (the database allows one open file per head's number) until a person
resolves the pair.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPEN = ("applying", "active")
ACTOR = "system:migration-0008"


def _normal(value: str | None) -> str | None:
    """A frozen copy of core.identity.normalise_identifier (a migration must not change when the app does)."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value)
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Zs")).upper()


def upgrade() -> None:
    op.create_table('official_calendar_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('holidays', sa.Text(), nullable=False),
    sa.Column('workdays', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_official_calendar_year')),
    sa.UniqueConstraint('year', name=op.f('uq_official_calendar_year_year'))
    )
    normalise_identifiers(op.get_bind())


def normalise_identifiers(conn) -> list[dict]:
    """Rewrite stored numbers to their normal form; return (and audit, and print) the duplicates it reveals."""
    at = dt.datetime.now().replace(microsecond=0)
    audit_rows: list[dict] = []

    def audit(action, entity, entity_id, household_id, old, new, reason):
        audit_rows.append({"at": at, "actor": ACTOR, "action": action, "entity": entity, "entity_id": str(entity_id),
                           "field": "id_number", "old_value": old, "new_value": new, "reason": reason,
                           "household_id": household_id})

    heads = conn.execute(sa.text("SELECT id, file_no, status, id_number, employer_uscc FROM household ORDER BY id")).all()
    members = conn.execute(sa.text(
        "SELECT m.id, m.household_id, m.id_number, h.file_no, h.status FROM member m JOIN household h ON h.id = m.household_id "
        "WHERE m.id_number IS NOT NULL ORDER BY m.id")).all()

    # one open file per head's number (a partial unique index): a head already in normal form keeps its claim
    claimed = {h.id_number: h.id for h in heads if h.status in OPEN and _normal(h.id_number) == h.id_number}
    kept_as_typed: set[int] = set()
    for h in heads:
        new = _normal(h.id_number)
        if new != h.id_number and len(new) <= 18:
            if h.status in OPEN:
                if claimed.get(new, h.id) != h.id:
                    kept_as_typed.add(h.id)
                    continue
                claimed[new] = h.id
            conn.execute(sa.text("UPDATE household SET id_number = :n, version = version + 1 WHERE id = :i"), {"n": new, "i": h.id})
            audit("update", "household", h.id, h.id, h.id_number, new, "迁移 0008：身份证号规范化（全角、空格、小写x）")
        uscc = _normal(h.employer_uscc) if h.employer_uscc else h.employer_uscc
        if uscc != h.employer_uscc and len(uscc) <= 18:
            conn.execute(sa.text("UPDATE household SET employer_uscc = :n WHERE id = :i"), {"n": uscc, "i": h.id})
            audit_rows.append({"at": at, "actor": ACTOR, "action": "update", "entity": "household", "entity_id": str(h.id),
                               "field": "employer_uscc", "old_value": h.employer_uscc, "new_value": uscc,
                               "reason": "迁移 0008：统一社会信用代码规范化", "household_id": h.id})
    for m in members:
        new = _normal(m.id_number)
        if new != m.id_number and len(new) <= 18:
            conn.execute(sa.text("UPDATE member SET id_number = :n, version = version + 1 WHERE id = :i"), {"n": new, "i": m.id})
            audit("update", "member", m.id, m.household_id, m.id_number, new, "迁移 0008：身份证号规范化（全角、空格、小写x）")

    # one person in two open files, once every number is read in its normal form
    holders: dict[str, list[tuple[str, int, int, str, str]]] = defaultdict(list)
    for h in heads:
        if h.status in OPEN:
            holders[_normal(h.id_number)].append(("household", h.id, h.id, h.file_no, h.id_number))
    for m in members:
        if m.status in OPEN:
            holders[_normal(m.id_number)].append(("member", m.id, m.household_id, m.file_no, m.id_number))
    duplicates = []
    for number, rows in sorted(holders.items()):
        files = sorted({r[3] for r in rows})
        if len(files) < 2:
            continue
        reason = f"规范化后发现同一身份证号在 {len(files)} 个未关闭档案中：{'、'.join(files)}（未合并，请核实后办理退出或更正）"
        for entity, entity_id, household_id, file_no, stored in rows:
            note = reason + ("；本档案号码暂按原样保存" if entity == "household" and entity_id in kept_as_typed else "")
            audit("review", entity, entity_id, household_id, stored, number, note)
            duplicates.append({"id_number": number, "file_no": file_no, "entity": entity, "stored": stored})
        print(f"[0008] duplicate ID number {number[:6]}…{number[-4:]} in open files: {', '.join(files)}")
    if audit_rows:
        conn.execute(sa.text(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, field, old_value, new_value, reason, household_id) "
            "VALUES (:at, :actor, :action, :entity, :entity_id, :field, :old_value, :new_value, :reason, :household_id)"), audit_rows)
    return duplicates


def downgrade() -> None:
    # the numbers stay in their normal form (the typed form was a defect, and the audit log keeps it)
    op.drop_table('official_calendar_year')
