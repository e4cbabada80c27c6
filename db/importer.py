"""Importing a workbook: check everything first, then write all of it in one transaction, as a batch that can be undone.

`check` reads the file (core.workbook), checks each row (core.importing) and then against the store:
file numbers and ID numbers, the user's scope, one open file per person. `run` writes only when no
problem stands, in the caller's transaction, and records an ImportBatch: rows it creates carry the
batch id, rows it changes leave their old values in ImportChange, so `undo` restores the exact
previous state (refused when someone has changed those rows since).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import file_sandbox
from core import codes
from core.assistance import overlapping, period_text
from core.category import Assessment, MonthFigures, assess
from core.dibao import NoLineInForce, line_on
from core.importing import HEAD_REF, FileRow, Parsed, parse, ref_text, split_ref
from core.incomes import file_refusal
from core.places import CITY_CODE, DISTRICTS
from core.plan import CleanMeasure, PlanErrors, check_measure, check_visit, payment_key, twin_refusal
from core.workbook import Problem, SheetRow, read_file, row_text, sheet_kind, sheet_order
from db import audit, bulk
from db.actor import Actor
from db.errors import Conflict, NotFound, OutOfScope, ServiceError
from db.households import lock_identities, next_file_no
from db.measures import lock_file, recorded_payments
from db.models import (
    AidPayment, AssistanceRecord, DibaoLine, Household, HouseholdCause, ImportBatch, ImportChange, IncomeMonth, Measure, Member, Org, ProcessStep,
    StatusChange, Visit, now,
)
from db.queries import parameter_on
from db.scope import org_filter

Progress = Callable[[float, str], None]
OPEN = ("applying", "active")
MEMBER_UPDATABLE = ("name", "relation", "health", "identity", "monthly_income_fen")
HEAD_UPDATABLE_SKIP = {"id_number", "sex", "birth_date"}  # who the head is does not change by import


class ImportRefused(ServiceError):
    """The file has problems; nothing was written. `problems` lists them by sheet, row and column."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"导入未执行：发现 {len(problems)} 处问题，请修改后重新上传")


@dataclass
class Report:
    filename: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # sheet → created / updated / unchanged
    batch_id: int | None = None

    def add(self, sheet: str, what: str, n: int = 1) -> None:
        self.counts.setdefault(sheet, {"created": 0, "updated": 0, "unchanged": 0})[what] += n

    def summary(self) -> str:
        words = {"created": "新增", "updated": "更新", "unchanged": "无变化"}
        return "；".join(f"{sheet}：" + "，".join(f"{words[k]} {v:,}" for k, v in c.items() if v) for sheet, c in self.counts.items()
                        if any(c.values())) or "没有可导入的数据"


# --- what the store knows --------------------------------------------------------------------------


@dataclass
class Known:
    files: dict[str, tuple[int, str, int]]            # file_no → (id, status, version), in scope
    out_of_scope: set[str]                           # file numbers that exist elsewhere
    open_heads: dict[str, tuple[str, bool]]          # ID → (file_no, in scope) of open files, heads
    open_members: dict[str, tuple[str, bool]]        # ID → (file_no, in scope) of open files, members
    orgs: dict[str, tuple[int, str]]                 # union name → (id, place_code), in scope
    district_unions: dict[str, int]                  # place_code → the district union's id, in scope
    held: dict[str, "Held"] = field(default_factory=dict)  # file_no → what an import may not change, in scope
    lines_admin: bool = False


@dataclass(frozen=True)
class Held:
    id_number: str
    place_code: str
    org_id: int
    main_cause: str | None


def _known(session: Session, actor: Actor) -> Known:
    scoped = {r[0] for r in session.execute(org_filter(select(Household.file_no), actor))}
    files = {no: (hid, status, version) for no, hid, status, version in session.execute(
        select(Household.file_no, Household.id, Household.status, Household.version).where(Household.file_no.in_(
            org_filter(select(Household.file_no), actor))))}
    every = set(session.scalars(select(Household.file_no)))
    heads = {n: (no, no in scoped) for n, no in session.execute(
        select(Household.id_number, Household.file_no).where(Household.status.in_(OPEN)))}
    members = {n: (no, no in scoped) for n, no in session.execute(
        select(Member.id_number, Household.file_no).join(Household, Household.id == Member.household_id)
        .where(Household.status.in_(OPEN), Member.id_number.is_not(None)))}
    orgs = {name: (oid, place) for oid, name, place, kind in session.execute(
        org_filter(select(Org.id, Org.name, Org.place_code, Org.kind), actor, Org.id))}
    district = {place: oid for oid, name, place, kind in session.execute(
        org_filter(select(Org.id, Org.name, Org.place_code, Org.kind).where(Org.kind == "district"), actor, Org.id))}
    main = (select(HouseholdCause.cause).where(HouseholdCause.household_id == Household.id, HouseholdCause.is_main)
            .limit(1).scalar_subquery())
    held = {no: Held(number, place, org, cause) for no, number, place, org, cause in session.execute(
        org_filter(select(Household.file_no, Household.id_number, Household.place_code, Household.org_id, main), actor))}
    return Known(files, every - scoped, heads, members, orgs, district, held)


# --- checking --------------------------------------------------------------------------------------


@dataclass
class Plan:
    parsed: Parsed
    known: Known
    file_targets: dict[int, str | None] = field(default_factory=dict)   # FileRow.row → existing file_no (None: new)
    file_orgs: dict[int, int] = field(default_factory=dict)              # FileRow.row → org id
    new_numbers: set[str] = field(default_factory=set)                   # file numbers the workbook creates
    file_keys: dict[int, str] = field(default_factory=dict)              # FileRow.row → the key other sheets' rows resolve to
    history: dict[int, Assessment] = field(default_factory=dict)         # FileRow.row of a 导入的历史档案 → its category


def check(session: Session, actor: Actor, data: bytes, filename: str, *, sheet: str | None = None,
          today: dt.date | None = None, lock: bool = False) -> tuple[Plan | None, list[Problem]]:
    """Everything wrong with the file, by sheet, row and column; a plan to write when nothing is.

    With `lock` (the check of a write, in its transaction), the people of the workbook are locked before the store's
    open files are read, so that a file saved meanwhile with one of them waits, or is seen: one open file per person
    on every path. A check for the user to read takes no lock."""
    today = today or dt.date.today()
    if not actor.can_write_files:
        raise OutOfScope("您的角色只能查看，不能导入数据")
    sheets, problems = read_file(data, filename, sheet, reader=file_sandbox.read_tables)  # in a limited child process
    if problems:
        return None, problems
    parsed = parse(sheets, today)
    if lock:
        lock_identities(session, [f.head.get("id_number") for f in parsed.files] + [m.values.get("id_number") for m in parsed.members])
    known = _known(session, actor)
    plan = Plan(parsed, known)
    problems = list(parsed.problems)
    _check_files(session, plan, actor, problems)
    _resolve_refs(plan, problems)
    _check_children(session, plan, actor, problems, today, lock)
    _check_history(session, plan, problems, today)
    order = list(sheets)
    problems.sort(key=lambda p: (order.index(sheet_kind(p.sheet)) if sheet_kind(p.sheet) in order else 99, sheet_order(p.sheet), p.row or 0))
    return (None if problems else plan), problems


