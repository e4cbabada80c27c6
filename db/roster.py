"""The civil-affairs roster matched against the files (数据共享): who is in 低保 / 特困, from the office's list.

`match_roster` finds, among the open files (申请中 / 在档) of the actor's scope, the file of each ID
number on the roster — as the head of household or as a member — and says what marking it would
change; nothing is written. A number found in no open file of the scope reads as 未找到, exactly as
one in another district's file would (the roster never reveals a file the user may not see); a
number in two open files is 对应多户 and is not applied.

`apply_roster` then writes the matched files' assistance records (纳入政府救助体系: programme from
救助类型, from = 纳入日期, source 民政部门名单比对) in the caller's one transaction, through `db.audit`
(every change audited), after checking that no file or record changed since the match: all or nothing.
A file already with an open record of the programme keeps it (the roster's date corrects its 起始日期),
so the same roster applied twice changes nothing.
The report rows (and its .xlsx / .csv) come from `core.roster.report_rows`.
`read_roster` reads an uploaded list in a limited child process (file_sandbox), so a hostile file costs a refusal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import codes
import file_sandbox
from core import roster as roster_rules
from core.roster import (Ambiguous, FileMatch, Roster, RosterEntry, RosterOutcome, RosterProblem, RosterResult, Unmatched,
                         programme_label, report_csv, report_rows, report_xlsx, target)
from db import audit
from db.actor import Actor
from db.errors import Conflict, OutOfScope
from db.file_access import get_household
from db.models import AssistanceRecord, Household, Member
from db.scope import org_filter

__all__ = ["OPEN_STATUSES", "REASON", "read_roster", "match_roster", "apply_roster", "report_rows", "report_xlsx", "report_csv"]

OPEN_STATUSES = ("applying", "active")
REASON = "民政低保名单比对"
CHUNK = 500  # ID numbers per IN (...) list


def read_roster(data: bytes, filename: str, *, today: dt.date) -> Roster:
    """The uploaded list's entries and problems (`core.roster.read_roster`), its cells read in a limited child process."""
    return roster_rules.read_roster(data, filename, today=today, reader=file_sandbox.read_tables)


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start:start + CHUNK])


def match_roster(session: Session, actor: Actor, entries: Sequence[RosterEntry], *, today: dt.date,
                 problems: Sequence[RosterProblem] = ()) -> RosterResult:
    """Which open file in the actor's scope each roster line names; `problems` (from reading) are carried into the result."""
    if not actor.can_write_files:
        raise OutOfScope("您的角色不能查看个人档案，不能比对低保名单")
    numbers = sorted({e.id_number for e in entries})
    found: dict[str, dict[int, str]] = defaultdict(dict)  # ID number → {household: whom it names}
    for chunk in _chunks(numbers):
        heads = org_filter(select(Household.id, Household.id_number)
                           .where(Household.id_number.in_(chunk), Household.status.in_(OPEN_STATUSES)), actor)
        for household_id, number in session.execute(heads):
            found[number][household_id] = "户主"
        members = org_filter(select(Household.id, Member.id_number, Member.name)
                             .join(Household, Member.household_id == Household.id)
                             .where(Member.id_number.in_(chunk), Household.status.in_(OPEN_STATUSES)), actor)
        for household_id, number, name in session.execute(members):
            found[number].setdefault(household_id, f"家庭成员 {name}")

    files = {}
    wanted_ids = sorted({h for by_file in found.values() for h in by_file})
    for start in range(0, len(wanted_ids), CHUNK):
        rows = session.execute(select(Household.id, Household.file_no, Household.name, Household.version)
                               .where(Household.id.in_(wanted_ids[start:start + CHUNK])))
        files.update({row.id: row for row in rows})
    records: dict[int, list[AssistanceRecord]] = defaultdict(list)
    for start in range(0, len(wanted_ids), CHUNK):
        for record in session.scalars(select(AssistanceRecord).where(AssistanceRecord.household_id.in_(wanted_ids[start:start + CHUNK]))):
            records[record.household_id].append(record)

    result = RosterResult(problems=list(problems))
    by_file: dict[int, list[tuple[RosterEntry, str]]] = defaultdict(list)
    lost: list[RosterEntry] = []
    for entry in entries:
        holders = found.get(entry.id_number, {})
        if len(holders) == 1:
            (household_id, whom), = holders.items()
            by_file[household_id].append((entry, whom))
        elif holders:
            result.ambiguous.append(Ambiguous(entry, tuple(sorted(files[h].file_no for h in holders))))
        else:
            lost.append(entry)
    result.unmatched = _unmatched(session, actor, lost)

    for household_id, lines in by_file.items():
        row = files[household_id]
        programmes = {entry.programme for entry, _ in lines}
        if len(programmes) > 1:
            said = "、".join(f"第 {entry.row} 行{programme_label(entry.programme)}" for entry, _ in lines)
            for entry, whom in lines:
                result.problems.append(RosterProblem(
                    entry.row, "救助类型", f"同一户（档案 {row.file_no}，{whom}）的名单行救助类型不一致（{said}），该户未标记，请与民政核实",
                    entry.sheet, entry.id_number, entry.name))
            continue
        dates = [entry.since for entry, _ in lines if entry.since is not None]
        programme, since = programmes.pop(), min(dates) if dates else None
        record = _record_for(records[household_id], programme, since)
        is_open = record is not None and record.to_on is None
        result.matched.append(FileMatch(
            household_id=household_id, file_no=row.file_no, head_name=row.name, version=row.version, lines=tuple(lines),
            programme=programme, since=since, current_programme=programme if is_open else None,
            current_since=record.from_on if is_open else None,
            record_id=record.id if record is not None else None, record_version=record.version if record is not None else None))
    result.matched.sort(key=lambda m: m.file_no)
    audit.roster_matched(session, actor, len(numbers), len(wanted_ids))
    return result


