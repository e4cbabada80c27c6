"""Excel out: the workbook format of `core.workbook` (re-imports unchanged) and the four ledgers unions report upward.

Everything is read within the actor's scope. The workbook and the three row-level ledgers hold
individual files, so only roles that may see files (admin, staff) get them; viewers and analysts may
download the 解困脱困进度表, which holds aggregates only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import codes, progress
from core.identity import mask_id_number
from core.workbook import HOUSEHOLDS, SHEETS, YES_NO, write_csv, write_xlsx
from db import dashboard, ledger
from db import audit
from db.actor import Actor
from db.errors import OutOfScope
from db.models import AidPayment, AssistanceRecord, DibaoLine, Household, HouseholdCause, IncomeMonth, Measure, Member, Org, Pairing, Place, Visit
from db.scope import org_filter

Table = tuple[list[str], list[dict]]  # headers, and rows keyed by header

FILES_LEDGER = "困难职工档案台账"
MEASURES_LEDGER = "帮扶措施台账"
PAYMENTS_LEDGER = "资金发放台账"
PROGRESS_TABLE = "解困脱困进度表"


def _require_files(actor: Actor) -> None:
    if not actor.can_write_files:
        raise OutOfScope("您的角色不能导出档案明细（含个人信息），可以下载解困脱困进度表")


def _day(value: dt.date | None) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def _yuan(fen: int | None) -> str:
    """Yuan as a person types it into the workbook: "1234.50", no thousands separator."""
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


def _amount(fen: int | None) -> Decimal | None:
    """Yuan in a ledger: a number Excel can add up, with exactly two decimals."""
    return None if fen is None else Decimal(fen).scaleb(-2)


def _label(code_list: codes.CodeList, code: str | None) -> str:
    return codes.label(code_list, code)


def _in_scope(session: Session, actor: Actor, model, *order) -> list:
    """The rows of a file's table (members, incomes, …) for every file in scope, in one query. Plain rows, not ORM
    objects: a city's 150,000 income months load several times faster."""
    stmt = select(*model.__table__.columns).join(Household, Household.id == model.household_id).order_by(*order)
    return list(session.execute(org_filter(stmt, actor)))


# --- the workbook: one contract with the import ----------------------------------------------------------


def _household_row(h: Household, place: str, causes: list, members: int) -> dict:
    row: dict = {}
    for column in HOUSEHOLDS.columns:
        value = getattr(h, column.key, None)
        if column.choices is YES_NO:
            value = "是" if value else "否"
        elif column.choices:
            value = column.choices.get(value, "") if value else ""
        row[column.key] = "" if value is None else value
    area = h.floor_area_dm2
    row.update(
        place=place, org=h.org.name, filed_on=_day(h.filed_on), persons=1 + members,
        main_cause=next((_label(codes.CAUSE, c.cause) for c in causes if c.is_main), ""),
        other_causes="；".join(_label(codes.CAUSE, c.cause) for c in causes if not c.is_main),
        floor_area="" if area is None else f"{Decimal(area).scaleb(-2).normalize():f}",  # 65.5, as typed
    )
    return row