def _elsewhere(session: Session, actor: Actor, number: str, where: str) -> str:
    """The refusal of a number held outside the user's scope: no more than that, audited, limited per day."""
    return audit.DUPLICATE_ELSEWHERE if audit.duplicate_refused(session, actor, number, where) else audit.DUPLICATE_LIMIT_MESSAGE


def _check_files(session: Session, plan: Plan, actor: Actor, problems: list[Problem]) -> None:
    known = plan.known
    for f in plan.parsed.files:
        bad = lambda column, message: problems.append(Problem("家庭档案", f.row, column, message))  # noqa: E731
        number = f.head["id_number"]
        by_number = f.file_no if f.file_no in known.files else None
        holder = known.open_heads.get(number)
        if f.file_no and f.file_no in known.out_of_scope:
            bad("档案编号", f"档案编号 {f.file_no} 已被使用，且不在您的管辖范围内：新建的户请留空档案编号")
            continue
        if holder and not holder[1]:
            bad("户主身份证号", _elsewhere(session, actor, number, f"{holder[0]}，户主"))
            continue
        by_id = holder[0] if holder else None
        if by_number and by_id and by_number != by_id:
            bad("档案编号", f"这一行可能对应两户：档案编号是 {f.file_no}，户主身份证号却在 {by_id} 中，请核对")
            continue
        if f.file_no and not by_number and by_id:
            bad("档案编号", f"该户主已有档案 {by_id}：更新该户请填写档案编号 {by_id}（档案编号不能更改）")
            continue
        member_of = known.open_members.get(number)
        target = by_number or by_id
        if member_of and member_of[0] != target:
            bad("户主身份证号", f"该身份证号已是档案 {member_of[0]} 的家庭成员，一人只能在一个在档档案中" if member_of[1]
                else _elsewhere(session, actor, number, f"{member_of[0]}，家庭成员"))
            continue
        if target is None and audit.duplicate_limit_reached(session, actor):
            bad("户主身份证号", audit.DUPLICATE_LIMIT_MESSAGE)  # a new person: the check no longer answers today
            continue
        plan.file_targets[f.row] = target
        if target is None:
            if f.status not in (None, "applying", "active"):
                bad("状态", f"新建的档案不能直接是“{codes.HOUSEHOLD_STATUS[f.status]}”：其他系统中已在档的户请以“在档”导入，"
                          "再在档案中办理脱困、解困或退出（须有日期和原因）")
            if f.file_no:
                plan.new_numbers.add(f.file_no)
            org = _org_for(plan, f, bad)
            if org is not None:
                plan.file_orgs[f.row] = org
            continue
        # what an import may not change on a file: who it is, where it belongs, its status, its main cause
        held = known.held[target]
        if f.status is not None and known.files[target][1] != f.status:
            bad("状态", f"档案 {target} 现为“{codes.HOUSEHOLD_STATUS[known.files[target][1]]}”；状态变更（脱困、退出、返困）请在档案中办理")
        if held.id_number != number:
            bad("户主身份证号", f"与档案 {target} 的户主身份证号不一致：更换户主请在档案中修改")
        if held.place_code != f.place_code or (f.org and known.orgs.get(f.org, (None,))[0] != held.org_id):
            bad("区县" if held.place_code != f.place_code else "所属工会", f"与档案 {target} 不一致：变更区县或所属工会请在档案中修改")
        main = next((c for c, is_main in f.causes if is_main), None)
        if held.main_cause and main != held.main_cause:
            bad("主要致困原因", f"与档案 {target} 的主要致困原因（{codes.CAUSE[held.main_cause]}）不一致：请在档案中修改")


def _org_for(plan: Plan, f: FileRow, bad) -> int | None:
    known = plan.known
    if f.org:
        if f.org not in known.orgs:
            bad("所属工会", f"工会“{f.org}”不存在或不在您的管辖范围内")
            return None
        org_id, org_place = known.orgs[f.org]
        if org_place not in (f.place_code, CITY_CODE):  # a city-level (industry) union has files in every district
            bad("所属工会", f"工会“{f.org}”不属于该区县，请核对“区县”和“所属工会”")
            return None
        return org_id
    if f.place_code in known.district_unions:
        return known.district_unions[f.place_code]
    bad("区县", "该区县不在您的管辖范围内；如属您的下级工会，请填写“所属工会”")
    return None


def _new_key(f: FileRow) -> str:
    """What the other sheets' rows resolve to for a household new in this workbook: its number, or, without one
    (the system numbers it when written), its row."""
    return f.file_no or f"（本工作簿家庭档案第 {f.row} 行的新户）"


def _sheet_of(row: int, sheet: str) -> str:
    """The workbook sheet a row was read from: its own for a row of a split 月收入 sheet (月收入2019), else `sheet`."""
    return row.sheet if isinstance(row, SheetRow) else sheet


def _here_or(first: int, row: int, here: str) -> str:
    """Where the earlier of two rows is: "本表第 3 行", or "工作表“帮扶措施-1”第 3 行" when it is on another part."""
    if isinstance(first, SheetRow) and _sheet_of(row, "") != first.sheet:
        return row_text(first)
    return f"{here}第 {int(first)} 行"


def _rows_text(rows: list[int]) -> str:
    """第 3–14、20 行: rows as ranges, the first few."""
    spans: list[list[int]] = []
    for row in sorted(rows):
        if spans and row == spans[-1][1] + 1:
            spans[-1][1] = row
        else:
            spans.append([row, row])
    parts = [f"{a}–{b}" if b > a else str(a) for a, b in spans]
    return "第 " + "、".join(parts[:8]) + (" 等" if len(parts) > 8 else "") + " 行"


