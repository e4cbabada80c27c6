"""Demo data: a fictitious but realistic city of hardship files for 秦皇岛, 2014–2020.

Everything here is invented. The 低保 lines are flagged `is_demo` and say so in their note; the
people, ID numbers, phones and accounts belong to no one. The data tells the policy's story:
files opened 2014–2017 (the baseline cohort) and 2018–2020 (新增), monthly incomes from 2017 on,
most households climbing above the line and closing as 脱困, the hard cases relieved (解困) under
the safety net, a few never getting out, withdrawn or falling back (返困).

Each filed household's 困难类别 is not drawn but assessed with `core.category.assess` under the
"national_2016" rule set, from the demo's own recorded months and lines, exactly as the app's
"重新认定" would: on the filing day, or on 2017-06-30 (the first day with six months of incomes) for
files opened earlier, over the (at most six) months recorded up to then. The months before that day
are shaped so that the rule gives the category the household's story calls for.

Deterministic: one `random.Random(seed)` drives every choice in a fixed order, and all dates are
fixed, so the same seed and household count give the same rows. Rows are built in memory with
primary keys assigned here and written with bulk inserts in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from core import codes
from core.category import DIBAO_RUN_MONTHS, Assessment, Exclusion, MonthFigures, assess
from core.identity import USCC_CHARS, id_check_char, uscc_check_char
from core.workdays import Calendar, latest_publicity_start, working_day_on_or_before
from core.places import CITY_CODE, DISTRICTS, PLACE_BY_CODE
from core.plan import payment_dates
from core.status_engine import month_index, month_of_index
from db.actor import system_actor
from db.audit import bump_data_version, record
from db.engine import transaction
from db.errors import ServiceError
from db.models import (
    AidPayment,
    AssistanceRecord,
    DibaoLine,
    ExclusionCheck,
    Household,
    HouseholdCause,
    IncomeMonth,
    Measure,
    Member,
    Org,
    Pairing,
    ProcessStep,
    StatusChange,
    Visit,
)

Progress = Callable[[float, str], None]
T = TypeVar("T")

DEMO_NOTE = "示例数据（虚构，非官方标准）"
RECORDED_BY = "system:demo"
RULE_SET = "national_2016"
EXIT_RUN_MONTHS = 6  # the default of the exit_run_months parameter
INSERT_CHUNK = 5000
FLUSH_ROWS = 60_000  # rows held in memory before they are written (a province-sized load stays small)

TODAY = dt.date(2020, 12, 31)  # the demo's "now": the end of the policy period
OFFICIAL_CALENDAR = Calendar()  # chinese-calendar knows every year the demo covers
DEMO_PUBLICITY_DAYS = 5  # the parameter's default, which the demo leaves in force
BASELINE = dt.date(2017, 12, 31)
LINES_FROM_YEAR, LINES_TO_YEAR = 2016, 2021

# Tables in foreign-key order; each gets ids max(id)+1, max(id)+2, … assigned here.
TABLES = (Org, DibaoLine, Household, AssistanceRecord, Member, HouseholdCause, ExclusionCheck, ProcessStep,
          StatusChange, IncomeMonth, Measure, AidPayment, Pairing, Visit)


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


# --- the places: size, 低保 level, streets and towns -------------------------------------------


@dataclass(frozen=True)
class Employer:
    name: str
    kind: str  # codes.EMPLOYER_KIND
    industry: str  # codes.INDUSTRY


@dataclass(frozen=True)
class UnionSpec:
    """A 基层工会 to create: a street/town union (its town gives addresses) or an enterprise's."""

    name: str
    town: str | None = None
    employer: Employer | None = None


@dataclass(frozen=True)
class DistrictSpec:
    code: str
    file_code: str  # in 档案编号
    share: float  # of all households
    urban: bool
    id_divisions: tuple[str, ...]  # 身份证号 division codes of people living here
    line_2016_yuan: int  # invented 低保 line on 2016-01-01
    unions: tuple[UnionSpec, ...]
    towns: tuple[str, ...]  # further 街道/乡镇 for addresses
    employers: tuple[Employer, ...]


def _e(name: str, kind: str, industry: str) -> Employer:
    return Employer(name, kind, industry)


DISTRICT_SPECS: dict[str, DistrictSpec] = {
    d.code: d
    for d in (
        DistrictSpec(
            "130302", "130302", 0.28, True, ("130302",), 640,
            (
                UnionSpec("海港区建设大街街道工会", "建设大街街道"),
                UnionSpec("海港区文化路街道工会", "文化路街道"),
                UnionSpec("海港区河东街道工会", "河东街道"),
                UnionSpec("海港区北环路街道工会", "北环路街道"),
                UnionSpec("海港区东港镇工会", "东港镇"),
                UnionSpec("秦皇岛港务集团工会", None, _e("秦皇岛港务集团有限公司", "state", "G")),
            ),
            ("白塔岭街道", "西港路街道", "燕山大街街道", "港城大街街道"),
            (_e("秦皇岛市鑫港玻璃制品有限公司", "private", "C"), _e("秦皇岛海润物流有限公司", "private", "G"),
             _e("秦皇岛市第二建筑工程公司", "collective", "E"), _e("秦皇岛海滨物业服务有限公司", "private", "K"),
             _e("秦皇岛金海宾馆有限公司", "private", "H"), _e("秦皇岛市粮油购销公司", "state", "F"),
             _e("秦皇岛燕山纺织有限公司", "collective", "C"), _e("秦皇岛市市政设施维护中心", "public_institution", "N")),
        ),
        DistrictSpec(
            "130303", "130303", 0.07, True, ("130303",), 610,
            (
                UnionSpec("山海关区南关街道工会", "南关街道"),
                UnionSpec("山海关区古城街道工会", "古城街道"),
                UnionSpec("山海关区路南街道工会", "路南街道"),
                UnionSpec("山海关区船舶工业园区联合工会", None, _e("秦皇岛山海重工配套有限公司", "private", "C")),
            ),
            ("西关街道", "船厂路街道", "第一关镇"),
            (_e("山海关古城旅游服务有限公司", "collective", "R"), _e("秦皇岛关城机械加工厂", "collective", "C"),
             _e("山海关区长城食品有限公司", "private", "C"), _e("山海关区环卫服务中心", "public_institution", "N")),
        ),
        DistrictSpec(
            "130304", "130304", 0.05, True, ("130304",), 625,
            (
                UnionSpec("北戴河区西山街道工会", "西山街道"),
                UnionSpec("北戴河区东山街道工会", "东山街道"),
                UnionSpec("北戴河区海滨镇工会", "海滨镇"),
            ),
            ("戴河镇", "牛头崖镇"),
            (_e("北戴河区海景酒店有限公司", "private", "H"), _e("北戴河区园林绿化工程公司", "collective", "N"),
             _e("北戴河区鸽子窝旅游服务有限公司", "private", "R")),
        ),
        DistrictSpec(
            "130306", "130306", 0.10, False, ("130306", "130323"), 560,
            (
                UnionSpec("抚宁区骊城街道工会", "骊城街道"),
                UnionSpec("抚宁区留守营镇工会", "留守营镇"),
                UnionSpec("抚宁区榆关镇工会", "榆关镇"),
                UnionSpec("抚宁区台营镇工会", "台营镇"),
            ),
            ("抚宁镇", "大新寨镇", "茶棚乡"),
            (_e("抚宁区农产品加工有限公司", "private", "C"), _e("抚宁区建材有限公司", "collective", "C"),
             _e("抚宁区骊城物业服务有限公司", "private", "K"), _e("抚宁区汽车运输公司", "collective", "G")),
        ),
        DistrictSpec(
            "130321", "130321", 0.12, False, ("130321",), 475,
            (
                UnionSpec("青龙满族自治县青龙镇工会", "青龙镇"),
                UnionSpec("青龙满族自治县肖营子镇工会", "肖营子镇"),
                UnionSpec("青龙满族自治县木头凳镇工会", "木头凳镇"),
                UnionSpec("青龙满族自治县祖山镇工会", "祖山镇"),
            ),
            ("双山子镇", "马圈子镇", "八道河镇"),
            (_e("青龙满族自治县矿业有限公司", "collective", "B"), _e("青龙满族自治县板栗加工有限公司", "private", "C"),
             _e("青龙满族自治县建筑安装公司", "collective", "E"), _e("青龙满族自治县供销合作社", "collective", "F")),
        ),
        DistrictSpec(
            "130322", "130322", 0.14, False, ("130322",), 535,
            (
                UnionSpec("昌黎县昌黎镇工会", "昌黎镇"),
                UnionSpec("昌黎县靖安镇工会", "靖安镇"),
                UnionSpec("昌黎县泥井镇工会", "泥井镇"),
                UnionSpec("昌黎县碣石山镇工会", "碣石山镇"),
                UnionSpec("昌黎县葡萄酒产业联合工会", None, _e("昌黎县碣石葡萄酿酒有限公司", "private", "C")),
            ),
            ("荒佃庄镇", "新集镇", "龙家店镇"),
            (_e("昌黎县干红酒业有限公司", "private", "C"), _e("昌黎县水产养殖有限公司", "private", "A"),
             _e("昌黎县皮毛加工厂", "individual", "C"), _e("昌黎县城市建设投资公司", "state", "E")),
        ),
        DistrictSpec(
            "130324", "130324", 0.09, False, ("130324",), 500,
            (
                UnionSpec("卢龙县卢龙镇工会", "卢龙镇"),
                UnionSpec("卢龙县燕河营镇工会", "燕河营镇"),
                UnionSpec("卢龙县石门镇工会", "石门镇"),
            ),
            ("潘庄镇", "刘家营乡", "陈官屯乡"),
            (_e("卢龙县粉丝加工厂", "individual", "C"), _e("卢龙县铁矿采选有限公司", "collective", "B"),
             _e("卢龙县甘薯食品有限公司", "private", "C"), _e("卢龙县公交客运公司", "collective", "G")),
        ),
        DistrictSpec(
            "ZONE-ETDZ", "ETDZ", 0.09, True, ("130302",), 640,
            (
                UnionSpec("开发区泰山路街道工会", "泰山路街道"),
                UnionSpec("开发区船厂路街道工会", "船厂路街道"),
                UnionSpec("开发区西区企业联合工会", None, _e("秦皇岛开发区精密铸造有限公司", "foreign", "C")),
                UnionSpec("开发区东区企业联合工会", None, _e("秦皇岛开发区汽车零部件有限公司", "private", "C")),
            ),
            ("珠江道街道", "黄河道街道"),
            (_e("秦皇岛数谷信息服务有限公司", "private", "I"), _e("秦皇岛开发区粮食物流有限公司", "private", "G"),
             _e("秦皇岛开发区保安服务有限公司", "private", "L"), _e("秦皇岛开发区食品工业有限公司", "private", "C")),
        ),
        DistrictSpec(
            "ZONE-BDHNA", "BDHNA", 0.06, True, ("130302",), 590,
            (
                UnionSpec("北戴河新区南戴河街道工会", "南戴河街道"),
                UnionSpec("北戴河新区团林乡工会", "团林乡"),
                UnionSpec("北戴河新区大蒲河镇工会", "大蒲河镇"),
            ),
            ("留守营镇",),
            (_e("北戴河新区旅游度假服务有限公司", "private", "H"), _e("北戴河新区海水养殖有限公司", "private", "A"),
             _e("北戴河新区建设工程有限公司", "private", "E")),
        ),
    )
}