def workbook_rows(session: Session, actor: Actor) -> dict[str, list[dict]]:
    """Every file in the actor's scope as the workbook's sheets (rows keyed by column key), values as a person types them."""
    _require_files(actor)
    places = dict(session.execute(select(Place.code, Place.name)).all())
    files = list(session.scalars(org_filter(select(Household).order_by(Household.file_no), actor)))
    file_no = {h.id: h.file_no for h in files}
    members, causes = defaultdict(list), defaultdict(list)
    for m in _in_scope(session, actor, Member, Member.id):
        members[m.household_id].append(m)
    for c in _in_scope(session, actor, HouseholdCause, HouseholdCause.id):
        causes[c.household_id].append(c)
    by_file = lambda row: file_no[row.household_id]  # noqa: E731 — sheets list rows file by file (a stable sort)
    return {
        "家庭档案": [_household_row(h, places[h.place_code], causes[h.id], len(members[h.id])) for h in files],
        "家庭成员": [
            {"file_no": h.file_no, "name": m.name, "relation": _label(codes.RELATION, m.relation), "id_number": m.id_number or "",
             "health": _label(codes.HEALTH, m.health), "monthly_income": _yuan(m.monthly_income_fen),
             "identity": _label(codes.MEMBER_IDENTITY, m.identity)}
            for h in files for m in members[h.id]
        ],
        "月收入": [
            {"file_no": file_no[i.household_id], "month": f"{i.month:%Y-%m}", "income": _yuan(i.income_fen), "persons": i.persons,
             "transfer": _yuan(i.transfer_fen)}
            for i in sorted(_in_scope(session, actor, IncomeMonth, IncomeMonth.month), key=by_file)
        ],
        "致困原因消除": [
            {"file_no": h.file_no, "cause": _label(codes.CAUSE, c.cause), "removed_on": _day(c.removed_on)}
            for h in files for c in causes[h.id] if c.removed_on
        ],
        # the lines are the city's, kept by administrators: only their export carries them (so a union's export
        # re-imports as it is, the import taking 低保标准 from administrators only)
        "低保标准": [
            {"place": places[line.place_code], "effective_from": _day(line.effective_from), "amount": _yuan(line.amount_fen)}
            for line in session.scalars(select(DibaoLine).order_by(DibaoLine.place_code, DibaoLine.effective_from))
        ] if actor.role == "admin" else [],
        "帮扶措施": [
            {"file_no": file_no[m.household_id], "track": _label(codes.TRACK, m.track), "programme": _label(codes.PROGRAMME, m.programme),
             "cause": _label(codes.CAUSE, m.cause), "content": m.content or "", "status": _label(codes.MEASURE_STATUS, m.status),
             "start_on": _day(m.start_on), "end_on": _day(m.end_on), "responsible": m.responsible or "",
             "amount": _yuan(m.amount_fen), "fund_source": _label(codes.FUND_SOURCE, m.fund_source), "first_pay_on": _day(m.first_pay_on)}
            for m in sorted(_in_scope(session, actor, Measure, Measure.start_on, Measure.id), key=by_file)
        ],
        "走访记录": [
            {"file_no": file_no[v.household_id], "visited_on": _day(v.visited_on), "visitor": v.visitor,
             "kind": _label(codes.VISIT_KIND, v.kind), "notes": v.notes or ""}
            for v in sorted(_in_scope(session, actor, Visit, Visit.visited_on, Visit.id), key=by_file)
        ],
        "救助记录": [
            {"file_no": file_no[r.household_id], "programme": _label(codes.ASSISTANCE_PROGRAMME, r.programme),
             "from_on": _day(r.from_on), "to_on": _day(r.to_on), "source": _label(codes.ASSISTANCE_SOURCE, r.source),
             "note": r.note or ""}
            for r in sorted(_in_scope(session, actor, AssistanceRecord, AssistanceRecord.from_on, AssistanceRecord.id), key=by_file)
        ],
    }


def export_workbook(session: Session, actor: Actor) -> bytes:
    return write_xlsx(workbook_rows(session, actor))


def workbook_sheet_csv(session: Session, actor: Actor, sheet: str) -> bytes:
    """One sheet of the workbook as CSV, with the same headers (it imports the same way when its sheet name is given)."""
    spec = SHEETS[sheet]
    rows = workbook_rows(session, actor)[sheet]
    return write_csv([c.header + (" *" if c.required else "") for c in spec.columns], [[r.get(c.key, "") for c in spec.columns] for r in rows])


# --- the ledgers unions report upward ---------------------------------------------------------------------


def files_ledger(session: Session, actor: Actor, today: dt.date | None = None) -> Table:
    """困难职工档案台账: one row per file in scope, with its current helper and latest visit."""
    _require_files(actor)
    main_cause = (select(HouseholdCause.cause).where(HouseholdCause.household_id == Household.id, HouseholdCause.is_main)
                  .limit(1).scalar_subquery())
    helper = (select(Pairing.helper_name).where(Pairing.household_id == Household.id, Pairing.end_on.is_(None))
              .order_by(Pairing.start_on.desc()).limit(1).scalar_subquery())
    last_visit = select(func.max(Visit.visited_on)).where(Visit.household_id == Household.id).scalar_subquery()
    stmt = (select(Household.file_no, Household.name, Household.id_number, Place.name, Org.name, Household.category, main_cause,
                   Household.status, Household.filed_on, helper, last_visit)
            .join(Place, Place.code == Household.place_code).join(Org, Org.id == Household.org_id).order_by(Household.file_no))
    headers = ["档案编号", "户主姓名", "身份证号", "区县", "所属工会", "困难类别", "主要致困原因", "状态", "建档日期", "帮扶责任人", "最近走访日期"]
    rows = [dict(zip(headers, (
        no, name, id_number if actor.can_write_files else mask_id_number(id_number), place, org, _label(codes.CATEGORY, category),
        _label(codes.CAUSE, cause), _label(codes.HOUSEHOLD_STATUS, status), filed_on, helper_name or "", visited), strict=True))
        for no, name, id_number, place, org, category, cause, status, filed_on, helper_name, visited
        in session.execute(org_filter(stmt, actor))]
    return headers, rows