def _resolve_refs(plan: Plan, problems: list[Problem]) -> None:
    """Each row of the other sheets to the household it names, by 档案编号 and/or the head's 身份证号: an existing file
    in scope (its number) or a 家庭档案 row of this workbook (`file_keys`). The records are rewritten with those keys.

    A household named on many rows is reported once per sheet, with its rows: when its 家庭档案 row is refused
    ("见 家庭档案 第 10 行（该行有误）"), and when it exists nowhere the user may see."""
    known, parsed = plan.known, plan.parsed
    bad_rows = {p.row for p in problems if p.sheet == "家庭档案"}
    by_no: dict[str, str] = {}
    by_head: dict[str, str] = {}
    refused = dict(parsed.refused_files)
    for f in parsed.files:
        if f.row in bad_rows or f.row not in plan.file_targets:
            for ref in ([f.file_no] if f.file_no else []) + [HEAD_REF + f.head["id_number"]]:
                refused.setdefault(ref, f.row)
            continue
        key = plan.file_targets[f.row] or _new_key(f)
        plan.file_keys[f.row] = key
        if f.file_no:
            by_no[f.file_no] = key
        by_head[f.head["id_number"]] = key
    pointing: dict[tuple[str, str], list[int]] = {}
    unknown: dict[tuple[str, str], list[int]] = {}

    def key_of(sheet: str, row: int, ref: str) -> str | None:
        sheet = _sheet_of(row, sheet)  # a part of a split sheet (月收入2019, 走访记录-2) is reported as itself
        file_no, head = split_ref(ref)
        parts = ([file_no] if file_no else []) + ([HEAD_REF + head] if head else [])
        if any(part in refused for part in parts):
            pointing.setdefault((sheet, ref), []).append(row)
            return None
        by_number = (by_no.get(file_no) or (file_no if file_no in known.files else None)) if file_no else None
        holder = known.open_heads.get(head) if head else None
        by_id = (by_head.get(head) or (holder[0] if holder and holder[1] else None)) if head else None
        if (file_no and by_number is None) or (head and by_id is None):
            unknown.setdefault((sheet, ref), []).append(row)
            return None
        if file_no and head and by_number != by_id:
            problems.append(Problem(sheet, row, "户主身份证号", f"档案编号 {file_no} 与户主身份证号 {head} 不是同一户，请核对"))
            return None
        return by_number or by_id

    resolved = []
    for m in parsed.members:
        key = key_of("家庭成员", m.row, m.file_no)
        if key is not None:
            m.file_no = key
            resolved.append(m)
    parsed.members = resolved
    parsed.incomes = [(row, key, v) for row, ref, v in parsed.incomes if (key := key_of("月收入", row, ref)) is not None]
    parsed.removals = [(row, key, c, d) for row, ref, c, d in parsed.removals if (key := key_of("致困原因消除", row, ref)) is not None]
    parsed.measures = [(row, key, v) for row, ref, v in parsed.measures if (key := key_of("帮扶措施", row, ref)) is not None]
    parsed.visits = [(row, key, v) for row, ref, v in parsed.visits if (key := key_of("走访记录", row, ref)) is not None]
    parsed.assistance = [(row, key, v, given) for row, ref, v, given in parsed.assistance
                         if (key := key_of("救助记录", row, ref)) is not None]
    for (sheet, ref), rows in pointing.items():
        file_no, head = split_ref(ref)
        at = next(refused[p] for p in ([file_no] if file_no else []) + ([HEAD_REF + head] if head else []) if p in refused)
        problems.append(Problem(sheet, rows[0], "档案编号" if file_no else "户主身份证号",
                                f"{ref_text(ref)} 见 家庭档案 第 {at} 行（该行有误）：本表{_rows_text(rows)}（共 {len(rows)} 行）属于该户，"
                                "改正该行后再检查"))
    for (sheet, ref), rows in unknown.items():
        file_no, _ = split_ref(ref)
        problems.append(Problem(sheet, rows[0], "档案编号" if file_no else "户主身份证号",
                                f"{ref_text(ref)} " + ("不存在" if file_no else "没有对应的申请中或在档档案")
                                + "（也不在本工作簿的“家庭档案”中），或不在您的管辖范围内"
                                + (f"：本表{_rows_text(rows)}（共 {len(rows)} 行）" if len(rows) > 1 else "")))
    # two rows for one month of one household, named once by its number and once by its head
    seen: dict[tuple[str, dt.date], int] = {}
    kept = []
    for row, key, values in parsed.incomes:
        first = seen.setdefault((key, values["month"]), row)
        if first != row:
            problems.append(Problem("月收入", row, "月份", f"{values['month']:%Y-%m} 与{row_text(first, _sheet_of(row, '月收入'))}"
                                    "是同一户同一月（同一户同一月只能有一行）"))
        else:
            kept.append((row, key, values))
    parsed.incomes = kept