# 产业工会 directly under the city union, each with two 基层工会 in a district.
INDUSTRY_UNIONS: tuple[tuple[str, tuple[tuple[UnionSpec, str], ...]], ...] = (
    ("秦皇岛市教育工会", (
        (UnionSpec("秦皇岛市实验中学工会", None, _e("秦皇岛市实验中学", "public_institution", "P")), "130302"),
        (UnionSpec("山海关区第一中学工会", None, _e("山海关区第一中学", "public_institution", "P")), "130303"),
    )),
    ("秦皇岛市交通运输工会", (
        (UnionSpec("秦皇岛市公共交通集团工会", None, _e("秦皇岛市公共交通集团有限公司", "state", "G")), "130302"),
        (UnionSpec("抚宁区公路养护站工会", None, _e("抚宁区公路养护站", "public_institution", "G")), "130306"),
    )),
)

# Employers of migrant workers and of laid-off workers of restructured state firms (去产能).
MIGRANT_EMPLOYERS = (_e("秦皇岛宏远建筑劳务有限公司", "private", "E"), _e("秦皇岛顺达装卸搬运有限公司", "private", "G"),
                     _e("秦皇岛海鲜餐饮管理有限公司", "private", "H"))
RESTRUCTURED_EMPLOYERS = (_e("秦皇岛市耀光玻璃厂（已改制）", "state", "C"), _e("秦皇岛市第三钢铁厂（已关停）", "state", "C"),
                          _e("秦皇岛市煤炭机械厂（已改制）", "state", "C"))
RESTRUCTURED_NAMES = tuple(e.name for e in RESTRUCTURED_EMPLOYERS)

# --- people -----------------------------------------------------------------------------------

SURNAMES = ("王王王王李李李李张张张张刘刘刘陈陈杨杨赵赵赵黄周吴徐孙孙马马胡朱郭郭何高高林罗郑梁谢宋唐许韩冯邓曹"
            "彭肖田董袁于于于蒋蔡杜程苏魏吕丁任沈姚卢姜崔钟陆范金石贾夏付方白孟秦江尹薛闫段雷侯史郝邵常齐李王")
MANCHU_SURNAMES = "关关那佟富赵赵金肖"
MALE_CHARS = ("伟刚勇毅俊峰强军平保东文辉力明永健广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信杰涛"
              "昌成康光天达安岩中茂进林有坚和博诚振庆磊民友河江超浩亮宏鹏泽晨建家树德立春")
FEMALE_CHARS = ("秀娟英华慧巧美娜静淑惠翠雅芝玉萍红玲芬芳燕彩春菊兰凤洁梅琳素云莲雪荣爱霞香月艳瑞佳琼珍莉桂丽"
                "秋晶婷颖露丹蓉君琴岚敏红霞")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
                   "157", "158", "159", "176", "177", "180", "182", "183", "185", "186", "187", "188", "189")
BANKS = ("中国农业银行秦皇岛分行", "中国工商银行秦皇岛分行", "中国建设银行秦皇岛分行", "秦皇岛银行", "河北省农村信用社",
         "中国邮政储蓄银行秦皇岛分行")
COMMUNITIES = ("友谊", "和平", "幸福", "红旗", "光明", "新华", "胜利", "海阳", "迎宾", "燕山", "金海", "滨海", "东环", "文苑",
               "铁路", "港城", "民族", "育花")
VILLAGES = ("前营", "后营", "东庄", "西庄", "王家庄", "李家堡", "大屯", "小屯", "河南", "石门", "沙河", "桃园", "柳河",
            "双山", "杨家店", "下庄", "上庄", "新立", "梨树沟", "南台")
SCHOOLS_COLLEGE = ("燕山大学", "东北大学秦皇岛分校", "河北科技师范学院", "河北环境工程学院", "秦皇岛职业技术学院",
                   "河北农业大学", "天津职业技术师范大学")
PROGRAMME_AMOUNTS_YUAN = {
    "golden_autumn": (2000, 3000, 5000),
    "love_card": (100, 150, 200, 300),
    "dialysis": (5000, 8000, 10000),
}

# --- small helpers ----------------------------------------------------------------------------


def pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights)[0]


