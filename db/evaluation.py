"""Feeds the status engine from the store, within the actor's scope, and shapes its answer for people.

`evaluate_files(session, actor, as_of)` gives one row per file on record at `as_of` (its status that
day rebuilt from the status history), with the engine's proposal for the files 在档 that day.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import codes
from core.assistance import records_in_force
from core.status_engine import Inputs, evaluate, month_index, month_label, month_of_index, status_as_of
from db.actor import Actor
from db.errors import ValidationError
from db.frames import plain
from db.models import AssistanceRecord, DibaoLine, Household, HouseholdCause, IncomeMonth, Measure, Place, StatusChange
from db.queries import parameter_on
from db.scope import org_filter

SUGGESTION = {"exit": "可脱困", "relief": "可解困"}
ACTIVE_MEASURE = ("in_progress",)  # 常态化帮扶: a measure being carried out


def load_inputs(session: Session, actor: Actor, as_of: dt.date, *, months_back: int | None = None) -> tuple[Inputs, pd.DataFrame]:
    """The engine's tables for the files in scope, and the files themselves (id, file_no, place, status as of).

    With `months_back`, only that many months of incomes up to `as_of` are read: runs are then
    counted up to that length (enough to tell 即将脱困 from a complete run, and much faster)."""
    files = pd.DataFrame(
        plain(session.execute(org_filter(
            select(Household.id, Household.file_no, Household.name, Household.place_code, Household.hard_to_exit,
                   Household.status).order_by(Household.id), actor))),
        columns=["household_id", "file_no", "name", "place_code", "hard_to_exit", "current_status"],
    )
    ids = select(Household.id).where(Household.id.in_(org_filter(select(Household.id), actor)))
    changes = pd.DataFrame(
        plain(session.execute(select(StatusChange.id, StatusChange.household_id, StatusChange.effective_on, StatusChange.to_status)
                        .where(StatusChange.household_id.in_(ids)))),
        columns=["id", "household_id", "effective_on", "to_status"],
    )
    files["status"] = files["household_id"].map(status_as_of(changes, as_of))
    files = files[files["status"].notna()].reset_index(drop=True)

    # 纳入政府救助体系: any assistance record in force in the month judged (core.assistance.in_force)
    records = pd.DataFrame(plain(session.execute(
        select(AssistanceRecord.household_id, AssistanceRecord.programme, AssistanceRecord.from_on, AssistanceRecord.to_on)
        .where(AssistanceRecord.household_id.in_(ids)))), columns=["household_id", "programme", "from_on", "to_on"])
    covered = records[records_in_force(records, as_of)] if len(records) else records
    files["in_safety_net"] = files["household_id"].isin(covered["household_id"])
    named = covered.sort_values("from_on").groupby("household_id")["programme"].agg(
        lambda p: "、".join(dict.fromkeys(codes.ASSISTANCE_PROGRAMME.get(c, c) for c in p)))
    files["safety_net"] = [named.get(h, "") for h in files["household_id"]]  # the programmes, for the evidence line
    measured = set(session.scalars(
        select(Measure.household_id).where(
            Measure.household_id.in_(ids), Measure.status.in_(ACTIVE_MEASURE), Measure.start_on <= as_of,
            or_(Measure.end_on.is_(None), Measure.end_on >= as_of))))
    files["has_active_measure"] = files["household_id"].isin(measured)

    last_month = as_of.replace(day=1)
    window = [IncomeMonth.month <= last_month]
    if months_back is not None:
        first = month_of_index(month_index(last_month) - months_back + 1)
        window.append(IncomeMonth.month >= first)
    incomes = pd.DataFrame(
        plain(session.execute(select(IncomeMonth.household_id, IncomeMonth.month, IncomeMonth.income_fen, IncomeMonth.persons,
                               IncomeMonth.transfer_fen)
                        .where(IncomeMonth.household_id.in_(ids), *window)
                        .order_by(IncomeMonth.household_id, IncomeMonth.month))),
        columns=["household_id", "month", "income_fen", "persons", "transfer_fen"],
    )
    incomes = incomes[incomes["household_id"].isin(files["household_id"])]
    causes = pd.DataFrame(plain(session.execute(select(HouseholdCause.household_id, HouseholdCause.removed_on)
                                          .where(HouseholdCause.household_id.in_(ids)))),
                          columns=["household_id", "removed_on"])
    lines = pd.DataFrame(plain(session.execute(select(DibaoLine.place_code, DibaoLine.effective_from, DibaoLine.amount_fen))),
                         columns=["place_code", "effective_from", "amount_fen"])
    names = dict(session.execute(select(Place.code, Place.name)).all())
    inputs = Inputs(incomes=incomes, households=files[["household_id", "place_code", "hard_to_exit", "in_safety_net", "has_active_measure"]],
                    causes=causes, lines=lines, place_names=names)
    files["place_name"] = files["place_code"].map(names)
    return inputs, files


def evaluate_files(session: Session, actor: Actor, as_of: dt.date, *, months_back: int | None = None) -> pd.DataFrame:
    """One row per file on record at `as_of`, with the engine's proposal where the file was 在档 that day.

    `status` is the file's status on `as_of` (rebuilt from its history); `current_status` is today's.
    """
    inputs, files = load_inputs(session, actor, as_of, months_back=months_back)
    months = int(parameter_on(session, "exit_run_months", as_of))
    result = evaluate(inputs, as_of, months).merge(files, on="household_id")
    active = result["status"] == "active"
    result["suggestion"] = result["suggestion"].where(active, "")
    result["near_exit"] = result["near_exit"] & active
    result["exit_run_months"] = months
    return result


def evidence(row: pd.Series) -> str:
    """Why a proposal is made, in one line a person can check against the file."""
    if row["suggestion"] == "exit":
        start = month_label(int(row["run_start"]))
        return (f"自 {start} 起连续 {row['run_months']} 个月人均收入超过当月低保标准（最近：人均 {row['per_capita_fen'] / 100:.2f} 元，"
                f"标准 {row['line_fen'] / 100:.2f} 元）；致困原因已全部消除")
    if row["suggestion"] == "relief":
        return (f"难以脱困，已纳入{row['safety_net'] or '政府救助'}，有常态化帮扶措施；"
                f"{month_label(int(row['latest_month']))} 人均收入（含转移性收入）{row['per_capita_fen'] / 100:.2f} 元，"
                f"达到低保标准 {row['line_fen'] / 100:.2f} 元")
    if row["near_exit"]:
        return f"已连续 {row['run_months']} 个月超过低保标准（需 {row['exit_run_months']} 个月）"
    return ""


def report(result: pd.DataFrame) -> pd.DataFrame:
    """The `manage.py evaluate` table, with the issue's Chinese columns."""
    return pd.DataFrame({
        "档案编号": result["file_no"],
        "区县": result["place_name"],
        "状态": result["status"].map(codes.HOUSEHOLD_STATUS),
        "建议": result["suggestion"].map(SUGGESTION).fillna(""),
        "连续超线月数": result["run_months"],
        "最近月人均收入": result["per_capita_fen"].map(lambda f: "" if f < 0 else f"{f / 100:.2f}"),
        "当月低保标准": result["line_fen"].map(lambda f: "" if f <= 0 else f"{f / 100:.2f}"),
        "未消除致困原因数": result["open_causes"],
        "问题": result["problem"],
    }).sort_values("档案编号").reset_index(drop=True)