def _check_children(session: Session, plan: Plan, actor: Actor, problems: list[Problem], today: dt.date,
                    lock: bool = False) -> None:
    """The other sheets' rows (already resolved to their households) against the store and the workbook."""
    known, parsed = plan.known, plan.parsed
    heads_in_book = {f.head["id_number"]: plan.file_keys[f.row] for f in parsed.files if f.row in plan.file_keys}
    # the rule the 月收入 screen applies (core.incomes): a closed file takes no new or changed month (its months as
    # stored, as an export of it holds them, read back unchanged)
    closed = {key: file_refusal(known.files[key][1]) for _, key, _ in parsed.incomes if key in known.files}
    closed = {key: refusal for key, refusal in closed.items() if refusal}
    stored = {}
    if closed:
        by_id = {known.files[key][0]: key for key in closed}
        stored = {(by_id[r.household_id], r.month): (r.income_fen, r.persons, r.transfer_fen)
                  for r in session.scalars(select(IncomeMonth).where(IncomeMonth.household_id.in_(by_id)))}
    for row, key, values in parsed.incomes:
        if key in closed and stored.get((key, values["month"])) != (values["income_fen"], values["persons"], values["transfer_fen"]):
            problems.append(Problem("月收入", row, "档案编号", f"档案 {key}{closed[key]}"))
    for m in parsed.members:
        number = m.values["id_number"]
        if number is None:
            continue  # matched by name within its file
        if known.open_heads.get(number, (None,))[0] == m.file_no or heads_in_book.get(number) == m.file_no:
            problems.append(Problem("家庭成员", m.row, "身份证号", f"该身份证号是档案 {m.file_no} 的户主，不能再作为家庭成员"))
            continue
        for holders in (known.open_heads, known.open_members):
            holder = holders.get(number)
            if holder and holder[0] != m.file_no:
                problems.append(Problem("家庭成员", m.row, "身份证号", f"该身份证号已在其他在档档案中（{holder[0]}），一人只能在一个在档档案中"
                                        if holder[1] else _elsewhere(session, actor, number,
                                                                     f"{holder[0]}，{'户主' if holders is known.open_heads else '家庭成员'}")))
                break
        else:
            head_of = heads_in_book.get(number)
            if head_of and head_of != m.file_no:
                problems.append(Problem("家庭成员", m.row, "身份证号", f"该身份证号是本工作簿中档案 {head_of} 的户主"))
            elif known.open_members.get(number, (None,))[0] != m.file_no and audit.duplicate_limit_reached(session, actor):
                problems.append(Problem("家庭成员", m.row, "身份证号", audit.DUPLICATE_LIMIT_MESSAGE))
    causes = _causes_by_file(session, known)
    book_causes = {plan.file_keys[f.row]: {c for c, _ in f.causes} for f in parsed.files if f.row in plan.file_keys}
    for row, key, cause, _ in parsed.removals:
        if cause not in causes.get(key, set()) | book_causes.get(key, set()):
            problems.append(Problem("致困原因消除", row, "致困原因", f"档案 {key} 没有“{codes.CAUSE[cause]}”这一致困原因"))
    if parsed.lines and actor.role != "admin":
        problems.append(Problem("低保标准", parsed.lines[0][0], None, "只有管理员可以导入低保标准"))
    clean_measures = []
    for row, key, raw in parsed.measures:
        try:
            clean_measures.append((row, key, check_measure(raw, file_causes=causes.get(key, set()) | book_causes.get(key, set()),
                                                           today=today)))
        except PlanErrors as exc:
            problems.extend(Problem("帮扶措施", row, _MEASURE_HEADERS.get(k, k), v) for k, v in exc.errors.items())
    _check_twin_payments(session, plan, clean_measures, problems, lock)
    _check_assistance(session, plan, problems)
    for row, key, raw in parsed.visits:
        try:
            check_visit(raw, today=today)
        except PlanErrors as exc:
            problems.extend(Problem("走访记录", row, _VISIT_HEADERS.get(k, k), v) for k, v in exc.errors.items())


def _check_twin_payments(session: Session, plan: Plan, rows: list[tuple[int, str, Any]], problems: list[Problem],
                         lock: bool) -> None:
    """The payments the new measures of the sheet would write meet the twin check of the 发放 form
    (core.plan.twin_refusal): against the file's recorded payments and the sheet's earlier rows. A row repeating a
    measure already there (or an earlier row) writes no payment: it only updates that measure."""
    if not any(clean.payment_dates() for _, _, clean in rows):
        return
    ids = {key: plan.known.files[key][0] for _, key, _ in rows if key in plan.known.files}  # files already stored
    if lock:  # as the form does: saves of a file's payments wait for each other (PostgreSQL; SQLite's write lock)
        for hid in sorted(set(ids.values())):
            lock_file(session, hid)
    recorded = recorded_payments(session, ids.values())
    stored_measures = set(session.execute(select(Measure.household_id, Measure.track, Measure.content, Measure.start_on)
                                          .where(Measure.household_id.in_(sorted(set(ids.values()))))).all())
    number_of = {hid: key for key, hid in ids.items()}
    seen = {(number_of[hid], track, content, start) for hid, track, content, start in stored_measures}
    written: dict[str, dict[tuple, int]] = defaultdict(dict)  # file → payment key → the row that writes it
    for row, key, clean in rows:
        same = (key, clean.track, clean.content, clean.start_on)
        if same in seen:
            continue
        seen.add(same)
        mine = recorded.get(ids.get(key), set())
        for day in clean.payment_dates():
            pay = payment_key(day, clean.amount_fen, clean.fund_source, clean.track)
            twin = twin_refusal(pay, mine)
            if twin is not None:
                problems.append(Problem("帮扶措施", row, "发放日期", f"档案 {key} {twin}，不能再导入；确属另一笔的，请在档案中登记"))
                break
            twin = twin_refusal(pay, written[key])
            if twin is not None:
                problems.append(Problem("帮扶措施", row, "发放日期",
                                        f"与{_here_or(written[key][pay], row, '本表')}是同一笔发放：{twin}；确属另一笔的，请在档案中登记"))
                break
        else:
            for day in clean.payment_dates():
                written[key].setdefault(payment_key(day, clean.amount_fen, clean.fund_source, clean.track), row)


def _check_history(session: Session, plan: Plan, problems: list[Problem], today: dt.date) -> None:
    """A new row 在档 with its 建档日期 is a file from another system (导入的历史档案): it keeps its date and status,
    and its category is computed now from the incomes the workbook brings, by the rule set in force (as 在档 does),
    so it needs them. Its exclusion checks are not in the workbook: they become the 待补核查 queue."""
    parsed = plan.parsed
    rows = [f for f in parsed.files if f.status == "active" and f.row in plan.file_keys and plan.file_targets.get(f.row) is None]
    if not rows:
        return
    months: dict[str, list[dict[str, Any]]] = {}
    for _, key, values in parsed.incomes:
        months.setdefault(key, []).append(values)
    lines: dict[str, dict[dt.date, int]] = {}
    for place, start, fen in session.execute(select(DibaoLine.place_code, DibaoLine.effective_from, DibaoLine.amount_fen)):
        lines.setdefault(place, {})[start] = fen
    for _, place, start, fen in parsed.lines:  # the workbook's own lines, as they will be once written
        lines.setdefault(place, {})[start] = fen
    names = {p.code: p.name for p in DISTRICTS}
    rule_set = parameter_on(session, "rule_set", today)
    multiplier = parameter_on(session, "relative_multiplier", today)
    limits = {"edge_multiple": parameter_on(session, "edge_multiplier", today),
              "accident_multiple": parameter_on(session, "accident_multiplier", today)}
    for f in rows:
        own = sorted((m for m in months.get(plan.file_keys[f.row], []) if m["month"] <= today), key=lambda m: m["month"])
        if not own:
            problems.append(Problem("家庭档案", f.row, "状态", "导入的历史档案（状态“在档”并有建档日期）须在“月收入”工作表中附上该户的月收入，"
                                    "以便按收入认定困难类别；新申请的户请把“状态”留空"))
            continue
        try:
            figures = [MonthFigures(m["month"], m["income_fen"], m["persons"],
                                    line_on(lines.get(f.place_code, {}).items(), m["month"], names.get(f.place_code, f.place_code)))
                       for m in own]
        except NoLineInForce as exc:
            problems.append(Problem("家庭档案", f.row, "状态", f"无法认定困难类别：{exc}"))
            continue
        plan.history[f.row] = assess(rule_set, figures, multiplier=multiplier, **limits, migrant=f.head.get("work_status") == "migrant",
                                     union_member=False, on=today)