def yuan(rng: random.Random, low: int, high: int, step: int = 1) -> int:
    """A random amount in fen, whole yuan in steps of `step` yuan."""
    return rng.randrange(low, high + 1, step) * 100


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def chunks(rows: list[dict], size: int = INSERT_CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


@dataclass
class Pending:
    """Rows waiting to be inserted, per model, with the next free primary key of each table.

    A household's rows are all added before the next household starts, so writing everything
    pending in foreign-key order between two households never leaves a child before its parent."""

    next_id: dict[type, int]
    rows: dict[type, list[dict]] = field(default_factory=lambda: {m: [] for m in TABLES})
    written: dict[type, int] = field(default_factory=lambda: {m: 0 for m in TABLES})

    def size(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def write(self, session: Session) -> None:
        write_rows(session, self.rows)
        for model, rows in self.rows.items():
            self.written[model] += len(rows)
            rows.clear()

    def new_id(self, model: type) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    def add(self, model: type, **values) -> int:
        row_id = values.pop("id", None) or self.new_id(model)
        self.rows[model].append({"id": row_id, **values})
        return row_id


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

    def helped_on(self, filed_on: dt.date | None, day: dt.date) -> bool:
        """Open, or relieved (解困 households stay under 常态化帮扶: visits and aid go on)."""
        if self.closed_as == "relieved" and self.closed_on <= day <= TODAY:
            return True
        return self.open_on(filed_on, day)


# --- the generator ----------------------------------------------------------------------------


class DemoCity:
    """Builds the rows of the demo city in memory, drawing every choice from one seeded generator."""

    def __init__(self, rng: random.Random, pending: Pending, city_org: Org, district_orgs: dict[str, Org]):
        self.rng = rng
        self.rows = pending
        self.city_org = city_org
        self.district_orgs = district_orgs
        self.used_ids: set[str] = set()  # 身份证号 of everyone, heads and members alike
        self.used_mobiles: set[str] = set()
        self.uscc_by_employer: dict[str, str] = {}
        self.file_counters: dict[str, int] = {}
        self.lines: dict[str, dict[int, int]] = {}  # place → month → line in fen
        self.unions: dict[str, list[UnionOrg]] = {}  # place → its 基层工会
        self.helpers: dict[str, list[tuple[Helper, float]]] = {}
        self.staff: dict[str, list[str]] = {}

    # -- 低保 lines ---------------------------------------------------------------------------

    def dibao_lines(self) -> None:
        """Invented lines, 2016–2021: raised each January, sometimes in two steps (January and July)."""
        for place in DISTRICTS:
            spec = DISTRICT_SPECS[place.code]
            amount = spec.line_2016_yuan
            changes = [(dt.date(LINES_FROM_YEAR, 1, 1), amount)]
            for year in range(LINES_FROM_YEAR + 1, LINES_TO_YEAR + 1):
                target = amount * (1 + self.rng.uniform(0.03, 0.07))
                if self.rng.random() < 0.4:
                    halfway = amount + (target - amount) / 2
                    changes.append((dt.date(year, 1, 1), round(halfway / 5) * 5))
                    changes.append((dt.date(year, 7, 1), round(target / 5) * 5))
                else:
                    changes.append((dt.date(year, 1, 1), round(target / 5) * 5))
                amount = changes[-1][1]
            by_month: dict[int, int] = {}
            for start, yuan_amount in changes:
                self.rows.add(DibaoLine, place_code=place.code, effective_from=start, amount_fen=yuan_amount * 100,
                              is_demo=True, note=DEMO_NOTE)
            for month in range(month_of(changes[0][0]), month_of(dt.date(LINES_TO_YEAR, 12, 1)) + 1):
                by_month[month] = max((s, a) for s, a in changes if s <= month_start(month))[1] * 100
            self.lines[place.code] = by_month

    # -- the union tree -----------------------------------------------------------------------

    def union_tree(self) -> None:
        for place in DISTRICTS:
            parent = self.district_orgs[place.code]
            self.unions[place.code] = [
                self.add_union(spec.name, "grassroots", parent.id, parent.path, place.code, spec)
                for spec in DISTRICT_SPECS[place.code].unions
            ]
        for name, members in INDUSTRY_UNIONS:
            industry = self.add_union(name, "industry", self.city_org.id, self.city_org.path, CITY_CODE, None)
            industry_path = f"{self.city_org.path}{industry.id}/"
            for spec, place_code in members:
                org = self.add_union(spec.name, "grassroots", industry.id, industry_path, place_code, spec)
                self.unions[place_code].append(org)

    def add_union(self, name: str, kind: str, parent_id: int, parent_path: str, place_code: str,
                  spec: UnionSpec | None) -> UnionOrg:
        org_id = self.rows.new_id(Org)
        # the same path rule as db.reference.add_org: the parent's path, then this id
        self.rows.add(Org, id=org_id, name=name, kind=kind, parent_id=parent_id, place_code=place_code,
                      path=f"{parent_path}{org_id}/", active=True)
        return UnionOrg(org_id, name, spec or UnionSpec(name))

    # -- helpers and staff --------------------------------------------------------------------

    def people_pools(self, households_by_place: dict[str, int]) -> None:
        """8–15 一帮一 helpers and 3 union staff per district; some helpers carry many files."""
        for place in DISTRICTS:
            size = min(15, max(8, round(households_by_place.get(place.code, 0) / 70)))
            units = [u.name for u in self.unions[place.code]] + [self.district_orgs[place.code].name]
            pool = []
            for rank in range(size):
                helper = Helper(self.full_name(self.rng.choice("12")), self.rng.choice(units), self.mobile())
                pool.append((helper, 1.0 / (rank + 1) ** 0.6))
            self.helpers[place.code] = pool
            self.staff[place.code] = [self.full_name(self.rng.choice("12")) for _ in range(3)]

    # -- identifiers --------------------------------------------------------------------------

    def full_name(self, sex: str, surname: str | None = None, manchu: bool = False) -> str:
        if surname is None:
            surname = self.rng.choice(MANCHU_SURNAMES if manchu and self.rng.random() < 0.4 else SURNAMES)
        chars = MALE_CHARS if sex == "1" else FEMALE_CHARS
        given = self.rng.choice(chars) if self.rng.random() < 0.3 else self.rng.choice(chars) + self.rng.choice(chars)
        return surname + given

    def id_number(self, division: str, birth: dt.date, sex: str) -> str:
        """A valid, unused 18-digit number; the 17th digit is odd for men, even for women."""
        while True:
            order = self.rng.randrange(1000)
            if (order % 2 == 1) != (sex == "1"):
                order ^= 1
            first17 = f"{division}{birth:%Y%m%d}{order:03d}"
            number = first17 + id_check_char(first17)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def uscc(self, employer: Employer, division: str) -> str:
        """One 统一社会信用代码 per employer, valid under GB 32100 (registered here: 9x, or 12 for 事业单位)."""
        if employer.name not in self.uscc_by_employer:
            prefix = {"public_institution": "12", "individual": "92"}.get(employer.kind, "91")
            body = "".join(self.rng.choice(USCC_CHARS) for _ in range(9))
            first17 = f"{prefix}{division}{body}"
            self.uscc_by_employer[employer.name] = first17 + uscc_check_char(first17)
        return self.uscc_by_employer[employer.name]

    def file_no(self, spec: DistrictSpec) -> str:
        self.file_counters[spec.code] = self.file_counters.get(spec.code, 0) + 1
        return f"QHD-{spec.file_code}-{self.file_counters[spec.code]:06d}"

    # -- which files, when, which way --------------------------------------------------------

    def file_plans(self, households: int) -> list[FilePlan]:
        """Where and when each file opens and how it goes; ids follow the order of filing."""
        weights = [(DISTRICT_SPECS[p.code], DISTRICT_SPECS[p.code].share) for p in DISTRICTS]
        plans = []
        for _ in range(households):
            district = pick(self.rng, weights)
            path = pick(self.rng, [("climber", 0.55), ("hard", 0.25), ("stuck", 0.20)])
            if self.rng.random() < 0.01:
                apply_on = weekday_on_or_before(days_after(dt.date(2020, 9, 1), self.rng.randint(0, 110)))
                plans.append(FilePlan(district, path, True, apply_on, None))
                continue
            if self.rng.random() < 0.85:  # the baseline cohort, on file by 2017-12-31
                year = pick(self.rng, [(2014, 0.45), (2015, 0.2), (2016, 0.15), (2017, 0.2)])
            else:  # 新增
                year = pick(self.rng, [(2018, 0.5), (2019, 0.3), (2020, 0.2)])
            last_day = 330 if year == 2020 else 360
            filed_on = weekday_on_or_before(days_after(dt.date(year, 1, 1), self.rng.randint(40, last_day)))
            # apply_on is a placeholder here: process_steps() dates the steps back from filed_on
            plans.append(FilePlan(district, path, False, filed_on - dt.timedelta(days=35), filed_on))
        order = sorted(range(len(plans)), key=lambda i: (plans[i].filed_on or plans[i].apply_on, i))
        ordered = [plans[i] for i in order]
        for plan in ordered:
            plan.id = self.rows.new_id(Household)
        return ordered

    # -- one household -------------------------------------------------------------------------

    def household(self, plan: FilePlan) -> None:
        rng = self.rng
        spec = plan.district
        union = self.choose_union(spec)
        employer = self.choose_employer(plan, spec, union)
        head, head_fields = self.head(plan, spec, employer)
        members = self.family(plan, spec, head, head_fields)
        persons = 1 + len(members)
        main_cause, secondary = self.causes(plan, head, head_fields, members)
        all_causes = [main_cause, *secondary]
        profile = self.profile(plan, head_fields, main_cause, all_causes, members)

        # a filed household's incomes begin with the months its category is assessed on (up to six
        # before the assessment day); a still-applying one's with its application
        assessed_on = assessment_day(plan.filed_on) if plan.filed_on else None
        if assessed_on:
            start_month = max(FIRST_INCOME_MONTH, month_of(assessed_on) - (DIBAO_RUN_MONTHS - 1))
        else:
            start_month = max(FIRST_INCOME_MONTH, month_of(plan.apply_on))
        withdraw = self.withdrawal(plan, head)
        story = self.story(plan, spec, persons, start_month, assessed_on, all_causes, profile, withdraw)
        self.reopen_if_fallen_back(plan, spec, story, persons, all_causes, secondary)

        survey_on = self.process_steps(plan, spec)
        exclusions = self.exclusion_checks(plan, survey_on) if survey_on else []
        labour_since = (days_after(plan.filed_on or plan.apply_on, -rng.randint(400, 2500))
                        if head_fields["work_status"] == "migrant" else None)
        union_since = self.union_member_since(plan, head)
        assessment = None
        if assessed_on:
            assessment = self.assessment(spec, story, head_fields["work_status"], exclusions, labour_since,
                                         union_since, assessed_on)

        self.set_member_incomes(members, head_fields, story.incomes)
        for member in members:
            self.rows.add(Member, household_id=plan.id, **member)
        self.add_causes(plan, main_cause, all_causes, story)
        self.status_history(plan, story)
        for row in story.incomes:
            self.rows.add(IncomeMonth, household_id=plan.id, **row)
        if plan.filed_on:
            helpers = self.pairings(plan, spec)
            payment_days = self.measures_and_payments(plan, spec, story, all_causes, members, profile, helpers)
            self.visits(plan, story, helpers, payment_days)

        if story.closed_on and not story.reopened_on:
            status = story.closed_as
        else:
            status = "applying" if plan.applying else "active"
        last_change = max(d for d in (plan.apply_on, plan.filed_on, story.closed_on, story.reopened_on) if d)
        self.rows.add(
            Household, id=plan.id, file_no=self.file_no(spec), org_id=union.id, place_code=spec.code, status=status,
            filed_on=plan.filed_on,
            category=assessment.category if assessment else None,
            category_rule_set=RULE_SET if assessment else None,
            category_assessed_on=assessed_on,
            category_explanation=assessment.explanation() if assessment else None,
            key_group=profile["key_group"], hard_to_exit=plan.path == "hard",
            worker_no=f"{spec.id_divisions[0]}{plan.id:07d}",
            **head_fields,
            union_member_since=union_since,
            labour_relation_since=labour_since,
            created_at=dt.datetime.combine(plan.apply_on, dt.time(9, rng.randrange(60))),
            updated_at=dt.datetime.combine(last_change, dt.time(16, rng.randrange(60))),
        )

        self.assistance_records(plan, profile, all_causes, members, story)

    def assistance_records(self, plan: FilePlan, profile: dict, causes: list[str], members: list[dict], story: Story) -> None:
        """纳入政府救助体系: the 低保/特困 record of the profile (ended at 脱困 for those who left it), and some others the
        causes point to — 医疗救助 for illness, 临时救助 after a disaster or accident, 教育救助 for pupils. Drawn from a
        generator of the file's own, so the rest of the demo (incomes, exits) is the same as without them."""
        rng = random.Random(plan.id * 7919 + 17)
        opened = plan.filed_on or plan.apply_on

        def add(programme: str, start: dt.date, end: dt.date | None, source: str) -> None:
            if start > TODAY:
                return
            end = end if end is not None and end <= TODAY and end >= start else None
            self.rows.add(AssistanceRecord, household_id=plan.id, programme=programme, from_on=start, to_on=end, source=source,
                          note=None, version=1)

        if profile["safety_net"]:
            left = (days_after(story.closed_on, -1) if story.closed_as == "exited" and plan.path != "hard"
                    and story.closed_on and story.closed_on > profile["safety_net_since"] else None)
            add(profile["safety_net"], profile["safety_net_since"], left, "roster" if rng.random() < 0.6 else "survey")
        if "6" in causes and rng.random() < 0.4:
            start = days_after(opened, rng.randint(15, 400))
            add("medical", start, days_after(start, rng.randint(60, 365)) if rng.random() < 0.6 else None, "survey")
        if ("7" in causes or "8" in causes) and rng.random() < 0.7:
            start = days_after(opened, rng.randint(0, 60))
            add("temporary", start, days_after(start, rng.randint(0, 90)), "manual")
        if "9" in causes and any(m["identity"] == "student" for m in members) and rng.random() < 0.3:
            add("education", days_after(opened, rng.randint(0, 240)), None, "survey")

    def choose_union(self, spec: DistrictSpec) -> UnionOrg:
        unions = self.unions[spec.code]
        # street and town unions hold most files; enterprise unions a few each
        return pick(self.rng, [(u, 1.0 if u.spec.town else 0.35) for u in unions])

    def choose_employer(self, plan: FilePlan, spec: DistrictSpec, union: UnionOrg) -> Employer | None:
        if union.spec.employer:
            return union.spec.employer
        roll = self.rng.random()
        if roll < 0.12:
            return self.rng.choice(MIGRANT_EMPLOYERS)
        if roll < 0.22:
            return self.rng.choice(RESTRUCTURED_EMPLOYERS)
        if roll < 0.85:
            return self.rng.choice(spec.employers)
        return None

    def head(self, plan: FilePlan, spec: DistrictSpec, employer: Employer | None) -> tuple[Person, dict]:
        rng = self.rng
        work_status = self.work_status(plan, employer)
        if work_status == "retired":
            birth_year = rng.randint(1950, 1962)
        elif work_status == "early_retired":
            birth_year = rng.randint(1960, 1968)
        elif plan.path == "hard":
            birth_year = rng.randint(1955, 1985)
        else:
            birth_year = rng.randint(1960, 1990)
        birth = days_after(dt.date(birth_year, 1, 1), rng.randint(0, 364))
        sex = "1" if rng.random() < 0.58 else "2"
        manchu = spec.code == "130321"
        division = rng.choice(spec.id_divisions)
        if division == "130306" and birth_year < 1990 and rng.random() < 0.6:
            division = "130323"  # born in the old 抚宁县
        health = self.head_health(plan)
        disability_kind = disability_grade = None
        if health == "disabled":
            disability_kind = rng.choice(list(codes.DISABILITY_KIND))
            disability_grade = rng.choice(("1", "2")) if plan.path == "hard" else rng.choice(("3", "4"))
        person = Person(self.full_name(sex, manchu=manchu), sex, birth, self.id_number(division, birth, sex), health)

        if manchu:
            ethnicity = pick(rng, [("11", 0.55), ("01", 0.42), ("02", 0.02), ("03", 0.01)])
        else:
            ethnicity = pick(rng, [("01", 0.92), ("11", 0.06), ("03", 0.015), ("02", 0.005)])
        age = age_on(birth, plan.filed_on or plan.apply_on)
        marital = pick(rng, [("married", 0.66), ("divorced", 0.14), ("widowed", 0.1 if age > 45 else 0.02),
                             ("single", 0.12 if age < 40 else 0.03)])
        if work_status == "migrant":
            hukou = "rural"
        elif spec.urban:
            hukou = pick(rng, [("urban", 0.8), ("rural_to_urban", 0.1), ("rural", 0.1)])
        else:
            hukou = pick(rng, [("rural", 0.45), ("urban", 0.4), ("rural_to_urban", 0.15)])
        housing = pick(rng, [("unit_public", 0.15), ("low_rent", 0.15), ("owned", 0.3), ("none", 0.04),
                             ("rented", 0.2), ("self_built", 0.16 if not spec.urban else 0.03), ("other", 0.02)])
        has_job = work_status in ("employed", "migrant", "laid_off", "sick_leave", "early_retired", "retired")
        employer = employer if has_job or (employer and rng.random() < 0.3) else None
        if work_status in ("employed", "retired", "early_retired", "sick_leave", "laid_off"):
            insurance = pick(rng, [("employee", 0.8), ("resident", 0.15), ("none", 0.05)])
        else:
            insurance = pick(rng, [("resident", 0.65), ("none", 0.25), ("employee", 0.1)])
        hukou_division = "130306" if division == "130323" else division
        fields = dict(
            name=person.name, ethnicity=ethnicity, sex=sex,
            political_status=pick(rng, [("13", 0.84), ("01", 0.12), ("03", 0.04 if age < 28 else 0.0)]),
            id_number=person.id_number, birth_date=birth, health=health,
            disability_kind=disability_kind, disability_grade=disability_grade, work_status=work_status,
            model_worker=pick(rng, [("none", 0.985), ("municipal", 0.012), ("provincial", 0.003)]),
            housing=housing,
            floor_area_dm2=None if housing == "none" else rng.randint(2800, 9500),
            mobile=None if plan.path == "hard" and rng.random() < 0.05 else self.mobile(),
            employer=employer.name if employer else None,
            employer_kind=employer.kind if employer else None,
            employer_uscc=self.uscc(employer, spec.id_divisions[0]) if employer and rng.random() < 0.6 else None,
            industry=employer.industry if employer else None,
            marital=marital, hukou=hukou, address=self.address(spec), hukou_division=hukou_division,
            medical_insurance=insurance,
            single_parent=False, zero_employment=False,  # set once the family is known
            self_help_ability=plan.path != "hard",
            bank_name=None, bank_account=None,
        )
        if rng.random() < 0.8:
            fields["bank_name"] = rng.choice(BANKS)
            fields["bank_account"] = "62" + "".join(str(rng.randrange(10)) for _ in range(17))
        return person, fields

    def work_status(self, plan: FilePlan, employer: Employer | None) -> str:
        if employer in MIGRANT_EMPLOYERS:
            return "migrant"
        if employer in RESTRUCTURED_EMPLOYERS:
            return pick(self.rng, [("laid_off", 0.6), ("early_retired", 0.25), ("unemployed", 0.15)])
        if plan.path == "climber":
            options = [("unemployed", 0.3), ("laid_off", 0.25), ("employed", 0.3), ("early_retired", 0.15)]
        elif plan.path == "hard":
            options = [("sick_leave", 0.35), ("retired", 0.2), ("unemployed", 0.25), ("early_retired", 0.2)]
        else:
            options = [("employed", 0.3), ("laid_off", 0.2), ("unemployed", 0.2), ("sick_leave", 0.15),
                       ("retired", 0.15)]
        return pick(self.rng, options)

    def head_health(self, plan: FilePlan) -> str:
        if plan.path == "hard":
            return pick(self.rng, [("serious", 0.45), ("disabled", 0.3), ("unable", 0.15), ("chronic", 0.1)])
        if plan.path == "climber":
            return pick(self.rng, [("healthy", 0.7), ("chronic", 0.25), ("disabled", 0.05)])
        return pick(self.rng, [("healthy", 0.35), ("chronic", 0.35), ("serious", 0.15), ("disabled", 0.15)])

    def address(self, spec: DistrictSpec) -> str:
        rng = self.rng
        place = PLACE_BY_CODE[spec.code].name
        town = rng.choice([u.town for u in spec.unions if u.town] + list(spec.towns))
        if town.endswith(("镇", "乡")) and rng.random() < 0.7:
            return f"{place}{town}{rng.choice(VILLAGES)}村{rng.randint(1, 260)}号"
        return (f"{place}{town}{rng.choice(COMMUNITIES)}小区{rng.randint(1, 40)}号楼{rng.randint(1, 6)}单元"
                f"{rng.randint(1, 7)}{rng.randint(1, 4):02d}室")

    def union_member_since(self, plan: FilePlan, head: Person) -> dt.date:
        opened = plan.filed_on or plan.apply_on
        earliest = days_after(head.birth, 18 * 366)
        joined = days_after(opened, -self.rng.randint(400, 20 * 365))
        return max(joined, min(earliest, days_after(opened, -400)))

    # -- the family ----------------------------------------------------------------------------

    def family(self, plan: FilePlan, spec: DistrictSpec, head: Person, head_fields: dict) -> list[dict]:
        """Spouse, children born to the head at 22–38, sometimes a parent: 0–4 members in all."""
        rng = self.rng
        on = plan.filed_on or plan.apply_on
        head_age = age_on(head.birth, on)
        members: list[dict] = []
        spouse_surname = None
        if head_fields["marital"] == "married" and rng.random() < 0.97:
            sex = "2" if head.sex == "1" else "1"
            birth = days_after(head.birth, rng.randint(-6 * 365, 4 * 365))
            spouse = self.member(plan, spec, "spouse", sex, birth, on, None)
            members.append(spouse)
            spouse_surname = spouse["name"][0]
        if head_age >= 24 and head_fields["marital"] != "single":
            children = pick(rng, [(0, 0.15), (1, 0.6), (2, 0.25)])
            father_surname = head.name[0] if head.sex == "1" else spouse_surname or head.name[0]
            for _ in range(children):
                birth = days_after(head.birth, rng.randint(22 * 365, 38 * 365))
                if birth >= on:
                    continue
                members.append(self.member(plan, spec, "child", rng.choice("12"), birth, on, father_surname))
        if head_age < 55 and rng.random() < 0.12:
            birth = days_after(head.birth, -rng.randint(22 * 365, 35 * 365))
            relation = "parent" if rng.random() < 0.7 else "parent_in_law"
            members.append(self.member(plan, spec, relation, rng.choice("12"), birth, on,
                                       head.name[0] if relation == "parent" else None))
        members = members[:4]
        minors = any(m["relation"] == "child" and age_on(m["birth_date"], on) < 18 for m in members)
        head_fields["single_parent"] = head_fields["marital"] in ("divorced", "widowed") and minors
        working = head_fields["work_status"] in ("employed", "migrant")
        head_fields["zero_employment"] = not working and not any(m["identity"] == "employed" for m in members)
        return members

    def member(self, plan: FilePlan, spec: DistrictSpec, relation: str, sex: str, birth: dt.date, on: dt.date,
               surname: str | None) -> dict:
        rng = self.rng
        age = age_on(birth, on)
        if relation in ("parent", "parent_in_law"):
            health = pick(rng, [("chronic", 0.5), ("healthy", 0.2), ("serious", 0.15), ("unable", 0.15)])
            identity = pick(rng, [("retired", 0.4), ("unable", 0.35), ("farmer", 0.25 if not spec.urban else 0.05)])
        elif age < 6:
            health, identity = "healthy", "preschool"
        elif age < 18 or (age <= 22 and rng.random() < 0.7):
            health, identity = pick(rng, [("healthy", 0.95), ("chronic", 0.05)]), "student"
        else:
            if plan.path == "hard":
                health = pick(rng, [("healthy", 0.4), ("chronic", 0.3), ("serious", 0.15), ("unable", 0.15)])
            else:
                health = pick(rng, [("healthy", 0.75), ("chronic", 0.2), ("serious", 0.05)])
            if health in ("serious", "unable"):
                identity = "unable"
            elif plan.path == "hard":
                identity = pick(rng, [("unemployed", 0.5), ("unable", 0.2), ("other", 0.3)])
            else:
                identity = pick(rng, [("employed", 0.4), ("unemployed", 0.4),
                                      ("farmer", 0.1 if not spec.urban else 0.02), ("other", 0.1)])
        able = 16 <= age < 60 and health in ("healthy", "chronic") and identity not in ("student", "unable", "retired")
        if identity == "student" and age >= 18:
            school = rng.choice(SCHOOLS_COLLEGE)
        elif identity == "student":
            school = f"{PLACE_BY_CODE[spec.code].name}第{rng.randint(1, 12)}{'中学' if age >= 12 else '小学'}"
        elif identity == "employed":
            school = rng.choice(spec.employers).name
        else:
            school = None
        division = rng.choice(spec.id_divisions)
        name = self.full_name(sex, surname=surname)
        return dict(
            name=name, relation=relation, sex=sex, id_number=self.id_number(division, birth, sex), birth_date=birth,
            health=health, monthly_income_fen=0, identity=identity, able_to_work=able,
            medical_insurance=("employee" if identity in ("employed", "retired")
                               else pick(rng, [("resident", 0.9), ("none", 0.1)])),
            school_or_employer=school,
        )

    def set_member_incomes(self, members: list[dict], head_fields: dict, incomes: list[dict]) -> None:
        """Members' own incomes, as recorded at filing: shares of the first month's earned income."""
        if not incomes:
            return
        earned = incomes[0]["income_fen"] - incomes[0]["transfer_fen"]
        earners = [m for m in members if m["identity"] in ("employed", "retired", "farmer")]
        head_share = 1.0 if head_fields["work_status"] in ("employed", "migrant", "retired", "early_retired") else 0.0
        shares = [self.rng.uniform(0.6, 1.4) for _ in earners]
        total = sum(shares) + head_share or 1.0
        for member, share in zip(earners, shares, strict=True):
            member["monthly_income_fen"] = int(earned * share / total) // 100 * 100

    # -- causes, category, target group, safety net ---------------------------------------------

    def causes(self, plan: FilePlan, head: Person, head_fields: dict, members: list[dict]) -> tuple[str, list[str]]:
        """One main cause that fits the household, and up to three other fitting ones."""
        rng = self.rng
        work = head_fields["work_status"]
        students = any(m["identity"] == "student" for m in members)
        ill = head.health == "serious" or any(m["health"] == "serious" for m in members)
        if plan.path == "hard":
            main = {"serious": "6", "disabled": "1", "unable": "1"}.get(head.health) or rng.choice("16")
        elif rng.random() < 0.08:
            main = pick(rng, [("8", 0.75), ("7", 0.25)])  # an accident or a disaster (意外致困)
        elif work in ("unemployed", "laid_off"):
            main = "3" if work == "laid_off" or rng.random() < 0.6 else "2"
        elif work == "migrant":
            main = pick(rng, [("5", 0.4), ("4", 0.3), ("2", 0.3)])
        elif work == "early_retired":
            main = pick(rng, [("5", 0.5), ("3", 0.5)])
        elif ill:
            main = "6"
        elif students:
            main = "9"
        else:
            main = pick(rng, [("4", 0.35), ("5", 0.25), ("10", 0.4)])
        fitting = []
        if students:
            fitting.append("9")
        if ill or head.health == "chronic":
            fitting.append("6")
        if head_fields["medical_insurance"] == "none":
            fitting.append("4")
        if any(m["identity"] == "unemployed" for m in members):
            fitting.append(rng.choice("23"))
        if head.health in ("disabled", "unable") or any(m["identity"] == "unable" for m in members):
            fitting.append("1")
        if rng.random() < 0.1:
            fitting.append("10")
        secondary = []
        for cause in fitting:
            if cause != main and cause not in secondary and rng.random() < 0.75:
                secondary.append(cause)
        return main, secondary[: codes.MAX_SECONDARY_CAUSES]

    def profile(self, plan: FilePlan, head_fields: dict, main: str, causes: list[str], members: list[dict]) -> dict:
        """Safety net, target group, and `shape`: the category the incomes before the assessment are
        shaped for ("dibao": six months below the line; "dibao_edge": above it, but not after the
        spending on illness/schooling/disability; "accident": not after the accident or disaster)."""
        rng = self.rng
        spending = "6" in causes or "9" in causes or head_fields["health"] == "disabled"
        safety_net = since = None
        opened = plan.filed_on or plan.apply_on
        if plan.path == "hard":
            safety_net = "tekun" if not members and rng.random() < 0.6 else "dibao"
        elif rng.random() < 0.1:
            safety_net = "dibao"  # on 低保 though able to work (低保范围内未充分就业)
        if safety_net:
            # mostly on 低保/特困 already when the file opened; some got there with the union's help
            shift = -rng.randint(30, 900) if rng.random() < 0.7 else rng.randint(20, 150)
            since = min(days_after(opened, shift), TODAY)
        if main in ("7", "8"):
            shape = "accident"
        elif spending and not safety_net and rng.random() < 0.35:
            shape = "dibao_edge"  # above the line, kept poor by its spending (and so not on 低保)
        else:
            shape = "dibao"
        if head_fields["work_status"] == "migrant":
            key_group = "migrant_worker"
        elif safety_net and plan.path != "hard":
            key_group = "dibao_underemployed"
        elif head_fields["employer"] in RESTRUCTURED_NAMES:
            key_group = "supply_side_reform"
        elif shape == "accident" or main == "6":
            key_group = "spending_hardship"
        elif not safety_net and rng.random() < 0.5:
            key_group = "below_line_not_covered"
        else:
            key_group = None
        return {"shape": shape, "key_group": key_group, "safety_net": safety_net, "safety_net_since": since,
                "special": spending}

    # -- income over time and what follows from it -----------------------------------------------

    def withdrawal(self, plan: FilePlan, head: Person) -> tuple[dt.date, str] | None:
        """~2% of files leave the programme (退出): death, misidentification, moving away, other."""
        if plan.applying or plan.path == "climber" or self.rng.random() >= 0.05:
            return None
        # after the assessment month, so that the months the category rests on are all recorded
        earliest = max(days_after(plan.filed_on, 120), days_after(assessment_day(plan.filed_on), 1))
        latest = dt.date(2020, 11, 30)
        if earliest >= latest:
            return None
        day = weekday_on_or_before(days_after(earliest, self.rng.randint(0, (latest - earliest).days)))
        old_or_ill = age_on(head.birth, day) >= 50 or head.health in ("serious", "unable")
        reason = pick(self.rng, [("death", 0.35 if old_or_ill else 0.05), ("transferred", 0.3),
                                 ("misidentified", 0.2), ("other", 0.15)])
        return day, reason

    def story(self, plan: FilePlan, spec: DistrictSpec, persons: int, start: int, assessed_on: dt.date | None,
              causes: list[str], profile: dict, withdraw: tuple[dt.date, str] | None) -> Story:
        """The monthly incomes from `start`, and how the file closes.

        Up to the assessment month every month is recorded (no gaps there) and below the line, except
        for 低保边缘户/意外致困户 (`profile["shape"]`): their last one to three months up to the assessment
        are above the line, per-capita ≤ 1.5 × line (边缘) or between 1.5 and 3 × line (意外), with
        spending that takes what is left per person down to the line. Afterwards the path decides."""
        rng = self.rng
        story = Story(incomes=[])
        end = LAST_INCOME_MONTH if withdraw is None else month_of(withdraw[0])
        lines = self.lines[spec.code]
        assess_month = month_of(assessed_on) if assessed_on else None
        opened = assess_month if assess_month is not None else start
        if plan.path == "climber":
            story.climb_month = self.climb_month(plan, opened)
        elif plan.path == "hard":
            story.reach_month = self.reach_month(plan, opened)
        below = rng.uniform(0.5, 0.9) if plan.path != "hard" else rng.uniform(0.72, 0.93)
        above = rng.uniform(1.08, 1.35)
        transfer_share = self.transfer_share(plan, profile)
        special_base = yuan(rng, 150, 1200, 10) if profile["special"] else 0
        shape = profile["shape"]
        band_from = assess_month - rng.randint(0, 2) if assess_month is not None and shape != "dibao" else None
        if shape == "accident":
            accident_from = band_from if band_from is not None else start
            accident_to = opened + rng.randint(0, 5)
        else:
            accident_from, accident_to = 1, 0
        for month in range(start, end + 1):
            line = lines[month]
            in_band = band_from is not None and band_from <= month <= assess_month
            if story.climb_month is not None and month >= story.climb_month:
                months_up = month - story.climb_month
                per_capita = int(line * min(1.8, above * (1 + 0.006 * months_up)) * rng.uniform(0.95, 1.05))
                per_capita = max(per_capita, line + rng.randint(100, 2000))  # strictly above, for good
                transfers = 0 if rng.random() < 0.7 else rng.randint(0, 5000)
            elif story.reach_month is not None and month >= story.reach_month:
                per_capita = max(line, int(line * rng.uniform(1.0, 1.08)))  # reaches the line with transfers
                transfers = int(per_capita * persons * transfer_share * rng.uniform(0.95, 1.05))
            else:
                if in_band and shape == "dibao_edge":  # above the line, at most 1.5 × line
                    per_capita = min(max(int(line * rng.uniform(1.03, 1.45)), line + 1), line * 3 // 2)
                elif in_band:  # 意外: above 1.5 × line (so not 边缘), at most 3 × line
                    per_capita = min(max(int(line * rng.uniform(1.6, 2.6)), line * 3 // 2 + 1), line * 3)
                else:
                    per_capita = int(line * below * rng.uniform(0.94, 1.06))
                    if per_capita >= line:
                        per_capita = line - rng.randint(100, 3000)
                transfers = int(per_capita * persons * transfer_share * rng.uniform(0.9, 1.1))
            unrecorded = rng.random() < 0.01
            if unrecorded and (assess_month is None or month > assess_month):
                continue  # a month nobody recorded: it breaks a run (never before the assessment)
            income = per_capita * persons + rng.randrange(persons)  # so that income // persons == per_capita
            special = int(special_base * rng.uniform(0.8, 1.2)) // 100 * 100
            accident = yuan(rng, 2000, 15000, 100) if accident_from <= month <= accident_to else 0
            if in_band:
                # what is left per person after the spending is at most the line (whole yuan, rounded up)
                excess = income - line * persons + yuan(rng, 0, 300)
                if shape == "dibao_edge":
                    special = max(special, -(-excess // 100) * 100)
                else:
                    accident = max(accident, -(-excess // 10000) * 10000)
            story.incomes.append(dict(
                month=month_start(month), income_fen=income, persons=persons,
                transfer_fen=min(income, max(0, transfers)),
                special_spending_fen=special, accident_spending_fen=accident,
            ))
        if withdraw:
            story.closed_on, story.withdraw_reason, story.closed_as = withdraw[0], withdraw[1], "withdrawn"
        elif plan.path == "climber" and not plan.applying:
            self.exit_when_run_completes(plan, spec, story)
        elif plan.path == "hard" and not plan.applying and rng.random() < 0.68:
            self.relieve_when_line_reached(plan, spec, story)
        return story

    def climb_month(self, plan: FilePlan, start: int) -> int:
        """When a climber's income first goes above the line: mostly early 2018 for the cohort."""
        rng = self.rng
        if plan.filed_on and plan.filed_on <= BASELINE:
            first = month_of(dt.date(2018, 1, 1))
            offset = pick(rng, [(rng.randint(0, 3), 0.75), (rng.randint(4, 17), 0.2), (rng.randint(18, 32), 0.05)])
            return first + offset
        return start + rng.randint(6, 30)  # may lie beyond 2020: still below at the end

    def reach_month(self, plan: FilePlan, start: int) -> int:
        rng = self.rng
        if plan.filed_on and plan.filed_on <= BASELINE:
            first = month_of(dt.date(2018, 1, 1))
            offset = pick(rng, [(rng.randint(0, 8), 0.55), (rng.randint(9, 20), 0.35), (rng.randint(21, 32), 0.1)])
            return first + offset
        return start + rng.randint(4, 24)

    def transfer_share(self, plan: FilePlan, profile: dict) -> float:
        """The part of income that is transfers (低保金, 补贴): large under the safety net."""
        if plan.path == "hard":
            return self.rng.uniform(0.45, 0.85)
        if profile["safety_net"]:
            return self.rng.uniform(0.15, 0.4)
        return self.rng.uniform(0.02, 0.12) if self.rng.random() < 0.3 else 0.0

    def exit_when_run_completes(self, plan: FilePlan, spec: DistrictSpec, story: Story) -> None:
        """脱困: confirmed shortly after the 6th consecutive recorded month strictly above the line."""
        run_end = first_run_end(story.incomes, self.lines[spec.code], EXIT_RUN_MONTHS)
        if run_end is None or run_end >= LAST_INCOME_MONTH or self.rng.random() < 0.05:
            return  # no full run yet, or a proposal nobody has confirmed yet: still 在档
        lag = pick(self.rng, [(0, 0.6), (1, 0.3), (2, 0.1)])
        exit_on = days_after(month_start(run_end + 1 + lag), self.rng.randint(4, 27))
        if exit_on <= TODAY:
            story.closed_on, story.closed_as = weekday_on_or_before(exit_on), "exited"

    def relieve_when_line_reached(self, plan: FilePlan, spec: DistrictSpec, story: Story) -> None:
        """解困: after the first recorded month at the line (with transfers), as the rule reads it."""
        lines = self.lines[spec.code]
        reached = [month_of(r["month"]) for r in story.incomes
                   if story.reach_month is not None and month_of(r["month"]) >= story.reach_month
                   and r["income_fen"] // r["persons"] >= lines[month_of(r["month"])]]
        if not reached:
            return
        lag = pick(self.rng, [(0, 0.5), (1, 0.3), (2, 0.15), (4, 0.05)])
        relief_on = weekday_on_or_before(days_after(month_start(reached[0] + 1 + lag), self.rng.randint(4, 27)))
        if relief_on <= TODAY:
            story.closed_on, story.closed_as = relief_on, "relieved"

    def assessment(self, spec: DistrictSpec, story: Story, work_status: str, exclusions: list[Exclusion],
                   labour_since: dt.date | None, union_since: dt.date | None, on: dt.date) -> Assessment:
        """The file's 困难类别 as the app assesses it on `on` (db.households.assess_household): the rule set
        over the months recorded up to that day, each with its district's line of that month.

        An active file must meet a category: should the shaped incomes not give one, the months the
        assessment rests on are made six months below the line (a 低保户), never a category stored
        that the rule does not give."""
        options = dict(exclusions=exclusions, migrant=work_status == "migrant", labour_relation_since=labour_since,
                       union_member=union_since is not None, on=on)
        result = assess(RULE_SET, self.month_figures(spec, story, on), **options)
        if not result.may_file:
            self.shape_as_dibao(spec, story, on)
            result = assess(RULE_SET, self.month_figures(spec, story, on), **options)
        if not result.may_file:
            raise RuntimeError(f"示例数据生成错误：档案不符合困难类别（{spec.code}，{on}）：{result.explanation()}")
        return result

    def month_figures(self, spec: DistrictSpec, story: Story, on: dt.date) -> list[MonthFigures]:
        """The recorded months up to `on` (as IncomeMonth.month <= on), each with the line of that month."""
        lines = self.lines[spec.code]
        return [MonthFigures(row["month"], row["income_fen"], row["persons"], lines[month_of(row["month"])],
                             row["special_spending_fen"], row["accident_spending_fen"])
                for row in story.incomes if row["month"] <= on]

    def shape_as_dibao(self, spec: DistrictSpec, story: Story, on: dt.date) -> None:
        """Make the (up to) six months ending with the assessment month recorded and below the line."""
        rng = self.rng
        lines = self.lines[spec.code]
        last = month_of(on)
        window = range(max(FIRST_INCOME_MONTH, last - (DIBAO_RUN_MONTHS - 1)), last + 1)
        persons = story.incomes[0]["persons"]
        recorded = {month_of(row["month"]): row for row in story.incomes}
        for month in window:
            row = recorded.get(month)
            if row is None:
                row = dict(month=month_start(month), income_fen=0, persons=persons, transfer_fen=0,
                           special_spending_fen=0, accident_spending_fen=0)
                story.incomes.append(row)
            per_capita = int(lines[month] * rng.uniform(0.6, 0.9))
            row["income_fen"] = per_capita * row["persons"] + rng.randrange(row["persons"])
            row["transfer_fen"] = min(row["transfer_fen"], row["income_fen"])
        story.incomes.sort(key=lambda row: row["month"])

    def reopen_if_fallen_back(self, plan: FilePlan, spec: DistrictSpec, story: Story, persons: int,
                              causes: list[str], secondary: list[str]) -> None:
        """返困 for a few exited files: income falls below the line again (illness or accident)."""
        rng = self.rng
        if story.closed_as != "exited" or story.closed_on > dt.date(2020, 8, 31) or len(secondary) >= 3:
            return
        if rng.random() >= 0.025:
            return
        new_cause = next((c for c in ("6", "8", "10") if c not in causes), None)
        if new_cause is None:
            return
        fall_month = month_of(story.closed_on) + rng.randint(2, 4)
        reopened_on = weekday_on_or_before(days_after(month_start(fall_month + 1), rng.randint(3, 25)))
        if fall_month > LAST_INCOME_MONTH - 1 or reopened_on > TODAY:
            return
        lines = self.lines[spec.code]
        below = rng.uniform(0.55, 0.85)
        for row in story.incomes:
            month = month_of(row["month"])
            if month >= fall_month:
                per_capita = min(int(lines[month] * below * rng.uniform(0.95, 1.05)), lines[month] - 100)
                row["income_fen"] = per_capita * persons + rng.randrange(persons)
                row["transfer_fen"] = min(row["transfer_fen"], row["income_fen"])
                if new_cause == "8" and month - fall_month < 3:
                    row["accident_spending_fen"] = yuan(rng, 3000, 20000, 100)
                elif new_cause == "6":
                    row["special_spending_fen"] = yuan(rng, 800, 3000, 10)
        story.reopened_on = reopened_on
        secondary.append(new_cause)
        causes.append(new_cause)

    def add_causes(self, plan: FilePlan, main: str, causes: list[str], story: Story) -> None:
        """Climbers' causes are marked removed about when their income rises (before any exit)."""
        removed_on = None
        if story.climb_month is not None and month_start(story.climb_month) <= TODAY:
            removed_on = days_after(month_start(story.climb_month), self.rng.randint(0, 40))
            if story.closed_on and story.closed_as == "exited":
                removed_on = min(removed_on, story.closed_on)
            removed_on = min(removed_on, TODAY)
        for cause in causes:
            recurred = story.reopened_on is not None and cause == causes[-1]  # the cause of the 返困
            self.rows.add(HouseholdCause, household_id=plan.id, cause=cause, is_main=cause == main,
                          removed_on=None if recurred else removed_on)

    # -- the process and the status history ---------------------------------------------------

    def process_steps(self, plan: FilePlan, spec: DistrictSpec) -> dt.date | None:
        """申请 → 入户调查 → 公示 → 审核 → 在档 in the weeks before filing; returns the survey day."""
        rng = self.rng
        staff = self.staff[spec.code]
        if plan.filed_on:
            filed = plan.filed_on
            # official working days (法定节假日, 调休): the 公示 of 5 working days is over by the 审核
            review = working_day_on_or_before(days_after(filed, -rng.randint(0, 3)), OFFICIAL_CALENDAR)
            latest = latest_publicity_start(review, DEMO_PUBLICITY_DAYS, OFFICIAL_CALENDAR)
            publicity = working_day_on_or_before(days_after(latest, -rng.randint(0, 2)), OFFICIAL_CALENDAR)
            survey = weekday_on_or_before(days_after(publicity, -rng.randint(2, 8)))
            apply = weekday_on_or_before(days_after(survey, -rng.randint(3, 12)))
            plan.apply_on = apply
            steps = [("apply", apply, "本人提出书面申请"), ("survey", survey, "入户核查家庭收入、财产和住房情况"),
                     ("publicity", publicity, "在单位和社区公示5个工作日，无异议"), ("review", review, "区县工会审核通过"),
                     ("filed", filed, "建档立卡")]
        else:
            survey = weekday_on_or_before(days_after(plan.apply_on, rng.randint(5, 15)))
            steps = [("apply", plan.apply_on, "本人提出书面申请")]
            if survey <= TODAY:
                steps.append(("survey", survey, "入户核查家庭收入、财产和住房情况"))
            else:
                survey = None
        for step, day, note in steps:
            self.rows.add(ProcessStep, household_id=plan.id, step=step, done_on=day, done_by=rng.choice(staff), note=note)
        return survey

    def exclusion_checks(self, plan: FilePlan, survey_on: dt.date) -> list[Exclusion]:
        """The four exclusions, checked at the 入户调查 and found not to apply; returns them for the assessment."""
        sources = {"two_homes": "不动产登记查询", "business": "市场监管部门登记查询", "private_school": "入户调查",
                   "vehicle": "车辆登记查询及入户调查"}
        facts = []
        for exclusion in codes.EXCLUSION:
            self.rows.add(ExclusionCheck, household_id=plan.id, exclusion=exclusion, applies=False,
                          source=sources[exclusion], checked_on=survey_on)
            facts.append(Exclusion(exclusion, False, sources[exclusion]))
        return facts

    def status_history(self, plan: FilePlan, story: Story) -> None:
        if not plan.filed_on:
            return
        self.status_change(plan, "applying", "active", plan.filed_on, None, None)
        if not story.closed_on:
            return
        notes = {
            "exited": f"连续{EXIT_RUN_MONTHS}个月家庭人均收入超过当地低保标准，致困原因已消除，核实后脱困",
            "relieved": "难以脱困户，已纳入低保/特困兜底并常态化帮扶，人均收入（含转移性收入）达到低保标准，认定解困",
        }
        withdraw_notes = {
            "death": "户主病故，按规定撤档", "transferred": "户主调离本市，转出管理",
            "misidentified": "复核发现家庭经常使用机动车辆，不符合建档条件", "other": "本人申请退出帮扶",
        }
        note = withdraw_notes[story.withdraw_reason] if story.closed_as == "withdrawn" else notes[story.closed_as]
        self.status_change(plan, "active", story.closed_as, story.closed_on, story.withdraw_reason, note)
        if story.reopened_on:
            self.status_change(plan, story.closed_as, "active", story.reopened_on, "reopened",
                               "脱困后因病/意外致家庭人均收入再次低于低保标准，返困重新纳入在档管理")

    def status_change(self, plan: FilePlan, from_status: str, to_status: str, on: dt.date,
                      reason: str | None, note: str | None) -> None:
        self.rows.add(StatusChange, household_id=plan.id, from_status=from_status, to_status=to_status,
                      effective_on=on, reason=reason, note=note, recorded_by=RECORDED_BY,
                      recorded_at=dt.datetime.combine(on, dt.time(10, self.rng.randrange(60))))

    # -- 一帮一, measures, money, visits --------------------------------------------------------

    def pairings(self, plan: FilePlan, spec: DistrictSpec) -> list[tuple[dt.date, Helper]]:
        """One current pairing per file; about one in seven changed helper once (history kept)."""
        rng = self.rng
        pool = self.helpers[spec.code]
        first = pick(rng, pool)
        periods = [(plan.filed_on, first)]
        latest_change = dt.date(2020, 6, 30)
        if rng.random() < 0.15 and days_after(plan.filed_on, 180) < latest_change:
            changed = days_after(plan.filed_on, rng.randint(180, (latest_change - plan.filed_on).days))
            periods.append((changed, pick(rng, [(h, w) for h, w in pool if h != first])))
        for index, (start, helper) in enumerate(periods):
            end = days_after(periods[index + 1][0], -1) if index + 1 < len(periods) else None
            self.rows.add(Pairing, household_id=plan.id, helper_name=helper.name, helper_unit=helper.unit,
                          helper_phone=helper.phone, start_on=start, end_on=end)
        return periods

    def measures_and_payments(self, plan: FilePlan, spec: DistrictSpec, story: Story, causes: list[str],
                              members: list[dict], profile: dict,
                              helpers: list[tuple[dt.date, Helper]]) -> list[dt.date]:
        """一户一计划: 1–3 measures that fit the causes, and the money paid; returns the 送温暖 days."""
        rng = self.rng
        drafts = [self.measure_for(causes[0], plan, spec, story, members, profile, ongoing=plan.path == "hard")]
        for cause in causes[1:]:
            draft = self.measure_for(cause, plan, spec, story, members, profile, ongoing=False)
            if draft["track"] not in {d["track"] for d in drafts} and rng.random() < 0.5:
                drafts.append(draft)
                break
        if story.open_on(plan.filed_on, TODAY) and len(drafts) < 3 and rng.random() < 0.08:
            drafts.append(self.planned_measure(causes[0]))
        for draft in drafts:
            self.add_measure(plan, story, draft, members, helpers)

        warmth_days = self.warmth_days(plan, story)
        if warmth_days:
            warmth_id = None
            if len(drafts) < 3 and rng.random() < 0.5:
                warmth_id = self.rows.new_id(Measure)
            paid = []
            for day in warmth_days:
                amount = rng.choice((500, 800, 1000, 1000, 1500, 2000)) * 100
                fund = "union" if rng.random() < 0.85 else "donation"
                paid.append((amount, fund))
                self.rows.add(AidPayment, household_id=plan.id, measure_id=warmth_id, track="warmth", programme=None,
                              amount_fen=amount, fund_source=fund, paid_on=day, note=f"{day.year}年春节送温暖慰问金")
            if warmth_id:
                closed_for_good = story.closed_as in ("exited", "withdrawn") and not story.reopened_on
                ended = story.closed_on if closed_for_good else None
                self.rows.add(Measure, id=warmth_id, household_id=plan.id, track="warmth", programme=None, cause=None,
                              content="春节送温暖：每年春节前入户慰问并发放慰问金",
                              status="done" if ended else "in_progress", start_on=warmth_days[0], end_on=ended,
                              responsible=helper_on(helpers, warmth_days[0]).name,  # 慰问金 differ each year: paid one by one
                              amount_fen=None, fund_source=None, pay_every=None, first_pay_on=None, pay_count=None)
        return warmth_days

    def measure_for(self, cause: str, plan: FilePlan, spec: DistrictSpec, story: Story, members: list[dict],
                    profile: dict, *, ongoing: bool) -> dict:
        """A measure on the track the cause suggests (2/3 就业, 4/5 社保, 6 医疗, others 兜底)."""
        rng = self.rng
        draft = dict(cause=cause, programme=None, pay=None, amount=None, fund=None, ongoing=ongoing, done_by_climb=False)
        if cause in ("2", "3"):
            job = rng.choice(spec.employers).name
            content, pay = rng.choice([
                (f"推荐到{job}就业", None), ("参加工会组织的家政服务技能培训并推荐上岗", None),
                ("参加电工、焊工技能培训，取得职业资格证书后推荐就业", None), ("推荐公益性岗位（社区保洁、治安巡逻）", None),
                ("创业扶持：协助办理创业担保贷款，发放一次性创业补贴", "once"),
            ])
            draft.update(track="employment", content=content, pay=pay, done_by_climb=True)
            if pay:
                draft.update(amount=yuan(rng, 3000, 10000, 500), fund="fiscal")
        elif cause in ("4", "5"):
            content = rng.choice(("协调原单位补缴养老保险欠费", "帮助办理城乡居民基本医疗保险参保",
                                  "协助申领失业保险金", "协调落实工伤保险待遇"))
            draft.update(track="insurance", content=content)
        elif cause == "6":
            options = [("serious_illness_mutual", 0.4), ("love_card", 0.3), (None, 0.2)]
            if ongoing:
                options = [("love_card", 0.7), ("dialysis", 0.3)]
            programme = pick(rng, options)
            content, pay = {
                "serious_illness_mutual": ("申请职工大病医疗互助金", "once"),
                "love_card": ("办理工会爱心卡，按月发放医疗救助金", "monthly"),
                "dialysis": ("尿毒症肾透析专项救助，每年发放救助金", "yearly"),
                None: (rng.choice(("协调大病保险二次报销", "联系定点医院减免部分治疗费用")), None),
            }[programme]
            draft.update(track="medical", programme=programme, content=content, pay=pay,
                         ongoing=ongoing or pay in ("monthly", "yearly"))
            if programme == "serious_illness_mutual":
                draft.update(amount=yuan(rng, 3000, 30000, 100), fund="union")
            elif programme in PROGRAMME_AMOUNTS_YUAN:
                draft.update(amount=rng.choice(PROGRAMME_AMOUNTS_YUAN[programme]) * 100, fund="union")
        elif cause == "9" and college_years(plan, members):
            draft.update(track="safety_net", programme="golden_autumn", content="金秋助学：资助子女上大学",
                         pay="september", amount=rng.choice(PROGRAMME_AMOUNTS_YUAN["golden_autumn"]) * 100,
                         fund="union" if rng.random() < 0.7 else "donation", ongoing=True)
        elif cause in ("7", "8", "10"):
            draft.update(track="safety_net", content="临时救助：发放一次性救助金", pay="once",
                         amount=yuan(rng, 1000, 5000, 100), fund="fiscal")
        else:  # 1 无劳动能力, or 9 without a student in the family
            if cause == "9":
                content = "教育救助：协调学校减免学杂费"
            elif profile["safety_net"] == "tekun":
                content = "协助落实特困供养，纳入常态化帮扶"
            else:
                content = "协助申请并落实城市低保，纳入常态化帮扶"
            draft.update(track="safety_net", content=content)
        return draft

    def planned_measure(self, cause: str) -> dict:
        track = "employment" if cause in ("2", "3") else "medical" if cause == "6" else "safety_net"
        content = {"employment": "计划2021年春季组织参加职业技能培训", "medical": "计划协调2021年大病保险二次报销",
                   "safety_net": "计划协助申请2021年临时救助"}[track]
        return dict(cause=cause, track=track, programme=None, content=content, pay=None, amount=None, fund=None,
                    ongoing=False, done_by_climb=False, planned=True)

    def add_measure(self, plan: FilePlan, story: Story, draft: dict, members: list[dict],
                    helpers: list[tuple[dt.date, Helper]]) -> None:
        rng = self.rng
        closed = story.closed_on if story.closed_as in ("exited", "withdrawn") else None
        if draft.get("planned"):
            start = days_after(dt.date(2021, 1, 4), rng.randint(0, 80))
            end = None
        else:
            latest = min(closed or TODAY, TODAY)
            start = min(days_after(plan.filed_on, rng.randint(10, 120)), latest)
            climb = month_start(story.climb_month) if story.climb_month is not None else None
            if draft["done_by_climb"] and climb and climb <= TODAY:
                # the job that lifted the income: found in the months before it rose
                start = min(max(start, days_after(climb, -rng.randint(60, 240))), days_after(climb, -21))
            start = max(start, plan.filed_on)
            if draft["ongoing"]:
                end = closed
            elif draft["done_by_climb"] and climb and climb <= TODAY and days_after(climb, -20) > start:
                end = days_after(climb, -rng.randint(0, 20))
            else:
                end = days_after(start, rng.randint(30, 240))
                if closed and end > closed:
                    end = closed
        measure_id = self.rows.new_id(Measure)
        payments = self.payment_days(draft, plan, story, start, end, members)
        for day in payments:
            self.rows.add(AidPayment, household_id=plan.id, measure_id=measure_id, track=draft["track"],
                          programme=draft["programme"], amount_fen=draft["amount"], fund_source=draft["fund"],
                          paid_on=day, note=payment_note(draft, day))
        if draft["pay"] == "once" and payments:
            end = max(end or payments[0], payments[0])
        if draft["pay"] == "september" and payments and (closed or payments[-1].year < 2020):
            end = closed or payments[-1]  # the child finished college
        if end is not None and end > TODAY:
            end = None
        status = "planned" if start > TODAY else ("done" if end else "in_progress")
        # money measures carry the amount of each payment and the schedule the payments follow
        money = draft["amount"] if draft["amount"] and (payments or status == "planned") else None
        every = {"september": "yearly"}.get(draft["pay"], draft["pay"]) if money else None
        self.rows.add(Measure, id=measure_id, household_id=plan.id, track=draft["track"], programme=draft["programme"],
                      cause=draft["cause"], content=draft["content"], status=status, start_on=start, end_on=end,
                      responsible=helper_on(helpers, min(start, TODAY)).name, amount_fen=money,
                      fund_source=draft["fund"] if money else None, pay_every=every,
                      first_pay_on=(payments[0] if payments else start) if money else None,
                      pay_count=(len(payments) or 1) if money else None)

    def payment_days(self, draft: dict, plan: FilePlan, story: Story, start: dt.date, end: dt.date | None,
                     members: list[dict]) -> list[dt.date]:
        """When money is paid under a measure: once, monthly (爱心卡), yearly (透析), each September (金秋)."""
        rng = self.rng
        last = min(end or TODAY, TODAY)
        days: list[dt.date] = []
        if draft["pay"] == "once":
            days = [max(start, min(last, weekday_on_or_before(days_after(start, rng.randint(10, 40)))))]
        elif draft["pay"] == "monthly":
            months = range(month_of(start) + 1, month_of(last) + 1)
            days = [weekday_on_or_before(days_after(month_start(m), 9)) for m in months]
        elif draft["pay"] == "yearly":
            days = [weekday_on_or_before(dt.date(y, 12, 10)) for y in range(start.year, last.year + 1)]
        elif draft["pay"] == "september":
            students = [m["birth_date"] for m in members if m["identity"] == "student"]
            for year in range(start.year, last.year + 1):
                day = weekday_on_or_before(dt.date(year, 9, 10))
                if any(18 <= age_on(birth, day) <= 22 for birth in students):
                    days.append(day)
        days = [d for d in days if start <= d <= last and story.helped_on(plan.filed_on, d)]
        if draft["pay"] in ("monthly", "yearly", "september") and days:
            # as the app writes a schedule: the first day's date every month (or year), stopping at the first gap
            regular = payment_dates(days[0], "monthly" if draft["pay"] == "monthly" else "yearly", len(days))
            kept = []
            for day in regular:
                if not (start <= day <= last and story.helped_on(plan.filed_on, day)):
                    break
                kept.append(day)
            days = kept
        return days

    def warmth_days(self, plan: FilePlan, story: Story) -> list[dt.date]:
        """送温暖 before each Spring Festival, to most open files (all the more the hard cases)."""
        share = 0.6 if plan.path == "climber" else 0.9
        days = []
        for year in range(2015, 2021):
            day = weekday_on_or_before(dt.date(year, 1, self.rng.randint(8, 28)))
            if day > plan.filed_on and story.helped_on(plan.filed_on, day) and self.rng.random() < share:
                days.append(day)
        return days

    def visits(self, plan: FilePlan, story: Story, helpers: list[tuple[dt.date, Helper]],
               warmth_days: list[dt.date]) -> None:
        """A visit every 4–8 months while helped, a 回访 after 脱困, the 送温暖 visits; some files overdue."""
        rng = self.rng
        stop = TODAY
        if story.open_on(plan.filed_on, TODAY) and rng.random() < 0.08:
            stop = days_after(dt.date(2019, 11, 1), rng.randint(0, 210))  # nobody has been since: overdue
        visits = []
        day = days_after(plan.filed_on, rng.randint(10, 60))
        while day <= stop:
            if story.helped_on(plan.filed_on, day):
                kind = pick(rng, [("home", 0.7), ("phone", 0.2), ("other", 0.1)])
                notes, needs = visit_text(rng, kind)
                visits.append((day, kind, notes, needs))
            day = days_after(day, rng.randint(120, 240))
        if story.closed_as == "exited":  # 回访 in the months after 脱困
            follow = days_after(story.closed_on, rng.randint(60, 170))
            if follow <= TODAY:
                visits.append((follow, "phone", "脱困后回访：家庭收入稳定，暂无返困风险", None))
        for day, amount in ((d, None) for d in warmth_days if d <= stop):
            visits.append((day, "warmth", "春节送温暖：入户慰问，送去慰问金和米面油", amount))
        for day, kind, notes, needs in sorted(visits, key=lambda v: (v[0], v[1])):
            self.rows.add(Visit, household_id=plan.id, visited_on=day, visitor=helper_on(helpers, day).name, kind=kind,
                          notes=notes, needs=needs)


VISIT_NOTES = {
    "home": ("入户了解家庭收入和就业情况，生活基本稳定", "户主病情稳定，按时复查", "子女学习情况良好，学费已落实",
             "家中冬季取暖有困难，已联系社区协调", "配偶已在附近超市打零工", "住房老旧、屋顶漏雨，已反映至社区",
             "核实低保金按月足额到账", "宣传职工大病医疗互助和工会爱心卡政策"),
    "phone": ("电话回访，了解近期收入变化", "电话询问户主病情和就医情况", "电话通知参加工会组织的招聘会"),
    "other": ("在社区服务站约谈，核对家庭收入材料", "陪同到医保中心办理报销"),
}
VISIT_NEEDS = ("希望帮助配偶找到稳定工作", "需要慢性病门诊报销指导", "希望申请金秋助学", "冬季取暖费有困难",
               "希望参加技能培训", "希望协调廉租住房")


def college_years(plan: FilePlan, members: list[dict]) -> bool:
    """Will a child of the family be at college (18–22) in some September while the file is open?"""
    births = [m["birth_date"] for m in members if m["relation"] == "child"]
    return any(18 <= year - birth.year <= 22 for birth in births for year in range(plan.filed_on.year, 2021))


def visit_text(rng: random.Random, kind: str) -> tuple[str, str | None]:
    return rng.choice(VISIT_NOTES[kind]), rng.choice(VISIT_NEEDS) if rng.random() < 0.35 else None


def helper_on(periods: list[tuple[dt.date, Helper]], day: dt.date) -> Helper:
    """The helper paired with the file on that day (the first one before the pairing began)."""
    current = periods[0][1]
    for start, helper in periods:
        if start <= day:
            current = helper
    return current


def payment_note(draft: dict, day: dt.date) -> str:
    return {
        "golden_autumn": f"{day.year}年金秋助学金",
        "love_card": f"工会爱心卡{day:%Y年%m月}医疗救助金",
        "dialysis": f"{day.year}年度尿毒症肾透析专项救助金",
        "serious_illness_mutual": "职工大病医疗互助金",
    }.get(draft["programme"], "一次性创业补贴" if draft["track"] == "employment" else "临时救助金")



def first_run_end(incomes: list[dict], lines: dict[int, int], run_months: int) -> int | None:
    """The month that completes the first run of `run_months` consecutive recorded months with
    per-capita income strictly above the line; a month with no record breaks the run."""
    run, previous = 0, None
    for row in incomes:
        month = month_of(row["month"])
        above = row["income_fen"] // row["persons"] > lines[month]
        if not above:
            run = 0
        else:
            run = run + 1 if previous == month - 1 else 1
        previous = month
        if run >= run_months:
            return month
    return None


# --- loading ----------------------------------------------------------------------------------

def load_demo(engine: Engine, households: int = 3500, seed: int = 20171231, progress: Progress | None = None) -> dict:
    """Fill a freshly initialised database with invented demo data for 秦皇岛; returns counts.

    Refuses a database that already has files (or 低保 lines). Everything is written in one
    transaction: on any error nothing is left behind.
    """
    report = progress or (lambda fraction, message: None)
    if households < 1:
        raise ServiceError("示例档案户数至少为 1 户")
    report(0.0, "正在检查数据库……")
    with transaction(engine) as session:
        refuse_unless_empty(session)
        city_org, district_orgs = existing_unions(session)
        first_ids = {model: (session.scalar(select(func.max(model.id))) or 0) + 1 for model in TABLES}
        city = DemoCity(random.Random(seed), Pending(first_ids), city_org, district_orgs)

        report(0.02, "正在生成低保标准（示例）和基层工会……")
        city.dibao_lines()
        city.union_tree()
        plans = city.file_plans(households)
        per_place: dict[str, int] = {}
        for plan in plans:
            per_place[plan.district.code] = per_place.get(plan.district.code, 0) + 1
        city.people_pools(per_place)
        every = max(1, len(plans) // 50)
        for done, plan in enumerate(plans, start=1):
            city.household(plan)
            if city.rows.size() >= FLUSH_ROWS:
                city.rows.write(session)
            if done % every == 0:
                report(0.03 + 0.94 * done / len(plans), f"正在生成并写入困难职工档案（{done}/{len(plans)} 户）……")
        city.rows.write(session)

        written = city.rows.written
        if session.get_bind().dialect.name == "postgresql":
            advance_sequences(session, [m for m in TABLES if written[m]])
        summary = {
            "households": written[Household], "members": written[Member], "income_months": written[IncomeMonth],
            "measures": written[Measure], "payments": written[AidPayment], "pairings": written[Pairing],
            "visits": written[Visit], "dibao_lines": written[DibaoLine], "orgs": written[Org],
            "assistance_records": written[AssistanceRecord],
        }
        record(session, system_actor("demo"), "create", "demo", None,
               new=json.dumps({**summary, "seed": seed}, ensure_ascii=False), reason="载入示例数据（虚构）")
        bump_data_version(session)
        report(0.99, "正在提交……")
    report(1.0, "示例数据载入完成")
    return summary


def refuse_unless_empty(session: Session) -> None:
    if session.scalar(select(func.count()).select_from(Household)):
        raise ServiceError("数据库中已有档案，示例数据只能载入空数据库")
    if session.scalar(select(func.count()).select_from(DibaoLine)):
        # the demo's incomes are drawn against its own invented lines; it must not mix with real ones
        raise ServiceError("数据库中已录入低保标准，示例数据（含虚构的低保标准）只能载入空数据库")


def existing_unions(session: Session) -> tuple[Org, dict[str, Org]]:
    """The city union and the district unions that the reference data created."""
    city = session.scalars(select(Org).where(Org.parent_id.is_(None), Org.kind == "city").order_by(Org.id)).first()
    if city is None:
        raise ServiceError("数据库中没有市总工会，请先初始化数据库（python manage.py init）")
    districts: dict[str, Org] = {}
    for org in session.scalars(select(Org).where(Org.parent_id == city.id, Org.kind == "district").order_by(Org.id)):
        districts.setdefault(org.place_code, org)
    missing = [p.name for p in DISTRICTS if p.code not in districts]
    if missing:
        raise ServiceError(f"数据库中缺少这些区县工会：{'、'.join(missing)}，请先初始化数据库")
    return city, districts


def write_rows(session: Session, rows_by_model: dict[type, list[dict]]) -> None:
    """Bulk inserts in foreign-key order, in chunks; the ids are already set.

    SQLite: Core executemany on the table (the ORM's bulk path splits rows into many statements
    whenever optional columns are None, several times slower). PostgreSQL: COPY, since row-by-row
    executemany there took about 25 s for a city's worth of rows."""
    use_copy = session.get_bind().dialect.name == "postgresql"
    for model in TABLES:
        table = model.__table__
        for chunk in chunks(with_column_defaults(table, rows_by_model[model])):
            if use_copy:
                copy_rows(session, table, chunk)
            else:
                session.execute(insert(table), chunk)


def batch_columns(table, rows: list[dict]) -> list[str]:
    """The columns of a batch of rows, which must all have exactly the same keys, all columns of the table.

    Both insert paths take the column list from the first row (COPY names the columns once; Core's
    executemany compiles one statement): a row with a key more or less would shift or drop values
    silently, so it is refused here instead."""
    if not rows:
        return []
    keys = rows[0].keys()
    for index, row in enumerate(rows):
        if row.keys() != keys:
            extra, missing = sorted(row.keys() - keys), sorted(keys - row.keys())
            raise ValueError(f"{table.name}: row {index} does not have the columns of the first row "
                             f"(extra {extra}, missing {missing})")
    unknown = sorted(set(keys) - set(table.columns.keys()))
    if unknown:
        raise ValueError(f"{table.name}: no such columns {unknown}")
    return list(keys)


def with_column_defaults(table, rows: list[dict]) -> list[dict]:
    """Fill the columns' Python-side scalar defaults (the `version` counter), which COPY would not.

    Checks first that all rows have the same keys (`batch_columns`), so that the defaults, decided on
    the first row, fit every row."""
    columns = batch_columns(table, rows)
    defaults = {c.key: c.default.arg for c in table.columns
                if c.default is not None and c.default.is_scalar and rows and c.key not in columns}
    return [{**defaults, **row} for row in rows] if defaults else rows


def copy_rows(session: Session, table, rows: list[dict]) -> None:
    """PostgreSQL COPY … FROM STDIN on the session's own connection, inside its transaction."""
    columns = batch_columns(table, rows)
    if not columns:
        return
    raw = session.connection().connection.dbapi_connection  # the psycopg connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def advance_sequences(session: Session, models: list[type]) -> None:
    """PostgreSQL: ids were set here, so move each id sequence past them for the app's own inserts."""
    for model in models:
        table = model.__tablename__
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))
