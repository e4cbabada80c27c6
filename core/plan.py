"""The plan of a household (一户一计划、一户一措施): suggested tracks, measures as typed, payment schedules.

Pure functions over plain values. The suggestions follow DOMAIN.md "Measures": causes 2/3 →
就业创业, 4/5 → 社会保险, 6 → 医疗, 1 (or income below the line with no one able to work) → 兜底;
they say why, and a person decides.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from core import codes
from core.identity import InvalidIdentifier, parse_mobile
from core.typed import INVALID, field_text
from core.typed import as_code as _code
from core.typed import as_date as _date
from core.typed import as_text as _text
from core.money import InvalidAmount, fen_to_yuan, yuan_to_fen

MAX_PAYMENTS = 120  # ten years of a monthly stipend; more is a typing mistake
FOUR_TRACKS = ("employment", "insurance", "medical", "safety_net")


class PlanErrors(ValueError):
    """Field → Chinese message, for a measure or a visit as typed."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


# --- payment schedules ---------------------------------------------------------------------------


def add_months(day: dt.date, months: int, anchor_day: int | None = None) -> dt.date:
    """`day` moved by whole months, keeping the anchor day of the month where the month has it
    (31 January monthly → 28/29 February → 31 March)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(anchor_day or day.day, last))


def payment_dates(first: dt.date, every: str, count: int, *, until: dt.date | None = None) -> list[dt.date]:
    """The dates a schedule pays on: `count` payments from `first`, every month/quarter/half-year/year,
    none after `until` (the measure's end date)."""
    step = codes.PAY_EVERY_MONTHS[every]
    if step == 0:
        count = 1
    days = [add_months(first, step * k, first.day) for k in range(count)]
    return [d for d in days if until is None or d <= until]


def schedule_text(every: str | None, first: dt.date | None, count: int | None, amount_fen: int | None) -> str:
    """A schedule as a person says it: "每月 200.00 元，自 2026-01-15 起共 12 次（合计 2,400.00 元）"."""
    if not every or amount_fen is None or first is None:
        return ""
    if every == "once":
        return f"一次性 {fen_to_yuan(amount_fen)} 元（{first:%Y-%m-%d}）"
    n = count or 1
    return f"{codes.PAY_EVERY[every]} {fen_to_yuan(amount_fen)} 元，自 {first:%Y-%m-%d} 起共 {n} 次（合计 {fen_to_yuan(amount_fen * n)} 元）"


# --- a measure as typed --------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanMeasure:
    track: str
    programme: str | None
    cause: str | None
    content: str
    status: str
    start_on: dt.date
    end_on: dt.date | None
    responsible: str | None
    amount_fen: int | None
    fund_source: str | None
    pay_every: str | None
    first_pay_on: dt.date | None
    pay_count: int | None

    def values(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def payment_dates(self) -> list[dt.date]:
        if self.amount_fen is None or self.pay_every is None or self.first_pay_on is None:
            return []
        return payment_dates(self.first_pay_on, self.pay_every, self.pay_count or 1, until=self.end_on)


def check_measure(raw: dict[str, Any], *, file_causes: set[str], today: dt.date) -> CleanMeasure:
    """Validate a measure as typed on the plan form. `file_causes` are the cause codes on the file."""
    errors: dict[str, str] = {}

    track = _code(raw.get("track"), codes.TRACK)
    if track is None or track == INVALID:
        errors["track"] = "请选择措施类别（四个一批或送温暖）"
    programme = _code(raw.get("programme"), codes.PROGRAMME)
    if programme == INVALID:
        errors["programme"] = "帮扶项目不在列表中"
    elif programme and track and programme in codes.PROGRAMME_TRACK and codes.PROGRAMME_TRACK[programme] != track:
        wanted = codes.TRACK[codes.PROGRAMME_TRACK[programme]]
        errors["programme"] = f"{codes.PROGRAMME[programme]}属于“{wanted}”类措施，请改选类别或项目"

    cause = _code(raw.get("cause"), codes.CAUSE)
    if cause == INVALID:
        errors["cause"] = "致困原因不在列表中"
    elif cause is None and track in FOUR_TRACKS:
        errors["cause"] = "请选择该措施针对的致困原因（送温暖可不选）"
    elif cause is not None and cause not in file_causes:
        errors["cause"] = f"本档案没有“{codes.CAUSE[cause]}”这一致困原因"

    content = field_text(raw.get("content"), "measure.content", errors, "content")
    if not content:
        errors["content"] = "请填写帮扶内容（做什么、怎么做）"

    status = _code(raw.get("status"), codes.MEASURE_STATUS)
    if status is None or status == INVALID:
        errors["status"] = "请选择状态"
    start_on = _date(raw.get("start_on"))
    end_on = _date(raw.get("end_on"))
    if not isinstance(start_on, dt.date):
        errors["start_on"] = "请填写开始日期（YYYY-MM-DD）"
        start_on = None
    if isinstance(end_on, str):
        errors["end_on"] = "结束日期格式应为 YYYY-MM-DD"
        end_on = None
    if start_on and end_on and end_on < start_on:
        errors["end_on"] = "结束日期不能早于开始日期"
    if status == "in_progress" and start_on and start_on > today:
        errors["status"] = "尚未开始的措施，状态应为“计划”"
    if status == "done" and not end_on and "end_on" not in errors:
        errors["end_on"] = "已完成的措施请填写结束日期"
    if status == "done" and end_on and end_on > today:
        errors["end_on"] = "已完成的措施，结束日期不能晚于今天"

    responsible = field_text(raw.get("responsible"), "measure.responsible", errors, "responsible") or None

    amount_fen, fund_source, pay_every, first_pay_on, pay_count = _money(raw, errors, start_on, end_on)
    if status == "planned" and first_pay_on and first_pay_on <= today and "first_pay_on" not in errors:
        errors["first_pay_on"] = "计划中的措施还没有发放：首次发放日期应晚于今天（已开始发放的，请把状态改为“实施中”）"
    if pay_every and pay_every != INVALID and first_pay_on and pay_count and end_on and "pay_count" not in errors:
        # a schedule never runs past its measure's end: the stored count is what will really be paid
        pay_count = len(payment_dates(first_pay_on, pay_every, pay_count, until=end_on)) or pay_count

    if errors:
        raise PlanErrors(errors)
    return CleanMeasure(track, programme, cause, content, status, start_on, end_on, responsible,
                        amount_fen, fund_source, pay_every, first_pay_on, pay_count)


def _positive_amount(text: str, errors: dict[str, str]) -> int | None:
    """Yuan as typed → fen, above zero; otherwise the message under 金额."""
    try:
        fen = yuan_to_fen(text)
        if fen <= 0:
            raise InvalidAmount("金额须大于0")
        return fen
    except InvalidAmount as exc:
        errors["amount"] = str(exc)
        return None


def _money(raw: dict[str, Any], errors: dict[str, str], start_on, end_on):
    """The money part of a measure: all of amount, fund and schedule, or none of them."""
    amount_text = _text(raw.get("amount"))
    fund = _code(raw.get("fund_source"), codes.FUND_SOURCE)
    every = _code(raw.get("pay_every"), codes.PAY_EVERY)
    if not amount_text:
        if fund and fund != INVALID:
            errors["amount"] = "选择了资金来源，请填写每次发放金额（不涉及资金的措施请清空资金来源）"
        return None, None, None, None, None
    amount_fen = _positive_amount(amount_text, errors)
    if fund is None or fund == INVALID:
        errors["fund_source"] = "请选择资金来源"
    every = every or "once"
    if every == INVALID:
        errors["pay_every"] = "发放方式不在列表中"
    first_pay_on = _date(raw.get("first_pay_on"))
    if not isinstance(first_pay_on, dt.date):
        errors["first_pay_on"] = "请填写（首次）发放日期（YYYY-MM-DD）"
        first_pay_on = None
    elif start_on and first_pay_on < start_on:
        errors["first_pay_on"] = "发放日期不能早于措施开始日期"
    elif end_on and first_pay_on > end_on:
        errors["first_pay_on"] = "发放日期不能晚于措施结束日期"
    count_text = _text(raw.get("pay_count"))
    count = 1
    if every != "once":
        try:
            count = int(count_text)
            if not 1 <= count <= MAX_PAYMENTS:
                raise ValueError
        except ValueError:
            errors["pay_count"] = f"发放次数须为 1 到 {MAX_PAYMENTS} 之间的整数"
    return amount_fen, fund, every, first_pay_on, count


def check_payment(raw: dict[str, Any], *, today: dt.date) -> dict[str, Any]:
    """One payment as typed (a 送温暖 慰问金, or a correction of a scheduled payment)."""
    errors: dict[str, str] = {}
    amount_text, amount_fen = _text(raw.get("amount")), None
    if not amount_text:
        errors["amount"] = "请填写发放金额（元）"
    else:
        amount_fen = _positive_amount(amount_text, errors)
    fund = _code(raw.get("fund_source"), codes.FUND_SOURCE)
    if fund is None or fund == INVALID:
        errors["fund_source"] = "请选择资金来源"
    paid_on = _date(raw.get("paid_on"))
    if not isinstance(paid_on, dt.date):
        errors["paid_on"] = "请填写发放日期（YYYY-MM-DD）"
    note = field_text(raw.get("note"), "aid_payment.note", errors, "note") or None
    if errors:
        raise PlanErrors(errors)
    return {"amount_fen": amount_fen, "fund_source": fund, "paid_on": paid_on, "note": note}


# --- twin payments: one rule for the 发放 form and the import ------------------------------------------------------

PaymentKey = tuple  # (paid_on, amount_fen, fund_source, track)


def payment_key(paid_on: dt.date, amount_fen: int, fund_source: str | None, track: str) -> PaymentKey:
    """What makes two payments of one file twins: the same day, amount, fund source and track."""
    return (paid_on, amount_fen, fund_source, track)


def twin_refusal(key: PaymentKey, recorded: set[PaymentKey] | dict[PaymentKey, Any]) -> str | None:
    """Why a payment of a file cannot be entered as another one: a payment with the same key is already recorded on
    the file (most often a second click, or the same sheet entered twice). None when it has no twin."""
    if key not in recorded:
        return None
    return f"{key[0]:%Y-%m-%d} 已登记过一笔相同金额、相同资金来源的发放"


def _required_text(raw: dict[str, Any], key: str, field: str, missing: str, errors: dict[str, str]) -> str:
    text = field_text(raw.get(key), field, errors, key)
    if not text:
        errors[key] = missing
    return text


def _past_date(raw: dict[str, Any], key: str, today: dt.date, missing: str, future: str, errors: dict[str, str]) -> dt.date | None:
    day = _date(raw.get(key))
    if not isinstance(day, dt.date):
        errors[key] = missing
        return None
    if day > today:
        errors[key] = future
    return day


# --- pairing (一帮一) ----------------------------------------------------------------------------


def check_helper(raw: dict[str, Any], *, today: dt.date) -> dict[str, Any]:
    """The responsible person and pairing unit as typed, with the date the pairing starts."""
    errors: dict[str, str] = {}
    name = _required_text(raw, "helper_name", "pairing.helper_name", "请填写帮扶责任人姓名", errors)
    unit = _required_text(raw, "helper_unit", "pairing.helper_unit", "请填写结对单位", errors)
    phone = _text(raw.get("helper_phone")) or None
    if phone:
        try:
            phone = parse_mobile(phone)
        except InvalidIdentifier as exc:
            errors["helper_phone"] = str(exc)
    start_on = _past_date(raw, "start_on", today, "请填写结对开始日期（YYYY-MM-DD）", "结对开始日期不能晚于今天", errors)
    if errors:
        raise PlanErrors(errors)
    return {"helper_name": name, "helper_unit": unit, "helper_phone": phone, "start_on": start_on}


# --- visits --------------------------------------------------------------------------------------


def check_visit(raw: dict[str, Any], *, today: dt.date) -> dict[str, Any]:
    errors: dict[str, str] = {}
    visited_on = _past_date(raw, "visited_on", today, "请填写走访日期（YYYY-MM-DD）", "走访日期不能晚于今天（计划中的走访请不要登记）", errors)
    visitor = _required_text(raw, "visitor", "visit.visitor", "请填写走访人", errors)
    kind = _code(raw.get("kind"), codes.VISIT_KIND)
    if kind is None or kind == INVALID:
        errors["kind"] = "请选择走访方式"
    notes = field_text(raw.get("notes"), "visit.notes", errors, "notes")
    if not notes:
        errors["notes"] = "请简要记录走访情况"
    needs = field_text(raw.get("needs"), "visit.needs", errors, "needs") or None
    if errors:
        raise PlanErrors(errors)
    return {"visited_on": visited_on, "visitor": visitor, "kind": kind, "notes": notes, "needs": needs}


# --- suggested tracks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FileFacts:
    """What the suggestions read from a file."""

    open_causes: tuple[str, ...]           # cause codes not yet removed
    able_to_work: int                      # persons (head and members) able to work
    zero_employment: bool                  # 零就业家庭
    uninsured: tuple[str, ...] = ()        # names of persons without medical insurance
    seriously_ill: tuple[str, ...] = ()    # names of persons with a serious illness
    safety_net: tuple[str, ...] = ()       # codes.ASSISTANCE_PROGRAMME in force now (core.assistance)
    below_line: bool | None = None         # latest per-capita income below the line (None: unknown)
    students: int = 0                      # children at school


@dataclass(frozen=True)
class Suggestion:
    track: str
    reasons: tuple[str, ...]
    examples: str = ""

    @property
    def label(self) -> str:
        return codes.TRACK[self.track]


# the programmes that guarantee a subsistence income: below the line without one of them → help apply for 低保
SUBSISTENCE = {"dibao", "tekun"}

EXAMPLES = {
    "employment": "技能培训、推荐就业、公益性岗位、创业扶持",
    "insurance": "参保登记、协调单位补缴欠费、落实养老/失业/工伤待遇",
    "medical": "大病保险、职工大病医疗互助、工会爱心卡、尿毒症肾透析专项救助",
    "safety_net": "低保、特困供养、临时救助、住房救助、教育救助（金秋助学）",
}


def suggest_tracks(facts: FileFacts) -> list[Suggestion]:
    """The tracks the file's facts point to, each with the reasons, in the order of the four tracks."""
    reasons: dict[str, list[str]] = {t: [] for t in FOUR_TRACKS}
    causes = set(facts.open_causes)
    for cause in ("2", "3"):
        if cause in causes:
            reasons["employment"].append(f"致困原因：{codes.CAUSE[cause]}")
    if facts.zero_employment and facts.able_to_work:
        reasons["employment"].append("零就业家庭，有劳动能力的成员应优先安置就业")
    if reasons["employment"] and not facts.able_to_work:
        reasons["employment"].append("注意：档案中没有标记有劳动能力的成员，请核实")
    for cause in ("4", "5"):
        if cause in causes:
            reasons["insurance"].append(f"致困原因：{codes.CAUSE[cause]}")
    if facts.uninsured:
        reasons["insurance"].append("未参加医疗保险：" + "、".join(facts.uninsured))
    if "6" in causes:
        reasons["medical"].append(f"致困原因：{codes.CAUSE['6']}")
    if facts.seriously_ill:
        reasons["medical"].append("患重特大疾病：" + "、".join(facts.seriously_ill))
    if "1" in causes:
        reasons["safety_net"].append(f"致困原因：{codes.CAUSE['1']}")
    if facts.below_line and not facts.able_to_work:
        reasons["safety_net"].append("人均收入低于低保标准，且家中无人有劳动能力")
    if facts.below_line and not set(facts.safety_net) & SUBSISTENCE:
        reasons["safety_net"].append("人均收入低于低保标准，尚未纳入低保：协助申请")
    if "9" in causes:
        reasons["safety_net"].append("致困原因：子女上学（教育救助、金秋助学）" if facts.students else "致困原因：子女上学（教育救助）")
    for cause in ("7", "8"):
        if cause in causes:
            reasons["safety_net"].append(f"致困原因：{codes.CAUSE[cause]}（临时救助、住房救助）")
    return [Suggestion(t, tuple(r), EXAMPLES[t]) for t, r in reasons.items() if r]


@dataclass(frozen=True)
class MeasureFact:
    cause: str | None
    status: str
    track: str


@dataclass
class Coverage:
    """How the plan covers the file: causes with no measure in hand, and suggested tracks with none."""

    uncovered_causes: list[str] = field(default_factory=list)
    finished_only: set[str] = field(default_factory=set)  # causes whose measures are all 已完成
    tracks_without_measure: list[str] = field(default_factory=list)


def coverage(facts: FileFacts, measures: list[MeasureFact]) -> Coverage:
    """Open causes that no planned or running measure addresses (a finished measure does not count:
    the cause is still there), and suggested tracks with no planned or running measure."""
    open_measures = [m for m in measures if m.status in codes.OPEN_MEASURE_STATUSES]
    addressed = {m.cause for m in open_measures}
    result = Coverage()
    for cause in facts.open_causes:
        if cause not in addressed:
            result.uncovered_causes.append(cause)
            if any(m.cause == cause for m in measures):
                result.finished_only.add(cause)
    tracks = {m.track for m in open_measures}
    result.tracks_without_measure = [s.track for s in suggest_tracks(facts) if s.track not in tracks]
    return result