_MEASURE_HEADERS = {"track": "措施类别", "programme": "项目", "cause": "针对致困原因", "content": "内容", "status": "状态", "start_on": "开始日期",
                    "end_on": "结束日期", "responsible": "责任人", "amount": "金额(元)", "fund_source": "资金来源", "first_pay_on": "发放日期",
                    "pay_count": "金额(元)", "pay_every": "金额(元)"}
_VISIT_HEADERS = {"visited_on": "走访日期", "visitor": "走访人", "kind": "方式", "notes": "情况记录"}


def _check_assistance(session: Session, plan: Plan, problems: list[Problem]) -> None:
    """救助记录 (rows already resolved to their households): no two records of one programme overlap — the workbook's
    rows among themselves and with the file's records (a row with the same programme and 起始日期 as a stored record is that record)."""
    rows = plan.parsed.assistance
    if not rows:
        return
    ids = {no: hid for no, (hid, _, _) in plan.known.files.items()}
    stored: dict[str, list[dict]] = defaultdict(list)
    wanted = {ids[no] for _, no, _, _ in rows if no in ids}
    number_of = {hid: no for no, hid in ids.items()}
    for r in session.scalars(select(AssistanceRecord).where(AssistanceRecord.household_id.in_(wanted))):
        stored[number_of[r.household_id]].append(
            {"programme": r.programme, "from_on": r.from_on, "to_on": r.to_on, "where": "档案中已有的记录"})
    in_book: dict[str, list[dict]] = defaultdict(list)
    for row, file_no, clean, _ in rows:
        key = (clean["programme"], clean["from_on"])
        if any((o["programme"], o["from_on"]) == key for o in in_book[file_no]):
            problems.append(Problem("救助记录", row, "起始日期", "同一档案、同一救助项目、同一起始日期的记录重复"))
            continue
        others = [o for o in stored[file_no] if (o["programme"], o["from_on"]) != key] + in_book[file_no]
        clash = overlapping(clean, others)
        if clash is not None:
            problems.append(Problem("救助记录", row, "起始日期",
                                    f"与{clash['where']}（{codes.ASSISTANCE_PROGRAMME[clash['programme']]} "
                                    f"{period_text(clash['from_on'], clash['to_on'])}）时间重叠：同一项目的记录不能重叠"))
            continue
        in_book[file_no].append(clean | {"where": row_text(row)})


def _causes_by_file(session: Session, known: Known) -> dict[str, set[str]]:
    ids = {hid: no for no, (hid, _, _) in known.files.items()}
    out: dict[str, set[str]] = {}
    for hid, cause in session.execute(select(HouseholdCause.household_id, HouseholdCause.cause)):
        if hid in ids:
            out.setdefault(ids[hid], set()).add(cause)
    return out


# --- writing ---------------------------------------------------------------------------------------


def run(session: Session, actor: Actor, data: bytes, filename: str, *, sheet: str | None = None, dry_run: bool = False,
        today: dt.date | None = None, progress: Progress | None = None) -> Report:
    """Check the file and, when nothing is wrong and not `dry_run`, write it all in the caller's transaction."""
    today = today or dt.date.today()
    say = progress or (lambda fraction, text: None)
    say(0.02, "正在检查……")
    plan, problems = check(session, actor, data, filename, sheet=sheet, today=today, lock=not dry_run)
    if problems:
        raise ImportRefused(problems)
    report = Report(filename)
    if dry_run:
        return report
    batch = ImportBatch(at=now(), user_id=actor.user_id, actor=actor.username, org_path=actor.org_path, filename=filename[:255],
                        counts="{}")
    session.add(batch)
    session.flush()
    writer = _Writer(session, actor, plan, batch.id, report, today)
    steps = [("家庭档案", writer.files), ("家庭成员", writer.members), ("月收入", writer.incomes), ("致困原因消除", writer.removals),
             ("低保标准", writer.lines), ("帮扶措施", writer.measures), ("走访记录", writer.visits), ("救助记录", writer.assistance)]
    for index, (name, step) in enumerate(steps):
        say(0.1 + 0.85 * index / len(steps), f"正在写入“{name}”……")
        step()
    writer.file_trails()
    if not any(c["created"] or c["updated"] for c in report.counts.values()):
        session.delete(batch)  # nothing to undo: no batch
        session.flush()
        say(1.0, "没有变化")
        return report
    batch.counts = json.dumps(report.counts, ensure_ascii=False)
    audit.record(session, actor, "import", "import_batch", batch.id, new=report.summary(), reason=f"导入 {filename}")
    audit.bump_data_version(session)
    session.flush()
    report.batch_id = batch.id
    say(1.0, "导入完成")
    return report


