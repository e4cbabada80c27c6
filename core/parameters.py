"""Dated policy parameters: what each one means, its type, and the value in force on a date.

Like the 低保 lines, these are data with effective dates, kept apart from the rules that read
them. The defaults are the product owner's decisions in DOMAIN.md and are seeded from 2000-01-01.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.typed import echo


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    label: str  # Chinese, for screens
    kind: str  # int | decimal | date | shares | code
    default: str  # as stored (text)
    unit: str = ""
    minimum: int = 1  # for kind "int"


SEED_DATE = dt.date(2000, 1, 1)  # the decided defaults hold for every file, however old

SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec("exit_run_months", "脱困所需连续超线月数", "int", "6", "个月"),
    # incomes are entered after a month ends: a file with no record for the judged month may end its run this many
    # months earlier (0: the judged month itself must be recorded)
    ParameterSpec("income_lag_months", "收入录入允许滞后", "int", "1", "个月", minimum=0),
    ParameterSpec("publicity_working_days", "公示期", "int", "5", "个工作日"),
    ParameterSpec("baseline_date", "目标基数截止日（基线）", "date", "2017-12-31"),
    ParameterSpec("target_shares", "年度解困脱困目标（占基数%）", "shares", '{"2018": 50, "2019": 40, "2020": 10}'),
    ParameterSpec("visit_interval_months", "走访间隔", "int", "6", "个月"),
    ParameterSpec("followup_months", "脱困后回访期", "int", "6", "个月"),
    ParameterSpec("relative_multiplier", "相对困难倍数 m", "decimal", "1.5", "倍低保标准"),
    # the income tests of 脱困 / 解困 and of the 2016 categories as multiples of the month's line (the policy's
    # own figures by default); each month is compared with the multiple in force on its first day, like its line
    ParameterSpec("exit_multiple", "脱困收入倍数（超过低保标准×倍数）", "decimal", "1", "倍低保标准"),
    ParameterSpec("relief_multiple", "解困收入倍数（达到低保标准×倍数）", "decimal", "1", "倍低保标准"),
    ParameterSpec("edge_multiplier", "低保边缘户收入上限", "decimal", "1.5", "倍低保标准"),
    ParameterSpec("accident_multiplier", "意外致困户收入上限", "decimal", "3", "倍低保标准"),
    ParameterSpec("rule_set", "困难类别认定规则", "code", "national_2016"),
)
SPEC_BY_KEY = {s.key: s for s in SPECS}


class InvalidParameter(ValueError):
    """A parameter value that does not fit its kind; the message is for the user."""


def parse_value(key: str, text: str) -> Any:
    """Turn a stored (or typed) value into its typed form, refusing what does not fit."""
    spec = SPEC_BY_KEY[key]
    text = (text or "").strip()
    try:
        if spec.kind == "int":
            value = int(text)
            if value < spec.minimum:
                raise InvalidParameter(f"{spec.label}必须是正整数" if spec.minimum == 1 else f"{spec.label}必须是不小于 {spec.minimum} 的整数")
            return value
        if spec.kind == "decimal":
            value = Decimal(text)
            if not value.is_finite() or value <= 0 or value > 100:
                raise InvalidParameter(f"{spec.label}必须是大于 0、不超过 100 的数")
            if value.as_tuple().exponent < -4:  # compared exactly in integers: a bounded denominator
                raise InvalidParameter(f"{spec.label}最多保留四位小数")
            return value
        if spec.kind == "date":
            return dt.date.fromisoformat(text)
        if spec.kind == "shares":
            shares = {int(year): int(pct) for year, pct in json.loads(text).items()}
            if any(p < 0 for p in shares.values()) or sum(shares.values()) != 100:
                raise InvalidParameter(f"{spec.label}各年比例须为非负整数且合计为100%")
            return dict(sorted(shares.items()))
        return text
    except InvalidParameter:
        raise
    except (ValueError, ArithmeticError, AttributeError, TypeError):
        raise InvalidParameter(f"{spec.label}的取值“{echo(text)}”格式不正确") from None


def value_on(rows: Iterable[tuple[dt.date, str]], key: str, on: dt.date) -> Any:
    """The value in force on `on`: the row with the latest effective date not after it.

    There is no silent fallback: a key with no row in force on that date is an error.
    """
    in_force = [(start, value) for start, value in rows if start <= on]
    if not in_force:
        raise LookupError(f"参数“{SPEC_BY_KEY[key].label}”在 {on:%Y-%m-%d} 没有生效的取值")
    return parse_value(key, max(in_force)[1])


def cumulative_targets(shares: dict[int, int]) -> dict[int, int]:
    """Yearly shares (50/40/10) as cumulative percentages by the end of each year (50/90/100)."""
    total, out = 0, {}
    for year in sorted(shares):
        total += shares[year]
        out[year] = total
    return out


def display_value(key: str, text: str) -> str:
    """A stored value as a person reads it: 50/40/10 as years and percentages, codes as their names."""
    spec = SPEC_BY_KEY.get(key)
    if spec is None:
        return text
    try:
        value = parse_value(key, text)
    except InvalidParameter:
        return text
    if spec.kind == "shares":
        return "，".join(f"{year}年 {pct}%" for year, pct in value.items())
    if spec.kind == "code":
        from core.codes import RULE_SET

        return RULE_SET.get(value, value)
    if spec.kind == "date":
        return f"{value:%Y-%m-%d}"
    return f"{value} {spec.unit}".strip()