def _record_for(records: list[AssistanceRecord], programme: str, since: dt.date | None) -> AssistanceRecord | None:
    """The record of `programme` the roster speaks of: the open one, else an ended one whose period holds the roster's
    date (the household is on the office's current list: it is reopened from that date, never doubled by an overlap)."""
    same = [r for r in records if r.programme == programme]
    return next((r for r in same if r.to_on is None), None) or next(
        (r for r in same if since is not None and r.from_on <= since <= r.to_on), None)


def _unmatched(session: Session, actor: Actor, entries: list[RosterEntry]) -> list[Unmatched]:
    """Lines with no open file in scope; a closed file of the scope holding the number is named (a hint for 返困)."""
    closed: dict[str, set[tuple[str, str]]] = defaultdict(set)
    numbers = sorted({e.id_number for e in entries})
    for chunk in _chunks(numbers):
        heads = org_filter(select(Household.id_number, Household.file_no, Household.status)
                           .where(Household.id_number.in_(chunk), Household.status.not_in(OPEN_STATUSES)), actor)
        members = org_filter(select(Member.id_number, Household.file_no, Household.status)
                             .join(Household, Member.household_id == Household.id)
                             .where(Member.id_number.in_(chunk), Household.status.not_in(OPEN_STATUSES)), actor)
        for statement in (heads, members):
            for number, file_no, status in session.execute(statement):
                closed[number].add((file_no, status))
    out = []
    for entry in entries:
        files = sorted(closed.get(entry.id_number, ()))
        if files:
            note = ("没有在档或申请中的档案含此身份证号；其所在档案 " + "、".join(f"{no}（{codes.HOUSEHOLD_STATUS.get(s, s)}）" for no, s in files)
                    + " 已关闭，未标记，如需返困请打开档案处理")
        else:
            note = "在您管辖范围内的在档、申请中档案里没有此身份证号（户主或家庭成员）"
        out.append(Unmatched(entry, note))
    return out


def apply_roster(session: Session, actor: Actor, result: RosterResult, *, today: dt.date) -> RosterOutcome:
    """Mark the matched files in the caller's transaction: every file is checked first (scope, role, the version seen
    when matched), then the changed ones are written and audited. A file changed since the match → Conflict, nothing written."""
    if not actor.can_write_files:
        raise OutOfScope("您的角色只能查看，不能修改数据")
    loaded = []
    for match in result.matched:
        household = get_household(session, actor, household_id=match.household_id)
        if household.version != match.version:
            raise Conflict(f"档案 {match.file_no} 在比对之后被修改过（比对时为第 {match.version} 版，现为第 {household.version} 版），"
                           "请重新上传名单比对。本次没有标记任何档案。")
        loaded.append((match, household))
    marked: set[int] = set()
    for match, household in loaded:
        wanted = target(match, today)
        if wanted is None:
            continue
        programme, since = wanted
        now_open = session.scalar(select(AssistanceRecord).where(AssistanceRecord.household_id == household.id,
                                                                 AssistanceRecord.programme == programme,
                                                                 AssistanceRecord.to_on.is_(None)).limit(1))
        seen_open = match.record_id if match.current_programme else None  # the open record the match saw, if any
        if (now_open.id if now_open else None) != seen_open:
            raise Conflict(f"档案 {match.file_no} 的救助记录在比对之后有变化，请重新上传名单比对。本次没有标记任何档案。")
        if match.record_id is not None:
            record = session.get(AssistanceRecord, match.record_id)
            changed = audit.update(session, actor, record, {"from_on": since, "to_on": None}, expected_version=match.record_version,
                                   reason=REASON)
        else:
            audit.create(session, actor, AssistanceRecord(household_id=household.id, programme=programme, from_on=since,
                                                          source="roster", note=REASON), reason=REASON)
            changed = ["created"]
        if changed:
            marked.add(household.id)
    return RosterOutcome(marked=len(marked), unchanged=len(result.matched) - len(marked), unmatched=len(result.unmatched),
                         ambiguous=len(result.ambiguous), problems=len(result.problems), marked_ids=frozenset(marked))