class _Writer:
    def __init__(self, session: Session, actor: Actor, plan: Plan, batch_id: int, report: Report, today: dt.date):
        self.s, self.actor, self.plan, self.batch, self.report, self.today = session, actor, plan, batch_id, report, today
        self.ids: dict[str, int] = {no: hid for no, (hid, _, _) in plan.known.files.items()}
        self.trail: dict[int, dict[tuple[str, str], int]] = {}
        self.last_number: dict[str, str] = {}  # place_code → the last number given in this batch

    def touched(self, household_id: int, sheet: str, what: str) -> None:
        """What the batch did to each file, for one line in that file's own trail (操作记录)."""
        per_file = self.trail.setdefault(household_id, {})
        per_file[(sheet, what)] = per_file.get((sheet, what), 0) + 1

    def file_trails(self) -> None:
        words = {"created": "新增", "updated": "更新"}
        for household_id, done in self.trail.items():
            text = "；".join(f"{sheet}{words[what]} {n}" for (sheet, what), n in sorted(done.items()))
            audit.record(self.s, self.actor, "import", "household", household_id, household_id=household_id, new=text,
                         reason=f"导入批次 {self.batch}")

    def _change(self, obj, values: dict[str, Any], sheet: str) -> None:
        """Apply changed fields to an existing row, keeping its old values for an undo (a row this batch created
        keeps none: the undo removes it — but its version after the batch is kept, so the undo still recognises it)."""
        changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
        if not changed:
            self.report.add(sheet, "unchanged")
            return
        ours = getattr(obj, "import_batch_id", None) == self.batch
        before = {} if ours else {k: audit.text_of(getattr(obj, k)) for k in changed}
        audit.update(self.s, self.actor, obj, changed, expected_version=None, reason=f"导入批次 {self.batch}")
        if isinstance(obj, Household):
            obj.updated_by = self.actor.username  # the file's last editor, for later conflict messages
        self.s.flush()
        self.s.add(ImportChange(batch_id=self.batch, entity=obj.__tablename__, entity_id=obj.id,
                                before=json.dumps(before, ensure_ascii=False), version_after=obj.version))
        self.report.add(sheet, "updated")
        if audit.household_of(obj) is not None:
            self.touched(audit.household_of(obj), sheet, "updated")

    def _number(self, place_code: str) -> str:
        """The next system file number of the district, skipping numbers typed for new files in this workbook (the
        store is asked once per district: the new files are inserted together, after all are numbered)."""
        last = self.last_number.get(place_code)
        if last is None:
            number = next_file_no(self.s, place_code)
        else:
            prefix, digits = last.rsplit("-", 1)
            number = f"{prefix}-{int(digits) + 1:06d}"
        while number in self.plan.new_numbers:
            prefix, last = number.rsplit("-", 1)
            number = f"{prefix}-{int(last) + 1:06d}"
        self.plan.new_numbers.add(number)
        self.last_number[place_code] = number
        return number

    def files(self) -> None:
        # the new files go in together (COPY with ids from the sequence, or multi-row INSERT ... RETURNING), then their
        # causes, steps and history
        new = [(f, self._new_household(f)) for f in self.plan.parsed.files if self.plan.file_targets.get(f.row) is None]
        ids = bulk.insert_new(self.s, Household.__table__, [values for _, values in new])
        records: dict[type, list[dict[str, Any]]] = {HouseholdCause: [], ProcessStep: [], StatusChange: []}
        for (f, values), household_id in zip(new, ids):
            file_no = values["file_no"]
            self._new_file_records(f, household_id, file_no, records)
            self.ids[file_no] = self.ids[self.plan.file_keys[f.row]] = household_id
            if f.file_no is None:
                f.file_no = file_no
            self.report.add("家庭档案", "created")
        for model, rows in records.items():  # one COPY (PostgreSQL) or a few executemany (SQLite) per table
            bulk.insert_rows(self.s, model.__table__, rows)
        added: list[dict[str, Any]] = []  # other causes a stored file gains
        for f in self.plan.parsed.files:
            target = self.plan.file_targets.get(f.row)
            head = {k: v for k, v in f.head.items()}
            if target is None:
                continue
            household = self.s.get(Household, self.ids[target])
            # only the columns the sheet has: a workbook without, say, 银行卡号 leaves the file's bank account alone
            values = {k: v for k, v in head.items() if k in f.given and k not in HEAD_UPDATABLE_SKIP}
            # a 申请中 file has no filing date yet (its 在档 step gives it one): a date in the row was its 申请 date
            filed_on = household.filed_on if household.status == "applying" else f.filed_on or household.filed_on
            values |= {"filed_on": filed_on, "category": f.category or household.category}
            self._change(household, values, "家庭档案")
            have = {c.cause for c in household.causes}
            added += [{"household_id": household.id, "cause": cause, "is_main": False, "import_batch_id": self.batch}
                      for cause, is_main in f.causes if cause not in have and not is_main]
        bulk.insert_rows(self.s, HouseholdCause.__table__, added)
        self.s.flush()

    def _new_household(self, f: FileRow) -> dict[str, Any]:
        """A new file goes through the filing steps: 申请中, with its 申请 step. Only a row 在档 with its 建档日期 (a file
        from another system) stays 在档: marked 导入的历史档案, with a step saying who imported it from which batch, and
        the category its imported incomes give (stored with the rule set and the explanation, as 在档 does)."""
        history = self.plan.history.get(f.row)
        values: dict[str, Any] = {"status": "applying", "filed_on": None, "category": None}
        if history is not None:
            explanation = history.explanation()
            if f.category and f.category != history.category:
                explanation += f"\n原系统填写的困难类别：{codes.CATEGORY[f.category]}（未采用：以本系统按收入认定的为准）"
            values = {"status": "active", "filed_on": f.filed_on, "historical_import": True, "category": history.category,
                      "category_rule_set": history.rule_set, "category_assessed_on": self.today, "category_explanation": explanation}
        return {"file_no": f.file_no or self._number(f.place_code), "org_id": self.plan.file_orgs[f.row], "place_code": f.place_code,
                "updated_by": self.actor.username, "import_batch_id": self.batch, **values, **f.head}

    def _new_file_records(self, f: FileRow, household_id: int, file_no: str, records: dict[type, list[dict[str, Any]]]) -> None:
        """The causes, the first process step and the status history of a new file (see `_new_household`), added to
        `records` (model → rows) to be written together."""
        source = f"导入批次 {self.batch}（{self.report.filename}）"
        history = self.plan.history.get(f.row)
        for cause, is_main in f.causes:
            records[HouseholdCause].append({"household_id": household_id, "cause": cause, "is_main": is_main,
                                            "import_batch_id": self.batch})
        if history is not None:
            step = {"household_id": household_id, "step": "imported", "done_on": self.today, "done_by": self.actor.display_name,
                    "note": f"导入的历史档案：原系统建档日期 {f.filed_on:%Y-%m-%d}，由 {self.actor.display_name} 从{source}导入；"
                            "未经本系统的入户调查、公示和审核，排除情形待补核查"}
            change = {"household_id": household_id, "from_status": None, "to_status": "active", "effective_on": f.filed_on,
                      "note": f"导入的历史档案（{source}）", "recorded_by": self.actor.username, "recorded_at": now()}
        else:
            applied_on = f.filed_on or self.today  # a date the row gives for a new application is its 申请 date
            step = {"household_id": household_id, "step": "apply", "done_on": applied_on, "done_by": self.actor.display_name,
                    "note": f"{source}；新建档案，须办理入户调查、公示、审核后在档"
                            + ("；工作簿中的建档日期记为申请日期" if f.filed_on else "")
                            + ("；工作簿中的困难类别未采用（在档时由系统认定）" if f.category else "")}
            change = {"household_id": household_id, "from_status": None, "to_status": "applying", "effective_on": applied_on,
                      "note": source, "recorded_by": self.actor.username, "recorded_at": now()}
        records[ProcessStep].append(step)
        records[StatusChange].append(change)
        audit.record(self.s, self.actor, "create", "household", household_id, household_id=household_id,
                     new=file_no, reason=source)
        audit.record(self.s, self.actor, "create", "process_step", household_id, field=step["step"], new=step["done_on"],
                     reason=step["note"], household_id=household_id)

    def members(self) -> None:
        existing = {}
        if self.plan.parsed.members:
            for m in self.s.scalars(select(Member).where(Member.household_id.in_({self.ids[x.file_no] for x in self.plan.parsed.members}))):
                existing[(m.household_id, m.id_number or f"姓名:{m.name}")] = m
        new = []
        for m in self.plan.parsed.members:
            hid = self.ids[m.file_no]
            row = existing.get((hid, m.values["id_number"] or f"姓名:{m.values['name']}"))  # no ID number: by name
            if row is None:
                new.append({"household_id": hid, "import_batch_id": self.batch, **m.values})
                self.report.add("家庭成员", "created")
                self.touched(hid, "家庭成员", "created")
            else:
                self._change(row, {k: m.values[k] for k in MEMBER_UPDATABLE if k in m.given}, "家庭成员")
        bulk.insert_rows(self.s, Member.__table__, new)
        self.s.flush()

    def incomes(self) -> None:
        rows = self.plan.parsed.incomes
        if not rows:
            return
        hids = sorted({self.ids[no] for _, no, _ in rows})
        existing = {}
        for start in range(0, len(hids), 2000):  # the months already there, for these files only
            chunk = hids[start:start + 2000]
            existing |= {(r.household_id, r.month): r for r in self.s.scalars(select(IncomeMonth).where(IncomeMonth.household_id.in_(chunk)))}
        new = []
        for _, no, values in rows:
            hid = self.ids[no]
            row = existing.get((hid, values["month"]))
            if row is None:
                new.append({"household_id": hid, "import_batch_id": self.batch, "version": 1, **values})
                self.touched(hid, "月收入", "created")
            else:
                self._change(row, values | {"month": row.month}, "月收入")
        bulk.insert_rows(self.s, IncomeMonth.__table__, new)  # many months at once: COPY or executemany, no object per row
        self.report.add("月收入", "created", len(new))

    def removals(self) -> None:
        for _, no, cause, day in self.plan.parsed.removals:
            row = self.s.scalar(select(HouseholdCause).where(HouseholdCause.household_id == self.ids[no], HouseholdCause.cause == cause))
            self._change(row, {"removed_on": day}, "致困原因消除")

    def lines(self) -> None:
        for _, place, day, fen in self.plan.parsed.lines:
            row = self.s.scalar(select(DibaoLine).where(DibaoLine.place_code == place, DibaoLine.effective_from == day))
            if row is None:
                self.s.add(DibaoLine(place_code=place, effective_from=day, amount_fen=fen, is_demo=False, import_batch_id=self.batch))
                self.report.add("低保标准", "created")
            else:
                # a new amount is a real one; the same amount leaves a demo line labelled as such
                self._change(row, {"amount_fen": fen} | ({"is_demo": False} if row.amount_fen != fen else {}), "低保标准")
        self.s.flush()

    def _stored(self, model, household_ids: set[int]) -> list:
        """The rows of `model` the files already have (a sheet's row may be one of them), in one query per 2,000 files."""
        ids = sorted(household_ids)
        return [row for start in range(0, len(ids), 2000)
                for row in self.s.scalars(select(model).where(model.household_id.in_(ids[start:start + 2000])))]

    def _again(self, household_id: int, sheet: str) -> None:
        """A row naming a record an earlier row of the same sheet creates: its details go into that new record."""
        self.report.add(sheet, "updated")
        self.touched(household_id, sheet, "updated")

    def measures(self) -> None:
        rows = self.plan.parsed.measures
        if not rows:
            return
        hids = {self.ids[no] for _, no, _ in rows}
        causes: dict[int, set[str]] = defaultdict(set)
        for hid, cause in self.s.execute(select(HouseholdCause.household_id, HouseholdCause.cause)
                                         .where(HouseholdCause.household_id.in_(sorted(hids)))):
            causes[hid].add(cause)
        stored = {(m.household_id, m.track, m.content, m.start_on): m for m in self._stored(Measure, hids)}
        new: dict[tuple, tuple[int, CleanMeasure, dict[str, Any]]] = {}
        for _, no, raw in rows:
            hid = self.ids[no]
            clean = check_measure(raw, file_causes=causes[hid], today=self.today)
            key = (hid, clean.track, clean.content, clean.start_on)
            progress = {"status": clean.status, "end_on": clean.end_on, "responsible": clean.responsible,
                        "programme": clean.programme, "cause": clean.cause}
            if key in stored:  # the same measure: its progress may have moved on (the money stays as it is)
                self._change(stored[key], progress, "帮扶措施")
            elif key in new:
                new[key][2].update(progress)
                self._again(hid, "帮扶措施")
            else:
                new[key] = (hid, clean, {"household_id": hid, "import_batch_id": self.batch, **clean.values()})
                self.touched(hid, "帮扶措施", "created")
                self.report.add("帮扶措施", "created")
        ids = bulk.insert_new(self.s, Measure.__table__, [values for _, _, values in new.values()])
        payments = [{"household_id": hid, "measure_id": measure_id, "track": clean.track, "programme": clean.programme,
                     "amount_fen": clean.amount_fen, "fund_source": clean.fund_source, "paid_on": day, "note": "导入",
                     "import_batch_id": self.batch}
                    for (hid, clean, _), measure_id in zip(new.values(), ids) for day in clean.payment_dates()]
        bulk.insert_rows(self.s, AidPayment.__table__, payments)

    def visits(self) -> None:
        rows = self.plan.parsed.visits
        if not rows:
            return
        stored = {(v.household_id, v.visited_on, v.visitor, v.kind): v for v in self._stored(Visit, {self.ids[no] for _, no, _ in rows})}
        new: dict[tuple, dict[str, Any]] = {}
        for _, no, raw in rows:
            hid = self.ids[no]
            values = check_visit(raw, today=self.today)
            key = (hid, values["visited_on"], values["visitor"], values["kind"])
            same = stored.get(key) or new.get(key)
            if same is None:
                new[key] = {"household_id": hid, "import_batch_id": self.batch, **values}
                self.report.add("走访记录", "created")
                self.touched(hid, "走访记录", "created")
            elif key in stored:
                self._change(same, {"notes": values["notes"], "needs": same.needs if values["needs"] is None else values["needs"]},
                             "走访记录")
            else:
                same.update({"notes": values["notes"], "needs": same["needs"] if values["needs"] is None else values["needs"]})
                self._again(hid, "走访记录")
        bulk.insert_rows(self.s, Visit.__table__, list(new.values()))

    def assistance(self) -> None:
        rows = self.plan.parsed.assistance
        if not rows:
            return
        stored = {(r.household_id, r.programme, r.from_on): r
                  for r in self._stored(AssistanceRecord, {self.ids[no] for _, no, _, _ in rows})}
        new: dict[tuple, dict[str, Any]] = {}
        for _, no, clean, source_given in rows:
            hid = self.ids[no]
            key = (hid, clean["programme"], clean["from_on"])
            if key in stored:  # the same record: it may have ended since, or its note changed
                same = stored[key]
                self._change(same, {"to_on": clean["to_on"], "note": clean["note"] if clean["note"] is not None else same.note}
                             | ({"source": clean["source"]} if source_given else {}), "救助记录")
            elif key in new:
                same = new[key]
                same.update({"to_on": clean["to_on"], "note": clean["note"] if clean["note"] is not None else same["note"]}
                            | ({"source": clean["source"]} if source_given else {}))
                self._again(hid, "救助记录")
            else:
                new[key] = {"household_id": hid, "import_batch_id": self.batch, **clean}
                self.report.add("救助记录", "created")
                self.touched(hid, "救助记录", "created")
        bulk.insert_rows(self.s, AssistanceRecord.__table__, list(new.values()))


