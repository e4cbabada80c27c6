"""Checks on a household file as typed (建档立卡): every field gets a precise Chinese message.

`check_household` takes plain values from a form (or a spreadsheet row) and returns the clean values
for the store, or raises `IntakeErrors` mapping each field to its message: "id_number",
"members.2.id_number", "causes", ... The same checks serve the screen, the import and the shell.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from core import codes
from core.identity import InvalidIdentifier, parse_id_number, parse_mobile, parse_uscc
from core.money import InvalidAmount, yuan_to_fen
from core.typed import INVALID, echo, field_text
from core.typed import as_code as _code
from core.typed import as_date as _date
from core.typed import as_text as _text

EARLIEST_DATE = dt.date(1990, 1, 1)
BANK_ACCOUNT_RE = re.compile(r"^\d{12,19}$")

# The head-of-household fields that are code lists, with the list each must come from.
HEAD_CODE_FIELDS: dict[str, codes.CodeList] = {
    "ethnicity": codes.ETHNICITY, "political_status": codes.POLITICAL_STATUS, "health": codes.HEALTH,
    "disability_kind": codes.DISABILITY_KIND, "disability_grade": codes.DISABILITY_GRADE,
    "work_status": codes.WORK_STATUS, "model_worker": codes.MODEL_WORKER, "housing": codes.HOUSING,
    "employer_kind": codes.EMPLOYER_KIND, "industry": codes.INDUSTRY, "marital": codes.MARITAL,
    "hukou": codes.HUKOU, "medical_insurance": codes.MEDICAL_INSURANCE, "key_group": codes.KEY_GROUP,
}
HEAD_TEXT_FIELDS = ("worker_no", "employer", "address", "hukou_division", "bank_name")
HEAD_BOOL_FIELDS = ("single_parent", "zero_employment", "self_help_ability", "hard_to_exit", "casualty")
HEAD_DATE_FIELDS = ("union_member_since", "labour_relation_since")
MEMBER_CODE_FIELDS: dict[str, codes.CodeList] = {
    "relation": codes.RELATION, "health": codes.HEALTH, "identity": codes.MEMBER_IDENTITY,
    "medical_insurance": codes.MEDICAL_INSURANCE,
}

FIELD_LABELS = {
    "name": "姓名", "id_number": "身份证号", "sex": "性别", "birth_date": "出生日期", "ethnicity": "民族",
    "political_status": "政治面貌", "health": "健康状况", "disability_kind": "残疾类别", "disability_grade": "残疾等级",
    "work_status": "工作状态", "model_worker": "劳模类型", "housing": "住房类型", "floor_area": "建筑面积",
    "mobile": "手机号码", "employer": "工作单位", "employer_kind": "单位性质", "employer_uscc": "统一社会信用代码",
    "industry": "所属行业", "marital": "婚姻状况", "hukou": "户口类型", "address": "家庭住址",
    "hukou_division": "户口所在地", "medical_insurance": "医保状况", "single_parent": "是否单亲",
    "zero_employment": "是否零就业家庭", "self_help_ability": "是否有一定自救能力", "bank_name": "开户银行",
    "bank_account": "银行卡号", "key_group": "五类重点群体", "hard_to_exit": "难以脱困",
    "union_member_since": "入会日期", "labour_relation_since": "劳动关系起始日期",
    "worker_no": "职工编号", "casualty": "成员在灾害或意外事故中伤亡", "causes": "致困原因", "members": "家庭成员",
    "exclusions": "排除情形", "relation": "关系", "monthly_income": "月收入", "identity": "身份",
    "school_or_employer": "单位或学校", "able_to_work": "有劳动能力", "org_id": "所属工会", "place_code": "区县",
}


class IntakeErrors(ValueError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


@dataclass
class CauseInput:
    cause: str
    is_main: bool
    removed_on: dt.date | None = None


@dataclass
class CleanHousehold:
    head: dict[str, Any]
    members: list[dict[str, Any]] = field(default_factory=list)
    causes: list[CauseInput] = field(default_factory=list)
    exclusions: list[dict[str, Any]] = field(default_factory=list)

    def id_numbers(self) -> list[str]:
        return [self.head["id_number"]] + [m["id_number"] for m in self.members]


def _check_person_id(prefix: str, raw: dict, today: dt.date, errors: dict[str, str], out: dict) -> None:
    """The ID number, and birth date and sex derived from it and checked against what was typed."""
    try:
        parsed = parse_id_number(_text(raw.get("id_number")), today)
    except InvalidIdentifier as exc:
        errors[f"{prefix}id_number"] = str(exc)
        return
    out["id_number"] = parsed.number
    out["birth_date"] = parsed.birth_date
    out["sex"] = parsed.sex
    typed_birth = _date(raw.get("birth_date"))
    if typed_birth == INVALID:
        errors[f"{prefix}birth_date"] = "出生日期格式应为 YYYY-MM-DD"
    elif typed_birth and typed_birth != parsed.birth_date:
        errors[f"{prefix}birth_date"] = f"出生日期 {typed_birth:%Y-%m-%d} 与身份证号中的 {parsed.birth_date:%Y-%m-%d} 不一致"
    typed_sex = _code(raw.get("sex"), codes.SEX)
    if typed_sex == INVALID:
        errors[f"{prefix}sex"] = "性别只能是 男 或 女"
    elif typed_sex and typed_sex != parsed.sex:
        errors[f"{prefix}sex"] = f"性别“{codes.SEX[typed_sex]}”与身份证号（第17位）显示的“{codes.SEX[parsed.sex]}”不一致"


def _check_date(name: str, value: Any, today: dt.date, errors: dict[str, str], *, earliest: dt.date = EARLIEST_DATE) -> dt.date | None:
    day = _date(value)
    if day == INVALID:
        errors[name] = f"{FIELD_LABELS.get(name.split('.')[-1], name)}格式应为 YYYY-MM-DD"
        return None
    if day is not None and not (earliest <= day <= today):
        errors[name] = f"{FIELD_LABELS.get(name.split('.')[-1], name)}应在 {earliest:%Y-%m-%d} 至今天（{today:%Y-%m-%d}）之间"
        return None
    return day


def check_household(raw: dict[str, Any], today: dt.date | None = None) -> CleanHousehold:
    """Validate a whole file as typed: head fields, members, causes, exclusions."""
    today = today or dt.date.today()
    errors: dict[str, str] = {}
    head: dict[str, Any] = {}

    name = field_text(raw.get("name"), "household.name", errors, "name")
    if not name:
        errors["name"] = "请填写户主姓名"
    head["name"] = name
    _check_person_id("", raw, today, errors, head)

    for key, code_list in HEAD_CODE_FIELDS.items():
        value = _code(raw.get(key), code_list)
        if value == INVALID:
            errors[key] = f"{FIELD_LABELS[key]}“{echo(raw.get(key))}”不在代码表中，请从下拉列表中选择"
        head[key] = None if value == INVALID else value
    if head.get("disability_kind") and not head.get("disability_grade"):
        errors["disability_grade"] = "填写了残疾类别时，请同时选择残疾等级（一至四级）"
    for key in HEAD_TEXT_FIELDS:
        head[key] = field_text(raw.get(key), f"household.{key}", errors, key) or None
    for key in HEAD_BOOL_FIELDS:
        head[key] = bool(raw.get(key))
    for key in HEAD_DATE_FIELDS:
        head[key] = _check_date(key, raw.get(key), today, errors, earliest=dt.date(1950, 1, 1))

    for key, parse in (("mobile", parse_mobile), ("employer_uscc", parse_uscc)):  # optional, but checked when given
        head[key] = None
        if _text(raw.get(key)):
            try:
                head[key] = parse(_text(raw.get(key)))
            except InvalidIdentifier as exc:
                errors[key] = str(exc)
    account = _text(raw.get("bank_account")).replace(" ", "")
    if account and not BANK_ACCOUNT_RE.match(account):
        errors["bank_account"] = "银行卡号应为 12–19 位数字"
    head["bank_account"] = account or None
    area = _text(raw.get("floor_area"))
    head["floor_area_dm2"] = None
    if area:
        try:
            square_metres = Decimal(area)
            if not square_metres.is_finite() or square_metres < 0 or square_metres > 10000:
                raise InvalidOperation
            head["floor_area_dm2"] = int(square_metres * 100)
        except (InvalidOperation, ValueError):
            errors["floor_area"] = "建筑面积应为 0–10000 之间的数字（平方米）"

    members = _check_members(raw.get("members") or [], today, errors)
    causes = _check_causes(raw.get("causes") or [], today, errors)
    exclusions = _check_exclusions(raw.get("exclusions") or [], today, errors)

    seen: dict[str, str] = {}
    for who, number in [("户主", head.get("id_number"))] + [
        (f"第 {i + 1} 位成员", m.get("id_number")) for i, m in enumerate(members)
    ]:
        if not number:
            continue
        if number in seen:
            key = "id_number" if who == "户主" else f"members.{int(who.split()[1]) - 1}.id_number"
            errors[key] = f"身份证号与{seen[number]}重复"
        else:
            seen[number] = who
    if errors:
        raise IntakeErrors(errors)
    return CleanHousehold(head=head, members=members, causes=causes, exclusions=exclusions)


def _check_members(rows: list[dict], today: dt.date, errors: dict[str, str]) -> list[dict]:
    members = []
    for i, raw in enumerate(rows):
        if not any(_text(v) for k, v in raw.items() if k not in ("id", "version", "able_to_work")):
            continue  # an empty row left in the grid
        prefix = f"members.{i}."
        member: dict[str, Any] = {"id": raw.get("id"), "version": raw.get("version")}
        who = f"第 {i + 1} 位成员："
        member["name"] = field_text(raw.get("name"), "member.name", errors, prefix + "name", prefix=who)
        if not member["name"]:
            errors[prefix + "name"] = f"第 {i + 1} 位成员：请填写姓名"
        _check_person_id(prefix, raw, today, errors, member)
        if prefix + "id_number" in errors:
            errors[prefix + "id_number"] = f"第 {i + 1} 位成员：" + errors[prefix + "id_number"]
        for key, code_list in MEMBER_CODE_FIELDS.items():
            value = _code(raw.get(key), code_list)
            if value == INVALID:
                errors[prefix + key] = f"第 {i + 1} 位成员：{FIELD_LABELS[key]}“{echo(raw.get(key))}”不在代码表中"
                value = None
            member[key] = value
        if not member.get("relation") and prefix + "relation" not in errors:
            errors[prefix + "relation"] = f"第 {i + 1} 位成员：请选择与户主的关系"
        try:
            income = _text(raw.get("monthly_income"))
            member["monthly_income_fen"] = yuan_to_fen(income) if income else 0
        except InvalidAmount as exc:
            errors[prefix + "monthly_income"] = f"第 {i + 1} 位成员：月收入{exc}"
        member["able_to_work"] = bool(raw.get("able_to_work"))
        member["school_or_employer"] = field_text(raw.get("school_or_employer"), "member.school_or_employer", errors,
                                                  prefix + "school_or_employer", prefix=who) or None
        members.append(member)
    return members


def _check_causes(rows: list[dict], today: dt.date, errors: dict[str, str]) -> list[CauseInput]:
    causes: list[CauseInput] = []
    for i, raw in enumerate(rows):
        code = _code(raw.get("cause"), codes.CAUSE)
        if code is None:
            continue
        if code == INVALID:
            errors["causes"] = f"致困原因“{echo(raw.get('cause'))}”不在代码表中"
            continue
        removed = _check_date(f"causes.{i}.removed_on", raw.get("removed_on"), today, errors)
        causes.append(CauseInput(code, bool(raw.get("is_main")), removed))
    main = [c for c in causes if c.is_main]
    secondary = [c for c in causes if not c.is_main]
    if "causes" in errors:
        return causes
    if len(main) != 1:
        errors["causes"] = "请选择一个（且只能一个）主要致困原因"
    elif len(secondary) > codes.MAX_SECONDARY_CAUSES:
        errors["causes"] = f"次要致困原因最多 {codes.MAX_SECONDARY_CAUSES} 个，现为 {len(secondary)} 个"
    elif len({c.cause for c in causes}) != len(causes):
        errors["causes"] = "同一致困原因不能重复选择（主要原因不要再选为次要原因）"
    return causes


def _check_exclusions(rows: list[dict], today: dt.date, errors: dict[str, str]) -> list[dict]:
    out = []
    for raw in rows:
        code = raw.get("exclusion")
        if code not in codes.EXCLUSION:
            continue
        applies = bool(raw.get("applies"))
        source = field_text(raw.get("source"), "exclusion_check.source", errors, f"exclusions.{code}.source",
                            prefix=f"“{codes.EXCLUSION[code]}”：")
        if not source and not applies:
            continue  # not checked yet (filing to 在档 needs all four)
        if not source:
            errors[f"exclusions.{code}"] = f"“{codes.EXCLUSION[code]}”：请注明核查来源（如入户调查、不动产登记查询）"
        checked = _check_date(f"exclusions.{code}.checked_on", raw.get("checked_on") or today, today, errors)
        out.append({"exclusion": code, "applies": applies, "source": source, "checked_on": checked})
    return out
