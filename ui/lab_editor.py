"""The 政策模拟 page's scenario editor: the overrides as a grid (one row per override), the quick sliders, and the
validation messages shown beside the grid with the row and the field in Chinese.

The grid is the whole scenario; the sliders only rewrite its "all districts, from a date onward" rows for the line
multiple and the run N, so what is compared is always exactly what the grid shows."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

import pandas as pd
import streamlit as st

from core import scenario

LABELS = {key: scenario.LABELS[key] for key in scenario.SCENARIO_KEYS}
KEY_OF = {label: key for key, label in LABELS.items()}
LINE_KEYS = (scenario.LINE_SCALE, scenario.LINE_ADD)
FIELDS = {"key": "参数", "value": "取值", "start": "起始日期", "end": "截止日期", "places": "区县"}
COLUMNS = list(FIELDS.values())
HINTS = {
    scenario.LINE_SCALE: "倍数，如 1.2",
    scenario.LINE_ADD: "元，可为负，如 50 或 -20",
    "target_shares": '如 {"2018": 50, "2019": 40, "2020": 10}',
    "baseline_date": "日期，如 2017-12-31",
}

ROWS = "lab_rows"            # the grid's data (a DataFrame), replaced when a scenario is opened or a slider moves
GRID_GEN = "lab_grid_gen"    # part of the grid's key: a new value starts the editor afresh on ROWS
VIEW_GEN = "lab_view_gen"    # part of the other widgets' keys: a new value shows the values the page set
LAST = "lab_grid_frame"      # the grid as the last run returned it (the sliders start from it)
QUICK = "lab_quick"          # what the sliders show: {"k": float, "n": int | None, "start": date}
BASE_N = "lab_base_n"        # the baseline's run N on the as-of day: N at this value adds no row
# Widgets take their values from page-owned state through `value=`/`index=` under keys that change when the page
# changes them (a scenario opened): a value written into a widget's own key before it is drawn is not always shown
# by the browser on a page opened by link.


def widget_key(name: str) -> str:
    return f"lab_{name}_{st.session_state.get(VIEW_GEN, 0)}"


def new_view() -> None:
    """Draw the page's widgets afresh with the values the page now holds."""
    st.session_state[VIEW_GEN] = st.session_state.get(VIEW_GEN, 0) + 1


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame({"参数": pd.Series([], dtype=object), "取值": pd.Series([], dtype=object),
                         "起始日期": pd.Series([], dtype=object), "截止日期": pd.Series([], dtype=object),
                         "区县": pd.Series([], dtype=object)})


def to_rows(overrides, place_names: dict[str, str]) -> pd.DataFrame:
    """A scenario's overrides as grid rows."""
    rows = [{"参数": LABELS.get(o.key, o.key), "取值": o.value, "起始日期": o.start, "截止日期": o.end,
             "区县": [place_names.get(code, code) for code in o.places]} for o in overrides]
    return pd.DataFrame(rows, columns=COLUMNS).astype(object) if rows else empty_rows()


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, (list, tuple, set)) or getattr(value, "ndim", 0) == 1:  # a multiselect cell: a list or an array
        return len(value) == 0
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(value, str) and not value.strip()


def _iso(value) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()[:10]


def _names(value) -> list[str]:
    if _blank(value):
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def to_data(frame: pd.DataFrame, place_codes: dict[str, str]) -> tuple[list[dict], list[int]]:
    """The grid as the list of dicts core.scenario.parse reads, and for each its row number in the grid (blank rows,
    e.g. one just added, are left out). `place_codes`: district name -> code."""
    data, rows = [], []
    for number, row in enumerate(frame.to_dict("records")):
        if all(_blank(row.get(c)) for c in COLUMNS):
            continue
        label = row.get("参数")
        data.append({
            "key": "" if _blank(label) else KEY_OF.get(label, label),
            "value": "" if _blank(row.get("取值")) else str(row["取值"]).strip(),
            "start": _iso(row.get("起始日期")),
            "end": _iso(row.get("截止日期")),
            "places": [place_codes.get(name, name) for name in _names(row.get("区县"))],
        })
        rows.append(number)
    return data, rows


_ITEM = re.compile(r"^第 \d+ 项调整：")  # core.scenario numbers the overrides; the grid's row number replaces it


def messages(errors: dict[str, str], rows: list[int]) -> list[str]:
    """ScenarioInvalid.errors ("<i>.<field>" or "overrides") as lines naming the grid row and the field."""
    lines = []
    for key, message in errors.items():
        index, _, field = key.partition(".")
        message = _ITEM.sub("", message)
        if index.isdigit() and int(index) < len(rows):
            lines.append(f"第 {rows[int(index)] + 1} 行 · {FIELDS.get(field, field)}：{message}")
        else:
            lines.append(message)
    return lines


