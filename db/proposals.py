"""Confirming the engine's proposals: the chosen files closed as 脱困 or 解困, all or none.

Above both the engine's reader (db.evaluation) and the file's status changes (db.households), which it calls.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db.actor import Actor
from db.errors import OutOfScope, ValidationError
from db.evaluation import SUGGESTION, evaluate_files, evidence
from db.file_access import get_household
from db.households import close_household
from db.queries import parameter_on
from db.workdays import publicity_refusal


def confirm(
    session: Session, actor: Actor, household_ids: list[int], *, kind: str, as_of: dt.date, effective_on: dt.date | None,
    note: str | None = None, publicity_from: dt.date | None = None, today: dt.date | None = None,
) -> int:
    """Close the chosen files as 脱困 (kind "exit") or 解困 ("relief"), all or none.

    Each file must still meet the rule when the engine is run again for `as_of` (someone may have
    corrected an income since the list was shown). With `publicity_from`, the 公示 must have lasted
    the parameter's number of working days by the closing date.
    """
    today = today or dt.date.today()
    if not actor.can_write_files:
        raise OutOfScope("您的角色只能查看，不能确认脱困或解困")
    if kind not in SUGGESTION:
        raise ValidationError({"kind": "请选择脱困或解困"})
    if not household_ids:
        raise ValidationError({"household_ids": "请先在名单中勾选要确认的档案"})
    if effective_on is None:
        raise ValidationError({"effective_on": "请填写确认日期"})
    if publicity_from is not None:
        refusal = publicity_refusal(session, publicity_from, effective_on,
                                    int(parameter_on(session, "publicity_working_days", effective_on)), what="确认")
        if refusal:
            raise ValidationError({"publicity_from": refusal})
    if len(set(household_ids)) != len(household_ids):
        raise ValidationError({"household_ids": "同一档案被选了两次，请刷新名单后重新勾选"})
    current = evaluate_files(session, actor, as_of).set_index("household_id")
    problems = {}
    for household_id in household_ids:  # the ids the person saw: each must still be proposed, or nothing closes
        if household_id not in current.index:
            problems[str(household_id)] = "所选档案不存在或不在您的管辖范围内，请刷新名单。本次没有关闭任何档案"
        elif current.at[household_id, "suggestion"] != kind or current.at[household_id, "current_status"] != "active":
            file_no, name = current.at[household_id, "file_no"], current.at[household_id, "name"]
            problems[file_no] = (f"{file_no} {name} 已不再符合{SUGGESTION[kind][1:]}条件（可能已被他人确认或数据已更正），"
                                 "请刷新名单。本次没有关闭任何档案")
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
