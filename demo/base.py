"""What every part of the demo generator shares: its fixed dates and parameters, month arithmetic,
the small random helpers, and the plain records a household is built from."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from core.status_engine import month_index, month_of_index
from core.workdays import Calendar

from demo.places import DistrictSpec, UnionSpec

Progress = Callable[[float, str], None]
T = TypeVar("T")

DEMO_NOTE = "示例数据（虚构，非官方标准）"
RECORDED_BY = "system:demo"
RULE_SET = "national_2016"
EXIT_RUN_MONTHS = 6  # the default of the exit_run_months parameter

TODAY = dt.date(2020, 12, 31)  # the demo's "now": the end of the policy period
OFFICIAL_CALENDAR = Calendar()  # chinese-calendar knows every year the demo covers
DEMO_PUBLICITY_DAYS = 5  # the parameter's default, which the demo leaves in force
BASELINE = dt.date(2017, 12, 31)
LINES_FROM_YEAR, LINES_TO_YEAR = 2016, 2021


# --- months -----------------------------------------------------------------------------------
# A month is an int (year * 12 + month - 1) so that runs of consecutive months are simple sums;
# the status engine counts months the same way.
month_of = month_index
month_start = month_of_index


FIRST_INCOME_MONTH = month_of(dt.date(2017, 1, 1))
LAST_INCOME_MONTH = month_of(dt.date(2020, 12, 1))
FIRST_ASSESSMENT = dt.date(2017, 6, 30)  # six months of incomes (2017-01 … 2017-06) are recorded by then


def assessment_day(filed_on: dt.date) -> dt.date:
    """When a file's category is assessed: on filing, or on the first day with enough incomes."""
    return max(filed_on, FIRST_ASSESSMENT)


def days_after(day: dt.date, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


def weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


# --- small helpers ----------------------------------------------------------------------------


def pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights)[0]


def yuan(rng: random.Random, low: int, high: int, step: int = 1) -> int:
    """A random amount in fen, whole yuan in steps of `step` yuan."""
    return rng.randrange(low, high + 1, step) * 100


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class UnionOrg:
    """A 基层工会 created by the demo, with what it says about its members (town, employer)."""

    id: int
    name: str
    spec: UnionSpec


@dataclass(frozen=True)
class Helper:
    """A 一帮一 responsible person: a union cadre or a volunteer of a pairing unit."""

    name: str
    unit: str
    phone: str


@dataclass
class FilePlan:
    """What is decided about a file before its details: where, when, and which way it goes."""

    district: DistrictSpec
    path: str  # "climber" | "hard" | "stuck": how its income moves against the line
    applying: bool  # still 申请中 at the end of 2020
    apply_on: dt.date
    filed_on: dt.date | None
    id: int = 0


@dataclass
class Person:
    name: str
    sex: str
    birth: dt.date
    id_number: str
    health: str


@dataclass
class Story:
    """How a file unfolds: months of income and the dates it closes or reopens."""

    incomes: list[dict]  # income_month rows without ids
    climb_month: int | None = None  # first month above the line (climbers)
    reach_month: int | None = None  # first month at the line incl. transfers (hard cases)
    closed_on: dt.date | None = None
    closed_as: str | None = None  # exited | relieved | withdrawn
    withdraw_reason: str | None = None
    reopened_on: dt.date | None = None

    def open_on(self, filed_on: dt.date | None, day: dt.date) -> bool:
        """Was the file 在档 on this day?"""
        if filed_on is None or day < filed_on or day > TODAY:
            return False
        if self.closed_on and day >= self.closed_on:
            return bool(self.reopened_on and day >= self.reopened_on)
        return True

    def takes_income(self, month: dt.date) -> bool:
        """Could this month's income have been recorded (core.incomes: only while the file is 申请中 or 在档)? Not
        once the file is closed for good: the months from its closing on are drawn (the same draws either way)
        but not written."""
        return not (self.closed_on and not self.reopened_on and month >= self.closed_on)

    def helped_on(self, filed_on: dt.date | None, day: dt.date) -> bool:
        """Open, or relieved (解困 households stay under 常态化帮扶: visits and aid go on)."""
        if self.closed_as == "relieved" and self.closed_on <= day <= TODAY:
            return True
        return self.open_on(filed_on, day)