# --- batches and undo ------------------------------------------------------------------------------

CREATED_ORDER = (AidPayment, Visit, AssistanceRecord, Measure, IncomeMonth, Member, HouseholdCause, DibaoLine)  # children before their files


def batches(session: Session, actor: Actor, limit: int = 200) -> list[ImportBatch]:
    stmt = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)
    if not actor.sees_everything:
        stmt = stmt.where(ImportBatch.org_path.startswith(actor.org_path))
    return list(session.scalars(stmt))


def undo(session: Session, actor: Actor, batch_id: int, *, expected_version: int) -> None:
    """Restore the exact state before the batch: its rows removed, the rows it changed given back their values.
    Refused (nothing changes) when any of those rows was changed after the import."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None or not (actor.sees_everything or batch.org_path.startswith(actor.org_path)) or not actor.can_write_files:
        raise NotFound("找不到该导入批次，或它不在您的管辖范围内")
    if batch.undone_at is not None:
        raise Conflict(f"该批次已于 {batch.undone_at:%Y-%m-%d %H:%M} 撤销")
    if actor.role != "admin" and session.scalar(select(func.count()).select_from(DibaoLine).where(DibaoLine.import_batch_id == batch_id)):
        raise OutOfScope("该批次导入了低保标准，只有管理员可以撤销")
    stale = "该批次导入的数据之后已被修改（{}），不能整批撤销；请先在档案中核对"
    models = {m.__tablename__: m for m in (Household, Member, HouseholdCause, IncomeMonth, DibaoLine, Measure, AidPayment, Visit,
                                           AssistanceRecord)}
    changes = session.scalars(select(ImportChange).where(ImportChange.batch_id == batch_id).order_by(ImportChange.id.desc())).all()
    left_at = {}  # the version each row was left at by the batch (the latest change to it)
    for change in changes:
        left_at.setdefault((change.entity, change.entity_id), change.version_after)
    for model in (*CREATED_ORDER, Household):  # rows the batch created: untouched since (version 1, or as the batch left them)
        for row_id, version in session.execute(select(model.id, model.version).where(model.import_batch_id == batch_id, model.version > 1)):
            if left_at.get((model.__tablename__, row_id)) != version:
                raise Conflict(stale.format(codes.AUDIT_ENTITY.get(model.__tablename__, model.__tablename__)))
    for change in changes:
        before = json.loads(change.before)
        if not before:
            continue  # a row this batch created: removed below
        row = session.get(models[change.entity], change.entity_id)
        if row is None or row.version != left_at[(change.entity, change.entity_id)]:
            raise Conflict(stale.format(codes.AUDIT_ENTITY.get(change.entity, change.entity)))
        values = {k: _typed(row, k, v) for k, v in before.items()}
        audit.update(session, actor, row, values, expected_version=row.version, reason=f"撤销导入批次 {batch_id}")
        left_at[(change.entity, change.entity_id)] = row.version
    created = select(Household.id).where(Household.import_batch_id == batch_id)
    _keep_deleted(session, actor, batch_id, created)
    try:
        for model in CREATED_ORDER:
            session.execute(delete(model).where(model.import_batch_id == batch_id))
        session.execute(delete(StatusChange).where(StatusChange.household_id.in_(created)))
        session.execute(delete(ProcessStep).where(ProcessStep.household_id.in_(created)))
        session.execute(delete(Household).where(Household.import_batch_id == batch_id))
        session.flush()
    except IntegrityError:
        raise Conflict("该批次导入的档案之后又录入了其他记录（如走访、措施、收入，或较晚的导入批次），不能整批撤销；"
                       "如是较晚的导入批次，请先撤销较晚的批次") from None
    audit.update(session, actor, batch, {"undone_at": now(), "undone_by": actor.username}, expected_version=expected_version,
                 reason="撤销导入")
    audit.record(session, actor, "undo_import", "import_batch", batch_id, reason=f"撤销导入 {batch.filename}")


def _keep_deleted(session: Session, actor: Actor, batch_id: int, created) -> None:
    """What an undo deletes stays in the audit trail: every deleted row's columns as JSON, one audit row per table
    and file (in that file's trail)."""
    targets = [(m, m.import_batch_id == batch_id) for m in CREATED_ORDER] + [
        (StatusChange, StatusChange.household_id.in_(created)), (ProcessStep, ProcessStep.household_id.in_(created)),
        (Household, Household.import_batch_id == batch_id)]
    for model, where in targets:
        table = model.__table__
        by_file: dict[int | None, list[dict]] = defaultdict(list)
        for row in session.execute(select(table).where(where).order_by(table.c.id)).mappings():
            household_id = row["id"] if model is Household else row.get("household_id")
            by_file[household_id].append({k: audit.text_of(v) for k, v in row.items() if v is not None})
        for household_id, rows in by_file.items():
            audit.record(session, actor, "delete", table.name, rows[0]["id"] if len(rows) == 1 else None, household_id=household_id,
                         old=json.dumps(rows, ensure_ascii=False), reason=f"撤销导入批次 {batch_id}：删除 {len(rows)} 行")


def _typed(row, key: str, text: str | None) -> Any:
    """A value kept as text in ImportChange, back in the column's type."""
    if text is None:
        return None
    current = getattr(row, key)
    column_type = type(row).__table__.c[key].type.python_type
    if column_type is bool:
        return text == "是"
    if column_type is dt.date:
        return dt.date.fromisoformat(text)
    if column_type is int:
        return int(text)
    return type(current)(text) if current is not None and not isinstance(current, str) else text
