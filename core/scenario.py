"""政策模拟方案 (scenarios): named sets of dated overrides on the baseline parameters, as a transform of dated tables.

An override sets one thing for a period — from a date onward, or from–to, after which the baseline value returns:
the 低保 line (×k or +x yuan, in every district or some, on top of the baseline's own rises), or one of the dated
parameters. `resolve` lays a set over the baseline tables and returns plain dated rows again, so everything that reads
the real tables (core.parameters.value_on, core.status_engine.line_grid) reads a scenario unchanged, and adopting a
scenario writes exactly those rows. The canonical JSON of a set is what is stored; its hash is the scenario's id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pandas as pd

from core.money import InvalidAmount, fen_to_yuan, yuan_to_fen
from core.parameters import SPEC_BY_KEY, InvalidParameter, display_value, parse_value
from core.typed import TEXT_FIELDS, echo, text_problem


@dataclass(frozen=True)
class DatedTables:
    """The dated policy data a computation reads: the 低保 lines and the dated parameters.

    lines:  place_code, effective_from (date), amount_fen (int) — the same shape as the store's dibao_line
    params: key -> [(effective_from, value text)] — the same rows core.parameters.value_on reads
    """

    lines: pd.DataFrame
    params: dict[str, list[tuple[dt.date, str]]]


LINE_SCALE = "line_scale"  # value: factor text, e.g. "1.2" (低保标准 × k; the scaled line rounded half-up to the fen)
LINE_ADD = "line_add"  # value: yuan text, e.g. "50" or "-20" (低保标准 + x 元)
LINE_KEYS = (LINE_SCALE, LINE_ADD)
SCENARIO_KEYS = (LINE_SCALE, LINE_ADD, "exit_run_months", "income_lag_months", "exit_multiple", "relief_multiple",
                 "edge_multiplier", "accident_multiplier", "relative_multiplier", "target_shares", "baseline_date")
LABELS = {LINE_SCALE: "低保标准倍数", LINE_ADD: "低保标准增减（元）"} | {
    key: SPEC_BY_KEY[key].label for key in SCENARIO_KEYS if key in SPEC_BY_KEY}

EARLIEST = dt.date(2000, 1, 1)  # as the parameter grid: no policy date is older
MAX_OVERRIDES = 50
MAX_SCALE = Decimal(5)
MAX_MULTIPLE = Decimal(10)
INT_RANGES = {"exit_run_months": (1, 36), "income_lag_months": (0, 6)}
MULTIPLES = ("exit_multiple", "relief_multiple", "edge_multiplier", "accident_multiplier", "relative_multiplier")
FIELDS = ("key", "value", "start", "end", "places")


@dataclass(frozen=True)
class Override:
    key: str  # one of SCENARIO_KEYS
    value: str  # text as a parameter stores it (shares: '{"2018": 50, ...}', dates ISO)
    start: dt.date  # in force from this day (a line effective mid-month applies from the next month, as real lines)
    end: dt.date | None = None  # last day in force; the baseline value returns the day after; None: onward
    places: tuple[str, ...] = ()  # LINE_* only: district codes; () = every district


class ScenarioInvalid(ValueError):
    """A set of overrides that cannot be used; `errors` maps "<i>.<field>" (or "overrides") to a Chinese message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(errors.values()))


def describe(o: Override, place_names: Mapping[str, str] | None = None) -> str:
    """One override as a person reads it: 低保标准倍数 1.2，2019-01-01 起长期，全部区县."""
    names = place_names or {}
    if o.key in SPEC_BY_KEY:
        value = display_value(o.key, o.value)
    else:
        value = f"×{o.value}" if o.key == LINE_SCALE else f"{o.value} 元"
    period = f"{o.start:%Y-%m-%d} 起" + (f"至 {o.end:%Y-%m-%d}" if o.end else "长期")
    where = ("，" + ("、".join(names.get(p, p) for p in o.places) if o.places else "全部区县")) if o.key in LINE_KEYS else ""
    return f"{LABELS.get(o.key, o.key)} {value}，{period}{where}"


def _where(i: int) -> str:
    return f"第 {i + 1} 项调整："


