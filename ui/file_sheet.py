"""The printable file (一户一档 打印版): one self-contained HTML page a union can print for the paper file."""

from __future__ import annotations

import datetime as dt
from html import escape

import pandas as pd

from core import codes
from db.models import Household

CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; margin: 24px; color: #111; }
h1 { font-size: 20px; text-align: center; margin: 0 0 4px; }
.sub { text-align: center; color: #555; font-size: 12px; margin-bottom: 16px; }
h2 { font-size: 15px; border-left: 4px solid #c0392b; padding-left: 6px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { border: 1px solid #999; padding: 3px 5px; text-align: left; vertical-align: top; }
th { background: #f2f2f2; white-space: nowrap; }
pre { white-space: pre-wrap; font-family: inherit; font-size: 12px; margin: 0; }
.sign { margin-top: 28px; font-size: 13px; display: flex; justify-content: space-between; }
@media print { body { margin: 10mm; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, (dt.date, pd.Timestamp)):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return escape(str(value))


def _table(frame: pd.DataFrame, empty: str = "（无）") -> str:
    if frame.empty:
        return f"<p>{empty}</p>"
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in frame.itertuples(index=False))
    return f"<table><tr>{head}</tr>{rows}</table>"


def _facts(pairs: list[tuple[str, str]], per_row: int = 3) -> str:
    cells = [f"<th>{escape(k)}</th><td>{escape(v or '')}</td>" for k, v in pairs]
    rows = ["".join(cells[i:i + per_row]) for i in range(0, len(cells), per_row)]
    return "<table>" + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def head_facts(h: Household, id_number: str, assistance: str = "") -> list[tuple[str, str]]:
    floor = "" if h.floor_area_dm2 is None else f"{h.floor_area_dm2 / 100:g} 平方米"
    return [
        ("户主姓名", h.name), ("身份证号", id_number), ("性别", codes.label(codes.SEX, h.sex)),
        ("出生日期", f"{h.birth_date:%Y-%m-%d}" if h.birth_date else ""), ("民族", codes.label(codes.ETHNICITY, h.ethnicity)),
        ("政治面貌", codes.label(codes.POLITICAL_STATUS, h.political_status)), ("健康状况", codes.label(codes.HEALTH, h.health)),
        ("残疾", codes.label(codes.DISABILITY_KIND, h.disability_kind) + codes.label(codes.DISABILITY_GRADE, h.disability_grade)),
        ("工作状态", codes.label(codes.WORK_STATUS, h.work_status)), ("劳模类型", codes.label(codes.MODEL_WORKER, h.model_worker)),
        ("婚姻状况", codes.label(codes.MARITAL, h.marital)), ("户口类型", codes.label(codes.HUKOU, h.hukou)),
        ("医保状况", codes.label(codes.MEDICAL_INSURANCE, h.medical_insurance)), ("手机号码", h.mobile or ""),
        ("工作单位", h.employer or ""), ("单位性质", codes.label(codes.EMPLOYER_KIND, h.employer_kind)),
        ("统一社会信用代码", h.employer_uscc or ""), ("所属行业", codes.label(codes.INDUSTRY, h.industry)),
        ("住房类型", codes.label(codes.HOUSING, h.housing)), ("建筑面积", floor), ("家庭住址", h.address or ""),
        ("五类重点群体", codes.label(codes.KEY_GROUP, h.key_group)), ("难以脱困", "是" if h.hard_to_exit else "否"),
        ("纳入政府救助", assistance),
        ("单亲家庭", "是" if h.single_parent else "否"), ("零就业家庭", "是" if h.zero_employment else "否"),
        ("开户银行", h.bank_name or ""), ("银行卡号", h.bank_account or ""),
    ]


def render(household: Household, *, place_name: str, members: pd.DataFrame, causes: pd.DataFrame, incomes: pd.DataFrame,
           support: dict[str, pd.DataFrame], history: pd.DataFrame, printed_by: str, id_number: str) -> str:
    h = household
    category = codes.label(codes.CATEGORY, h.category) or "未认定"
    parts = [
        f"<h1>困难职工家庭档案</h1><div class='sub'>档案编号 {escape(h.file_no)} · {escape(place_name)} · {escape(h.org.name)} · "
        f"状态：{codes.HOUSEHOLD_STATUS[h.status]} · 困难类别：{escape(category)}</div>",
        "<h2>户主基本情况</h2>", _facts(head_facts(h, id_number, support["assistance_now"])),
        "<h2>家庭成员</h2>", _table(members),
        "<h2>致困原因</h2>", _table(causes),
        "<h2>困难类别认定</h2>", f"<pre>{escape(h.category_explanation or '尚未认定')}</pre>",
        "<h2>近期月收入</h2>", _table(incomes.tail(12)),
        "<h2>纳入政府救助体系</h2>", _table(support["assistance"]),
        "<h2>结对帮扶（一帮一）</h2>", _table(support["pairings"]),
        "<h2>帮扶措施</h2>", _table(support["measures"]),
        "<h2>资金发放</h2>", _table(support["payments"].head(30)),
        "<h2>走访记录</h2>", _table(support["visits"].head(20)),
        "<h2>状态变更记录</h2>", _table(history),
        f"<div class='sign'><span>填表人：{escape(printed_by)}</span><span>审核人：</span><span>打印日期：{dt.date.today():%Y-%m-%d}</span></div>",
    ]
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{escape(h.file_no)} {escape(h.name)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>")
