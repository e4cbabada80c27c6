"""Excel out: the workbook format of `core.workbook` (re-imports unchanged) and the four ledgers unions report upward.

Everything is read within the actor's scope. The workbook and the three row-level ledgers hold
individual files, so only roles that may see files (admin, staff) get them; viewers and analysts may
download the 解困脱困进度表, which holds aggregates only.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import codes, progress
from core.identity import mask_id_number
from core.workbook import HOUSEHOLDS, INCOMES, SHEET_ROWS, SHEETS, SPLITTABLE, YES_NO, StreamingWorkbook, WorkbookTooLarge, write_csv, write_xlsx
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


@functools.lru_cache(maxsize=100_000)  # a province's export formats millions of dates, of a few thousand days
def _day(value: dt.date | None) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


@functools.lru_cache(maxsize=1_000)
def _month(value: dt.date) -> str:
    return f"{value:%Y-%m}"


def _yuan(fen: int | None) -> str:
    """Yuan as a person types it into the workbook: "1234.50", no thousands separator."""
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


def _amount(fen: int | None) -> Decimal | None:
    """Yuan in a ledger: a number Excel can add up, with exactly two decimals."""
    return None if fen is None else Decimal(fen).scaleb(-2)


def _label(code_list: codes.CodeList, code: str | None) -> str:
    return codes.label(code_list, code)


# --- the workbook: one contract with the import ----------------------------------------------------------


CHUNK_ROWS = 5_000  # rows fetched at a time (a server-side cursor on PostgreSQL): the export's memory stays flat


def _stream(session: Session, actor: Actor, stmt) -> Iterator:
    """The rows of a scoped statement, fetched CHUNK_ROWS at a time, never all at once."""
    # plain rows through the connection (no ORM loading: a province's 9 million rows spend a third less)
    return session.connection().execute(org_filter(stmt, actor).execution_options(yield_per=CHUNK_ROWS))


def _by_file(model, *order):
    """A file's table (members, measures, …) joined to its file's number, file by file."""
    return (select(Household.file_no, *model.__table__.columns).join(Household, Household.id == model.household_id)
            .order_by(Household.file_no, *order))


def _household_row(h, place: str, causes: list, members: int) -> dict:
    values = h._mapping
    row: dict = {}
    for column in HOUSEHOLDS.columns:
        value = values.get(column.key)
        if column.choices is YES_NO:
            value = "是" if value else "否"
        elif column.choices:
            value = column.choices.get(value, "") if value else ""
        row[column.key] = "" if value is None else value
    area = h.floor_area_dm2
    row.update(
        place=place, org=h.org_name, filed_on=_day(h.filed_on), persons=1 + members,
        main_cause=next((_label(codes.CAUSE, cause) for cause, is_main in causes if is_main), ""),
        other_causes="；".join(_label(codes.CAUSE, cause) for cause, is_main in causes if not is_main),
        floor_area="" if area is None else f"{Decimal(area).scaleb(-2).normalize():f}",  # 65.5, as typed
    )
    return row


def _households(session: Session, actor: Actor, places: dict[str, str]) -> Iterator[dict]:
    stmt = (select(*Household.__table__.columns, Org.name.label("org_name")).join(Org, Org.id == Household.org_id)
            .order_by(Household.file_no))
    for chunk in _stream(session, actor, stmt).partitions():
        ids = [h.id for h in chunk]
        causes = defaultdict(list)
        for household_id, cause, is_main in session.execute(
                select(HouseholdCause.household_id, HouseholdCause.cause, HouseholdCause.is_main)
                .where(HouseholdCause.household_id.in_(ids)).order_by(HouseholdCause.id)):
            causes[household_id].append((cause, is_main))
        members = dict(session.execute(select(Member.household_id, func.count()).where(Member.household_id.in_(ids))
                                       .group_by(Member.household_id)).all())
        for h in chunk:
            yield _household_row(h, places[h.place_code], causes[h.id], members.get(h.id, 0))


def _members(session: Session, actor: Actor) -> Iterator[dict]:
    for m in _stream(session, actor, _by_file(Member, Member.id)):
        yield {"file_no": m.file_no, "name": m.name, "relation": _label(codes.RELATION, m.relation), "id_number": m.id_number or "",
               "health": _label(codes.HEALTH, m.health), "monthly_income": _yuan(m.monthly_income_fen),
               "identity": _label(codes.MEMBER_IDENTITY, m.identity)}


def _income_years(session: Session, actor: Actor) -> Iterator[tuple[int, Iterator[dict]]]:
    """The 月收入 rows year by year (a sheet per year: 9.6 million months of a province pass one sheet's limit)."""
    first, last = session.execute(org_filter(select(func.min(IncomeMonth.month), func.max(IncomeMonth.month))
                                             .join(Household, Household.id == IncomeMonth.household_id), actor)).one()
    if first is None:
        return
    for year in range(first.year, last.year + 1):
        yield year, _incomes(session, actor, IncomeMonth.month >= dt.date(year, 1, 1), IncomeMonth.month < dt.date(year + 1, 1, 1))


def _incomes(session: Session, actor: Actor, *where) -> Iterator[dict]:
    for i in _stream(session, actor, _by_file(IncomeMonth, IncomeMonth.month).where(*where)):
        yield {"file_no": i.file_no, "month": _month(i.month), "income": _yuan(i.income_fen), "persons": i.persons,
               "transfer": _yuan(i.transfer_fen)}


def _removals(session: Session, actor: Actor) -> Iterator[dict]:
    for c in _stream(session, actor, _by_file(HouseholdCause, HouseholdCause.id).where(HouseholdCause.removed_on.is_not(None))):
        yield {"file_no": c.file_no, "cause": _label(codes.CAUSE, c.cause), "removed_on": _day(c.removed_on)}


def _lines(session: Session, actor: Actor, places: dict[str, str]) -> Iterator[dict]:
    # the lines are the city's, kept by administrators: only their export carries them (so a union's export
    # re-imports as it is, the import taking 低保标准 from administrators only)
    if actor.role != "admin":
        return
    for line in session.execute(select(DibaoLine.place_code, DibaoLine.effective_from, DibaoLine.amount_fen)
                                .order_by(DibaoLine.place_code, DibaoLine.effective_from)):
        yield {"place": places[line.place_code], "effective_from": _day(line.effective_from), "amount": _yuan(line.amount_fen)}


def _measures(session: Session, actor: Actor) -> Iterator[dict]:
    for m in _stream(session, actor, _by_file(Measure, Measure.start_on, Measure.id)):
        yield {"file_no": m.file_no, "track": _label(codes.TRACK, m.track), "programme": _label(codes.PROGRAMME, m.programme),
               "cause": _label(codes.CAUSE, m.cause), "content": m.content or "", "status": _label(codes.MEASURE_STATUS, m.status),
               "start_on": _day(m.start_on), "end_on": _day(m.end_on), "responsible": m.responsible or "",
               "amount": _yuan(m.amount_fen), "fund_source": _label(codes.FUND_SOURCE, m.fund_source), "first_pay_on": _day(m.first_pay_on)}


def _visits(session: Session, actor: Actor) -> Iterator[dict]:
    for v in _stream(session, actor, _by_file(Visit, Visit.visited_on, Visit.id)):
        yield {"file_no": v.file_no, "visited_on": _day(v.visited_on), "visitor": v.visitor,
               "kind": _label(codes.VISIT_KIND, v.kind), "notes": v.notes or ""}


def _assistance(session: Session, actor: Actor) -> Iterator[dict]:
    for r in _stream(session, actor, _by_file(AssistanceRecord, AssistanceRecord.from_on, AssistanceRecord.id)):
        yield {"file_no": r.file_no, "programme": _label(codes.ASSISTANCE_PROGRAMME, r.programme),
               "from_on": _day(r.from_on), "to_on": _day(r.to_on), "source": _label(codes.ASSISTANCE_SOURCE, r.source),
               "note": r.note or ""}


def _sheet_streams(session: Session, actor: Actor) -> dict[str, Callable[[], Iterator]]:
    """Each sheet of the workbook as a stream of rows (keyed by column key, values as a person types them), in the
    format's order; 月收入's stream gives (year, rows) pairs."""
    _require_files(actor)
    places = dict(session.execute(select(Place.code, Place.name)).all())
    streams = {
        "家庭档案": lambda: _households(session, actor, places), "家庭成员": lambda: _members(session, actor),
        "月收入": lambda: _income_years(session, actor), "致困原因消除": lambda: _removals(session, actor),
        "低保标准": lambda: _lines(session, actor, places), "帮扶措施": lambda: _measures(session, actor),
        "走访记录": lambda: _visits(session, actor), "救助记录": lambda: _assistance(session, actor),
    }
    assert list(streams) == list(SHEETS)
    return streams


def _sheet_rows(streams: dict[str, Callable[[], Iterator]], sheet: str) -> Iterator[dict]:
    if sheet == INCOMES.name:
        return (row for _, rows in streams[sheet]() for row in rows)
    return streams[sheet]()


def workbook_rows(session: Session, actor: Actor) -> dict[str, list[dict]]:
    """Every file in the actor's scope as the workbook's sheets (rows keyed by column key), 月收入 as one table — in
    memory: for a check or a test; an export streams (`write_workbook`)."""
    streams = _sheet_streams(session, actor)
    return {name: list(_sheet_rows(streams, name)) for name in streams}


Progress = Callable[[str, int], None]  # (the sheet begun, e.g. 月收入2019; rows written so far), then ("", all rows)


def write_workbook(session: Session, actor: Actor, target, *, progress: Progress | None = None,
                   sheet_rows: int = SHEET_ROWS) -> int:
    """The workbook (it re-imports unchanged) written into `target` (a path or a binary file) as it is read: rows come
    from the store CHUNK_ROWS at a time and go straight into the file, so memory stays flat whatever the scope.
    月收入 is a sheet per year (月收入2019, 月收入2020 …; a year past `sheet_rows` rows is split on as 月收入2019-1, -2 …),
    and another sheet of a file's rows past `sheet_rows` goes on in parts (走访记录-1, 走访记录-2 …).
    Returns the number of data rows written."""
    streams = _sheet_streams(session, actor)
    book = StreamingWorkbook(target, sheet_rows=sheet_rows, on_sheet=progress)
    try:
        for name, stream in streams.items():
            if name == INCOMES.name:
                book.write_years(INCOMES, stream())
            elif name in SPLITTABLE:
                book.write_split(SHEETS[name], stream())
            else:
                _whole(book, SHEETS[name], stream())
        book.close()
    except BaseException:
        book.abandon()
        raise
    if progress:
        progress("", book.rows_written)
    return book.rows_written


def _whole(book: StreamingWorkbook, spec, rows: Iterator[dict]) -> None:
    """家庭档案 or 低保标准, which the import reads from one sheet: past one sheet's limit the export is refused in Chinese
    (a city has nowhere near a million files; a province's may be exported district by district)."""
    book.write(spec, rows)
    if next(rows, None) is not None:
        raise WorkbookTooLarge(f"“{spec.name}”超过 {book.sheet_rows:,} 行，超出一个 Excel 工作表的容量：请按区县分别导出"
                               "（以各区县业务人员的身份导出）")


def export_workbook(session: Session, actor: Actor) -> bytes:
    """The workbook as bytes (a small scope; the page and the shell write a file: `write_workbook`)."""
    buffer = io.BytesIO()
    write_workbook(session, actor, buffer)
    return buffer.getvalue()


def workbook_sheet_csv(session: Session, actor: Actor, sheet: str) -> bytes:
    """One sheet of the workbook as CSV, with the same headers (it imports the same way when its sheet name is given);
    月收入 is one CSV of every year (a CSV has no row limit)."""
    spec = SHEETS[sheet]
    rows = _sheet_rows(_sheet_streams(session, actor), sheet)
    return write_csv([c.header + (" *" if c.required else "") for c in spec.columns], ([r.get(c.key, "") for c in spec.columns] for r in rows))


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