# --- the stored form -------------------------------------------------------------------------------------------------


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _canonical_value(key: str, value: str) -> str:
    """One text for one value, so the same set always hashes the same: shares in year order, others trimmed."""
    value = value.strip()
    if key == "target_shares":
        try:
            shares = json.loads(value)
        except ValueError:
            return value
        if isinstance(shares, dict):
            return json.dumps(dict(sorted(shares.items())), ensure_ascii=False)
    return value


def parse(data: Any) -> tuple[Override, ...]:
    """Overrides from their stored form (a list of dicts, or its JSON text); ScenarioInvalid on a bad shape."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise ScenarioInvalid({"overrides": "方案内容不是有效的 JSON"}) from None
    if not isinstance(data, (list, tuple)):
        raise ScenarioInvalid({"overrides": "方案内容应是一组调整"})
    errors: dict[str, str] = {}
    out: list[Override] = []
    for i, item in enumerate(data):
        if isinstance(item, Override):
            out.append(item)
            continue
        if not isinstance(item, Mapping):
            errors[f"{i}.key"] = f"{_where(i)}格式不正确"
            continue
        unknown = sorted(set(item) - set(FIELDS))
        if unknown:
            errors[f"{i}.key"] = f"{_where(i)}有未知的字段“{echo('、'.join(map(str, unknown)))}”"
            continue
        key = item.get("key")
        if key is None or str(key).strip() == "":
            errors[f"{i}.key"] = f"{_where(i)}请选择要调整的参数"
            continue
        if key not in SCENARIO_KEYS:
            errors[f"{i}.key"] = f"{_where(i)}未知的调整项“{echo(key)}”"
            continue
        value = item.get("value")
        if value is None or isinstance(value, (dict, list, bool)):
            errors[f"{i}.value"] = f"{_where(i)}请填写{LABELS[key]}的取值"
            continue
        try:
            start = _day(item.get("start"))
        except (ValueError, TypeError):
            errors[f"{i}.start"] = f"{_where(i)}开始日期“{echo(item.get('start'))}”格式不正确"
            continue
        end = None
        if item.get("end") not in (None, ""):
            try:
                end = _day(item["end"])
            except (ValueError, TypeError):
                errors[f"{i}.end"] = f"{_where(i)}结束日期“{echo(item.get('end'))}”格式不正确"
                continue
        places = item.get("places") or ()
        if isinstance(places, str) or not all(isinstance(p, str) for p in places):
            errors[f"{i}.places"] = f"{_where(i)}区县应是一组区县代码"
            continue
        out.append(Override(key=key, value=_canonical_value(key, str(value)), start=start, end=end,
                            places=tuple(sorted(set(p.strip() for p in places)))))
    if errors:
        raise ScenarioInvalid(errors)
    return tuple(out)


def _stored(o: Override) -> dict[str, Any]:
    return {"key": o.key, "value": o.value, "start": o.start.isoformat(), "end": o.end.isoformat() if o.end else None,
            "places": sorted(set(o.places))}


def to_json(overrides: Iterable[Override]) -> str:
    """The canonical JSON of a set (sorted keys, no spaces, districts sorted): what is stored and hashed.
    The order of the overrides is kept: where two overlap, the later one wins."""
    return json.dumps([_stored(o) for o in overrides], ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(overrides: Iterable[Override]) -> str:
    """The scenario's id: the first 16 hex digits of the SHA-256 of its canonical JSON."""
    return hashlib.sha256(to_json(overrides).encode("utf-8")).hexdigest()[:16]


# --- resolving: the baseline with the overrides laid over it --------------------------------------------------------


def _covers(o: Override, day: dt.date) -> bool:
    return o.start <= day and (o.end is None or day <= o.end)


def _for_place(o: Override, place: str) -> bool:
    return not o.places or place in o.places


def _adjusted(amount_fen: int, o: Override) -> int:
    if o.key == LINE_SCALE:
        return int((Decimal(amount_fen) * Decimal(o.value.strip())).to_integral_value(rounding=ROUND_HALF_UP))
    return amount_fen + yuan_to_fen(o.value, allow_negative=True)