def load(frame: pd.DataFrame, default_from: dt.date) -> None:
    """Put `frame` into the grid (a scenario was opened): the editor starts afresh on it, the sliders follow it."""
    st.session_state[ROWS] = frame
    st.session_state[LAST] = frame
    st.session_state[GRID_GEN] = st.session_state.get(GRID_GEN, 0) + 1
    quick = _quick_rows(frame)
    scale = frame[quick & (frame["参数"] == LABELS[scenario.LINE_SCALE])]
    run = frame[quick & (frame["参数"] == LABELS["exit_run_months"])]
    starts = [d for d in pd.concat([scale["起始日期"], run["起始日期"]]) if isinstance(d, dt.date)]
    st.session_state[QUICK] = {
        "k": _float(scale["取值"].iloc[-1], 1.0) if len(scale) else 1.0,
        "n": int(_float(run["取值"].iloc[-1], 0)) or None if len(run) else None,
        "start": starts[-1] if starts else default_from,
    }
    new_view()


def _float(text, default: float) -> float:
    try:
        return float(Decimal(str(text)))
    except (InvalidOperation, ValueError):
        return default


def _quick_rows(frame: pd.DataFrame) -> pd.Series:
    """The rows the sliders own: the line multiple or the run N, for every district, from a date onward."""
    if frame.empty:
        return pd.Series([], dtype=bool)
    keys = frame["参数"].isin([LABELS[scenario.LINE_SCALE], LABELS["exit_run_months"]])
    return keys & frame["截止日期"].map(_blank) & frame["区县"].map(_blank)


def _text(number: float) -> str:
    text = format(Decimal(str(round(number, 4))).normalize(), "f")
    return text


def _quick_changed() -> None:
    quick = {"k": st.session_state[widget_key("quick_k")], "n": st.session_state[widget_key("quick_n")],
             "start": st.session_state[widget_key("quick_from")] or st.session_state[QUICK]["start"]}
    st.session_state[QUICK] = quick
    frame = st.session_state.get(LAST, empty_rows())
    frame = frame[~_quick_rows(frame)] if not frame.empty else frame
    added = []
    if round(quick["k"], 4) != 1:
        added.append({"参数": LABELS[scenario.LINE_SCALE], "取值": _text(quick["k"]), "起始日期": quick["start"],
                      "截止日期": None, "区县": []})
    if quick["n"] != st.session_state.get(BASE_N):
        added.append({"参数": LABELS["exit_run_months"], "取值": str(int(quick["n"])), "起始日期": quick["start"],
                      "截止日期": None, "区县": []})
    if added:
        frame = pd.concat([frame, pd.DataFrame(added, columns=COLUMNS).astype(object)], ignore_index=True)
    st.session_state[ROWS] = frame.reset_index(drop=True)
    st.session_state[GRID_GEN] = st.session_state.get(GRID_GEN, 0) + 1


def quick_panel(base_n: int, default_from: dt.date) -> None:
    """Sliders for the two values asked about most (the line multiple k and the run N), from one date onward."""
    st.session_state[BASE_N] = base_n
    quick = st.session_state.setdefault(QUICK, {"k": 1.0, "n": None, "start": default_from})
    c1, c2, c3 = st.columns([1, 2, 2])
    c1.date_input("自（起始日期）", value=quick["start"], key=widget_key("quick_from"), format="YYYY-MM-DD",
                  on_change=_quick_changed, min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
    c2.slider("低保标准倍数 k", min_value=0.5, max_value=2.0, step=0.05, value=float(quick["k"]), key=widget_key("quick_k"),
              on_change=_quick_changed, help="各区县低保标准×k；1 为不调整")
    c3.slider("脱困所需连续月数 N", min_value=1, max_value=12, step=1, value=int(quick["n"] or base_n),
              key=widget_key("quick_n"), on_change=_quick_changed, help=f"基线为 {base_n} 个月")
    st.caption("拖动即改写下表中“全部区县、自该日起长期”的低保标准倍数行和连续月数行，其余行不变。")


def grid(place_names: list[str], *, disabled: bool = False) -> pd.DataFrame:
    """The overrides grid; returns what it shows now (edits included)."""
    frame = st.session_state.setdefault(ROWS, empty_rows())
    edited = st.data_editor(
        frame, key=f"lab_grid_{st.session_state.get(GRID_GEN, 0)}", num_rows="fixed" if disabled else "dynamic",
        disabled=disabled, hide_index=True, width="stretch",
        column_config={
            "参数": st.column_config.SelectboxColumn("参数", options=list(LABELS.values()), required=True, width="medium"),
            "取值": st.column_config.TextColumn("取值", help="；".join(f"{LABELS[k]}：{h}" for k, h in HINTS.items()), width="small"),
            "起始日期": st.column_config.DateColumn("起始日期", format="YYYY-MM-DD", required=True),
            "截止日期": st.column_config.DateColumn("截止日期", format="YYYY-MM-DD", help="留空为长期；截止日次日起恢复基线"),
            "区县": st.column_config.MultiselectColumn("区县", options=place_names, help="仅用于低保标准行；留空为全部区县"),
        },
    )
    st.session_state[LAST] = edited
    return edited