def confirm(
    session: Session, actor: Actor, household_ids: list[int], *, kind: str, as_of: dt.date, effective_on: dt.date | None,
    note: str | None = None, publicity_from: dt.date | None = None, today: dt.date | None = None,
) -> int:
    """Close the chosen files as 脱困 (kind "exit") or 解困 ("relief"), all or none.

    Each file must still meet the rule when the engine is run again for `as_of` (someone may have
    corrected an income since the list was shown). With `publicity_from`, the 公示 must have lasted
    the parameter's number of working days by the closing date.
    """
    from db.households import close_household, get_household, working_days_between

    today = today or dt.date.today()
    if kind not in SUGGESTION:
        raise ValidationError({"kind": "请选择脱困或解困"})
    if not household_ids:
        raise ValidationError({"household_ids": "请先在名单中勾选要确认的档案"})
    if effective_on is None:
        raise ValidationError({"effective_on": "请填写确认日期"})
    if publicity_from is not None:
        days = int(parameter_on(session, "publicity_working_days", effective_on))
        if publicity_from > effective_on or working_days_between(publicity_from, effective_on) < days:
            raise ValidationError({"publicity_from": f"公示期为 {days} 个工作日：自 {publicity_from:%Y-%m-%d} 起公示的，"
                                                     f"确认日期须在公示期满之后"})
    current = evaluate_files(session, actor, as_of).set_index("household_id")
    problems = {}
    for household_id in household_ids:
        if (household_id not in current.index or current.at[household_id, "suggestion"] != kind
                or current.at[household_id, "current_status"] != "active"):
            file_no = current.at[household_id, "file_no"] if household_id in current.index else str(household_id)
            problems[file_no] = f"已不再符合{SUGGESTION[kind][1:]}条件（数据可能已被更正），请刷新名单"
    if problems:
        raise ValidationError(problems)
    label = SUGGESTION[kind]
    for household_id in household_ids:
        household = get_household(session, actor, household_id=household_id)
        why = evidence(current.loc[household_id])
        text = "；".join(part for part in (
            f"{label}确认：{why}",
            f"公示自 {publicity_from:%Y-%m-%d} 起" if publicity_from else "",
            (note or "").strip(),
        ) if part)
        close_household(session, actor, household_id, expected_version=household.version,
                        to_status="exited" if kind == "exit" else "relieved", effective_on=effective_on, note=text, today=today)
    return len(household_ids)