def _line_rows(place: str, base: list[tuple[dt.date, int]], overrides: Sequence[Override]) -> list[tuple[dt.date, int]]:
    """One district's dated lines under the line overrides. Every baseline row stays (adjusted where an override is in
    force, so the baseline's rises inside a period still apply); a row is added where an override begins or the day
    after it ends, unless the line in force does not change there."""
    mine = [o for o in overrides if _for_place(o, place)]
    if not mine:
        return list(base)
    base_days = [day for day, _ in base]

    def value_on(day: dt.date) -> int | None:
        in_force = [amount for start, amount in base if start <= day]
        if not in_force:
            return None  # no line yet: nothing to adjust
        amount = in_force[-1]
        winners = {}  # per key the latest override in force wins; a scale and an addition both apply, in list order
        for index, o in enumerate(mine):
            if _covers(o, day):
                winners[o.key] = (index, o)
        for _index, o in sorted(winners.values(), key=lambda pair: pair[0]):
            amount = _adjusted(amount, o)
        return amount

    edges = {o.start for o in mine} | {o.end + dt.timedelta(days=1) for o in mine if o.end is not None}
    days = sorted(set(base_days) | edges)
    out: list[tuple[dt.date, int]] = []
    base_set = set(base_days)
    for day in days:
        amount = value_on(day)
        if amount is None:
            continue
        if day not in base_set and out and out[-1][1] == amount:
            continue  # an edge where nothing changes writes no row
        out.append((day, amount))
    return out


def _resolve_lines(lines: pd.DataFrame, overrides: Sequence[Override]) -> pd.DataFrame:
    line_overrides = [o for o in overrides if o.key in LINE_KEYS]
    if not line_overrides:
        return lines.copy()
    frame = lines.copy()
    frame["effective_from"] = [_day(d) for d in frame["effective_from"]]
    rows = []
    for place, group in frame.sort_values(["place_code", "effective_from"], kind="stable").groupby("place_code", sort=True):
        base = [(d, int(a)) for d, a in zip(group["effective_from"], group["amount_fen"])]
        rows += [(place, day, amount) for day, amount in _line_rows(place, base, line_overrides)]
    out = pd.DataFrame(rows, columns=["place_code", "effective_from", "amount_fen"])
    out["amount_fen"] = out["amount_fen"].astype("int64")
    return out


def _resolve_param(rows: list[tuple[dt.date, str]], o: Override) -> list[tuple[dt.date, str]]:
    """One scalar override over a key's rows: its value over the whole period (rows dated inside it give way); the day
    after its end, the value in force before it (the baseline, or an earlier override) returns."""
    ordered = sorted(rows)
    kept = [(day, value) for day, value in ordered if not _covers(o, day)]
    out = kept + [(o.start, o.value)]
    if o.end is not None:
        back = o.end + dt.timedelta(days=1)
        before = [value for day, value in ordered if day <= back]
        if before and not any(day == back for day, _ in kept):
            out.append((back, before[-1]))
    return sorted(out)


def resolve(baseline: DatedTables, overrides: Iterable[Override]) -> DatedTables:
    """The baseline tables with the overrides laid over them, in list order (where two overlap on the same key — and
    district, for lines — the later one wins). Pure: `baseline` is never changed; no overrides give equal tables."""
    overrides = tuple(overrides)
    params = {key: list(rows) for key, rows in baseline.params.items()}
    for o in overrides:
        if o.key not in LINE_KEYS:
            params[o.key] = _resolve_param(params.get(o.key, []), o)
    return DatedTables(lines=_resolve_lines(baseline.lines, overrides), params=params)


# --- validation: the set as a whole, before it is used ---------------------------------------------------------------