def measures_ledger(session: Session, actor: Actor, today: dt.date | None = None) -> Table:
    """帮扶措施台账: one row per measure, with what has been paid under it so far."""
    _require_files(actor)
    today = today or dt.date.today()
    paid = (select(func.coalesce(func.sum(AidPayment.amount_fen), 0))
            .where(AidPayment.measure_id == Measure.id, AidPayment.paid_on <= today).scalar_subquery())
    stmt = (select(Household.file_no, Household.name, Place.name, Org.name, Measure, paid)
            .join(Household, Household.id == Measure.household_id).join(Place, Place.code == Household.place_code)
            .join(Org, Org.id == Household.org_id).order_by(Household.file_no, Measure.start_on, Measure.id))
    headers = ["档案编号", "户主姓名", "区县", "所属工会", "措施类别", "项目", "针对致困原因", "内容", "状态", "开始日期", "结束日期",
               "责任人", "每次金额(元)", "资金来源", "发放方式", "已发放(元)"]
    rows = [dict(zip(headers, (
        no, name, place, org, _label(codes.TRACK, m.track), _label(codes.PROGRAMME, m.programme), _label(codes.CAUSE, m.cause),
        m.content, _label(codes.MEASURE_STATUS, m.status), m.start_on, m.end_on, m.responsible or "", _amount(m.amount_fen),
        _label(codes.FUND_SOURCE, m.fund_source), _label(codes.PAY_EVERY, m.pay_every), _amount(paid_fen)), strict=True))
        for no, name, place, org, m, paid_fen in session.execute(org_filter(stmt, actor))]
    return headers, rows


def payments_ledger(session: Session, actor: Actor, today: dt.date | None = None) -> Table:
    """资金发放台账: one row per payment made (dated on or before today), the same rows as the 资金台账 page."""
    _require_files(actor)
    frame = ledger.detail(session, actor, ledger.View(), today or dt.date.today()).sort_values(["paid_on", "档案编号"], kind="stable")
    headers = ["发放日期", "档案编号", "户主姓名", "区县", "所属工会", "金额(元)", "资金来源", "措施类别", "项目", "备注"]
    rows = [dict(zip(headers, (r.paid_on, r.档案编号, r.户主姓名, r.区县, r.所属工会, _amount(int(r.amount_fen)), r.资金来源,
                               r.措施类别, r.项目, "" if pd.isna(r.note) else r.note), strict=True))
            for r in frame.itertuples(index=False)]
    return headers, rows


def progress_table(session: Session, actor: Actor, today: dt.date | None = None) -> Table:
    """解困脱困进度表: the city (or the actor's scope) and each district, per year, against the cumulative target.

    The same figures as the 进度看板's 分年度目标与完成 (db.dashboard + core.progress), unfiltered."""
    today = today or dt.date.today()
    data = dashboard.load(session, actor, today)
    table = progress.report(data.files, data.changes, data.baseline, data.shares, group="place_name", as_of=today)
    headers = list(table.columns)
    counts = [h for h in headers if h == "基数" or h.endswith("户数")]  # incl. 已退出户数, 返困户数 and the 新增 columns
    rows = []
    for record in table.to_dict("records"):
        # a year not begun has no figures (empty cells); its None made the count columns float: counts are whole
        row = {h: None if pd.isna(v) else v for h, v in record.items()}
        below_city = not actor.sees_everything and actor.org_path.count("/") > 2  # '/1/' is the city union itself
        if below_city and row.get(headers[0]) == "全市":
            row[headers[0]] = actor.org_name  # the whole of a union's scope is that union, not the city
        rows.append(row | {h: int(row[h]) for h in counts if row[h] is not None})
    return headers, rows


# each called as (session, actor, today=None)
LEDGERS: dict[str, Callable[..., Table]] = {
    FILES_LEDGER: files_ledger, MEASURES_LEDGER: measures_ledger, PAYMENTS_LEDGER: payments_ledger, PROGRESS_TABLE: progress_table,
}


def ledger_xlsx(title: str, table: Table) -> bytes:
    headers, rows = table
    return write_xlsx({title: rows}, titles={title: headers})


def ledger_csv(table: Table) -> bytes:
    headers, rows = table
    return write_csv(headers, [[row[h] for h in headers] for row in rows])


def record_export(session: Session, actor: Actor, title: str, rows: int | None = None) -> None:
    """Who took personal data out, and what: an export of files is written to the audit log."""
    audit.record(session, actor, "export", "household", None, new=None if rows is None else f"{rows:,} 行", reason=f"导出{title}")
