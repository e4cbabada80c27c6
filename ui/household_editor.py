"""Between the household form's widgets and the intake checks: initial values, tables, the raw dict."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from core import codes
from db.models import Household

PREFIX = "hf."

# head fields shown as select boxes: (field, label, code list, default code)
SELECTS = (
    ("ethnicity", "民族", codes.ETHNICITY, "01"),
    ("political_status", "政治面貌", codes.POLITICAL_STATUS, "13"),
    ("health", "健康状况", codes.HEALTH, "healthy"),
    ("disability_kind", "残疾类别", codes.DISABILITY_KIND, None),
    ("disability_grade", "残疾等级", codes.DISABILITY_GRADE, None),
    ("work_status", "工作状态", codes.WORK_STATUS, None),
    ("model_worker", "劳模类型", codes.MODEL_WORKER, "none"),
    ("marital", "婚姻状况", codes.MARITAL, None),
    ("hukou", "户口类型", codes.HUKOU, "urban"),
    ("medical_insurance", "医保状况", codes.MEDICAL_INSURANCE, None),
    ("housing", "住房类型", codes.HOUSING, None),
    ("employer_kind", "单位性质", codes.EMPLOYER_KIND, None),
    ("industry", "所属行业", codes.INDUSTRY, None),
    ("key_group", "五类重点群体", codes.KEY_GROUP, None),
)
TEXTS = (("name", "户主姓名 *"), ("id_number", "身份证号 *"), ("birth_date", "出生日期"), ("mobile", "手机号码"),
         ("worker_no", "职工编号"), ("employer", "工作单位"), ("employer_uscc", "统一社会信用代码"),
         ("address", "家庭住址"), ("hukou_division", "户口所在地"), ("floor_area", "建筑面积（平方米）"),
         ("bank_name", "开户银行"), ("bank_account", "银行卡号"))
DATES = (("union_member_since", "入会日期"), ("labour_relation_since", "劳动关系起始日期（农民工）"))
CHECKS = (("hard_to_exit", "难以脱困"), ("single_parent", "单亲家庭"), ("zero_employment", "零就业家庭"),
          ("self_help_ability", "有一定自救能力"), ("casualty", "成员因灾因意外伤亡"))
CHECK_HELP = {"hard_to_exit": "家中无人有劳动能力，或患重特大疾病、重度残疾，难以通过就业脱困",
              "casualty": "家庭成员在自然灾害或意外事故中伤亡（认定“意外致困”用）"}

MEMBER_COLUMNS = ["id", "姓名", "关系", "身份证号", "健康状况", "月收入(元)", "身份", "有劳动能力", "医保状况", "单位或学校"]
EXCLUSION_COLUMNS = ["code", "排除情形", "是否存在", "核查来源", "核查日期"]


def key(field: str) -> str:
    return PREFIX + field


def initial_values(household: Household | None, today: dt.date) -> dict[str, Any]:
    """Widget values (by key) for a new file, or for the file as it is stored."""
    values: dict[str, Any] = {}
    for field, _label, _codes, default in SELECTS:
        values[key(field)] = getattr(household, field) if household else default
    for field, _label in TEXTS:
        value = getattr(household, field, None) if household and field not in ("floor_area", "birth_date") else None
        if household and field == "floor_area" and household.floor_area_dm2 is not None:
            value = f"{household.floor_area_dm2 / 100:g}"
        if household and field == "birth_date" and household.birth_date:
            value = household.birth_date.isoformat()
        values[key(field)] = value or ""
    values[key("sex")] = household.sex if household else None
    for field, _label in DATES:
        values[key(field)] = getattr(household, field) if household else None
    for field, _label in CHECKS:
        values[key(field)] = bool(getattr(household, field)) if household else field == "self_help_ability"
    values[key("applied_on")] = today
    values[key("reason")] = ""
    causes = sorted(household.causes, key=lambda c: not c.is_main) if household else []
    values[key("main_cause")] = next((c.cause for c in causes if c.is_main), None)
    values[key("secondary_causes")] = [c.cause for c in causes if not c.is_main]
    for cause in causes:
        values[removed_key(cause.cause)] = cause.removed_on
    return values


def removed_key(cause: str) -> str:
    return key(f"removed.{cause}")


def member_frame(household: Household | None) -> pd.DataFrame:
    rows = [
        {"id": m.id, "姓名": m.name, "关系": codes.label(codes.RELATION, m.relation), "身份证号": m.id_number or "",
         "健康状况": codes.label(codes.HEALTH, m.health) or None, "月收入(元)": m.monthly_income_fen / 100,
         "身份": codes.label(codes.MEMBER_IDENTITY, m.identity) or None, "有劳动能力": m.able_to_work,
         "医保状况": codes.label(codes.MEDICAL_INSURANCE, m.medical_insurance) or None, "单位或学校": m.school_or_employer or ""}
        for m in (household.members if household else [])
    ]
    frame = pd.DataFrame(rows, columns=MEMBER_COLUMNS)
    return frame.astype({"id": "Int64", "月收入(元)": "float64", "有劳动能力": "bool"})


def exclusion_frame(checks: dict[str, Any], today: dt.date) -> pd.DataFrame:
    """The four exclusions, always all of them: a recorded yes/no with its source for each."""
    rows = []
    for code, text in codes.EXCLUSION.items():
        check = checks.get(code)
        rows.append({"code": code, "排除情形": text, "是否存在": bool(check.applies) if check else False,
                     "核查来源": check.source if check else "", "核查日期": check.checked_on if check else None})
    return pd.DataFrame(rows, columns=EXCLUSION_COLUMNS).astype({"是否存在": "bool"})


def _cell(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def raw_from_widgets(state: dict[str, Any], members: pd.DataFrame, exclusions: pd.DataFrame) -> dict[str, Any]:
    """The raw dict the intake checks take, from the widget values and the two tables."""
    raw: dict[str, Any] = {}
    for field, *_rest in SELECTS:
        raw[field] = state.get(key(field))
    for field, _label in TEXTS:
        raw[field] = state.get(key(field))
    raw["sex"] = state.get(key("sex"))
    for field, _label in DATES:
        raw[field] = state.get(key(field))
    for field, _label in CHECKS:
        raw[field] = state.get(key(field))
    raw["members"] = [
        {"id": _cell(r["id"]), "name": _cell(r["姓名"]), "relation": _cell(r["关系"]), "id_number": _cell(r["身份证号"]),
         "health": _cell(r["健康状况"]), "monthly_income": _cell(r["月收入(元)"]), "identity": _cell(r["身份"]),
         "able_to_work": bool(_cell(r["有劳动能力"])), "medical_insurance": _cell(r.get("医保状况")),
         "school_or_employer": _cell(r["单位或学校"])}
        for r in members.to_dict("records")
    ]
    main = state.get(key("main_cause"))
    raw["causes"] = [{"cause": main, "is_main": True, "removed_on": state.get(removed_key(main))}] if main else []
    raw["causes"] += [{"cause": c, "is_main": False, "removed_on": state.get(removed_key(c))}
                      for c in state.get(key("secondary_causes")) or []]
    raw["exclusions"] = [
        {"exclusion": r["code"], "applies": bool(_cell(r["是否存在"])), "source": _cell(r["核查来源"]), "checked_on": _cell(r["核查日期"])}
        for r in exclusions.to_dict("records")
    ]
    return raw