def _check_value(o: Override, i: int, errors: dict[str, str]) -> None:
    key, where = f"{i}.value", _where(i)
    problem = text_problem(o.value, TEXT_FIELDS["policy_parameter.value"].limit, label=LABELS[o.key])
    if problem:
        errors[key] = where + problem
        return
    if o.key == LINE_SCALE:
        try:
            factor = Decimal(o.value.strip())
        except (InvalidOperation, ValueError):
            errors[key] = f"{where}低保标准倍数“{echo(o.value)}”不是有效数字"
            return
        if not factor.is_finite() or not 0 < factor <= MAX_SCALE:
            errors[key] = f"{where}低保标准倍数须大于 0 且不超过 {MAX_SCALE}"
        return
    if o.key == LINE_ADD:
        try:
            yuan_to_fen(o.value, allow_negative=True)
        except InvalidAmount as exc:
            errors[key] = f"{where}低保标准增减{exc}"
        return
    try:
        value = parse_value(o.key, o.value)  # the parameter's own rule, as the parameter grid applies it
    except InvalidParameter as exc:
        errors[key] = f"{where}{exc}"
        return
    label = LABELS[o.key]
    if o.key in INT_RANGES:
        low, high = INT_RANGES[o.key]
        if not low <= value <= high:
            errors[key] = f"{where}{label}须在 {low} 至 {high} 之间"
    elif o.key in MULTIPLES and value > MAX_MULTIPLE:
        errors[key] = f"{where}{label}须大于 0 且不超过 {MAX_MULTIPLE}"
    elif o.key == "baseline_date" and value < EARLIEST:
        errors[key] = f"{where}{label}不能早于 {EARLIEST:%Y-%m-%d}"


def _latest(today: dt.date) -> dt.date:
    """The last day an override may start on: a year after today (the parameter grid's limit for a 低保 line)."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def validate(overrides: Iterable[Override], baseline: DatedTables, place_codes: Iterable[str] | Mapping[str, str],
             today: dt.date) -> None:
    """Refuse a set that cannot be used, with every problem under its field ("<i>.<field>", or "overrides").

    `place_codes`: the districts a line may be set for (a mapping code → name names them in the messages)."""
    overrides = tuple(overrides)
    names = dict(place_codes) if isinstance(place_codes, Mapping) else {code: code for code in place_codes}
    errors: dict[str, str] = {}
    if len(overrides) > MAX_OVERRIDES:
        raise ScenarioInvalid({"overrides": f"一个方案最多 {MAX_OVERRIDES} 项调整（现为 {len(overrides)} 项）"})
    latest = _latest(today)
    for i, o in enumerate(overrides):
        where = _where(i)
        if o.key not in SCENARIO_KEYS:
            errors[f"{i}.key"] = f"{where}未知的调整项“{echo(o.key)}”"
            continue
        if not EARLIEST <= o.start <= latest:
            errors[f"{i}.start"] = f"{where}开始日期应在 {EARLIEST:%Y-%m-%d} 至 {latest:%Y-%m-%d} 之间"
        if o.end is not None:
            if o.end < o.start:
                errors[f"{i}.end"] = f"{where}结束日期不能早于开始日期"
            elif o.end >= latest:  # the day after it, the baseline's row is written: it must be a date a line may have
                errors[f"{i}.end"] = f"{where}结束日期应早于 {latest:%Y-%m-%d}"
        _check_value(o, i, errors)
        if o.places:
            if o.key not in LINE_KEYS:
                errors[f"{i}.places"] = f"{where}只有低保标准的调整可以只用于部分区县"
            else:
                unknown = [p for p in o.places if p not in names]
                if unknown:
                    errors[f"{i}.places"] = f"{where}未知的区县代码“{echo('、'.join(unknown))}”"
    if errors:
        raise ScenarioInvalid(errors)
    _check_lines(overrides, baseline, names, errors)
    if errors:
        raise ScenarioInvalid(errors)


def _check_lines(overrides: tuple[Override, ...], baseline: DatedTables, names: dict[str, str],
                 errors: dict[str, str]) -> None:
    """A line that the set makes zero or negative anywhere is refused at the override in force there."""
    if not any(o.key in LINE_KEYS for o in overrides):
        return
    resolved = resolve(baseline, overrides)
    for place, day, amount in zip(resolved.lines["place_code"], resolved.lines["effective_from"], resolved.lines["amount_fen"]):
        if amount > 0:
            continue
        culprit = max((i for i, o in enumerate(overrides) if o.key in LINE_KEYS and _for_place(o, place) and _covers(o, day)),
                      default=None)
        key = f"{culprit}.value" if culprit is not None else "overrides"
        if key not in errors:
            where = _where(culprit) if culprit is not None else ""
            errors[key] = (f"{where}调整后{names.get(place, place)}自 {day:%Y-%m-%d} 起的低保标准为 {fen_to_yuan(int(amount))} 元，"
                           "低保标准必须大于 0")
