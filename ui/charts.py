"""A chart on screen with its downloads: the picture (PNG, for slides) and its data (CSV)."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st
from streamlit import dataframe_util
from streamlit.elements import vega_charts

# Streamlit switches Altair's process-wide data transformer while it draws a chart, under this lock; a spec built in
# another session's thread at that moment fails ("unexpected keyword argument 'datasets'"), so ours takes it too
_ALTAIR_LOCK = getattr(vega_charts, "_altair_globals_lock", threading.Lock())


@dataclass(frozen=True)
class Spec:
    """A chart built once: its Vega-Lite spec with the data already in Arrow (as Streamlit sends it), and the spec
    with its data inline (`full`), written as JSON for its picture only when a download asks."""

    draw: dict
    full: dict


def spec(chart: alt.Chart) -> Spec:
    """A page that builds its charts once (ui.snapshot.derived) and passes the Spec to `show` saves Altair's work and
    the data's conversion on every run."""
    with _ALTAIR_LOCK:
        full = chart.to_dict(validate=False)
    draw = dict(full)
    if "datasets" in full:  # Streamlit passes Arrow bytes through as they are
        draw["datasets"] = {name: dataframe_util.convert_anything_to_arrow_bytes(pd.DataFrame(rows))
                            for name, rows in full["datasets"].items()}
    return Spec(draw, full)


def _spec(chart: alt.Chart | Spec) -> str:
    if isinstance(chart, Spec):
        return json.dumps(chart.full, ensure_ascii=False)
    with _ALTAIR_LOCK:
        return chart.to_json(validate=False, indent=None)


@st.cache_data(show_spinner=False, max_entries=200)
def _png(spec: str) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=2)


def download_key(name: str) -> str:
    """The widget-key suffix of a chart's downloads (a chart's name is unique on its page); the picture's button is
    `png_<key>`, its data's `csv_<key>`."""
    return hashlib.sha1(name.encode()).hexdigest()[:10]


def show(chart: alt.Chart | Spec, data: pd.DataFrame, name: str, *, downloads: bool = True) -> None:
    """The chart, and below it the picture (PNG, ~0.5 s a chart) and the data (CSV) as downloads made only when one is
    clicked, never on a page load."""
    if isinstance(chart, Spec):  # built once (`spec`)
        st.vega_lite_chart(chart.draw, width="stretch")
    else:
        st.altair_chart(chart, width="stretch")
    if not downloads:
        return
    key = download_key(name)
    left, right, _ = st.columns([1, 1, 1])
    left.download_button("下载图片", lambda: _png(_spec(chart)), file_name=f"{name}.png",
                         mime="image/png", key=f"png_{key}", icon=":material/image:", on_click="ignore")
    right.download_button("下载数据", lambda: data.to_csv(index=False).encode("utf-8-sig"), file_name=f"{name}.csv",
                          mime="text/csv", key=f"csv_{key}", icon=":material/table:", on_click="ignore")


def hbar(data: pd.DataFrame, category: str, value: str, title: str, *, height: int | None = None, color: str = "#c0392b") -> alt.Chart:
    """Horizontal bars: Chinese category labels stay readable."""
    return (
        alt.Chart(data)
        .mark_bar(color=color)
        .encode(y=alt.Y(f"{category}:N", sort="-x", title=None), x=alt.X(f"{value}:Q", title=value),
                tooltip=[f"{category}:N", f"{value}:Q"])
        .properties(title=title, height=height or max(140, 26 * len(data)))
    )
