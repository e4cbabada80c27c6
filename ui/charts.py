"""A chart on screen with its downloads: the picture (PNG, for slides) and its data (CSV)."""

from __future__ import annotations

import hashlib

import altair as alt
import pandas as pd
import streamlit as st


@st.cache_data(show_spinner=False, max_entries=200)
def _png(spec: str) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=2)


def show(chart: alt.Chart, data: pd.DataFrame, name: str, *, downloads: bool = True) -> None:
    """The chart, and below it the picture (PNG, ~0.5 s a chart) and the data (CSV) as downloads made only when one is
    clicked, never on a page load."""
    st.altair_chart(chart, width="stretch")
    if not downloads:
        return
    key = hashlib.sha1(name.encode()).hexdigest()[:10]  # a chart's name is unique on its page
    left, right, _ = st.columns([1, 1, 1])
    left.download_button("下载图片", lambda: _png(chart.to_json(validate=False, indent=None)), file_name=f"{name}.png",
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
