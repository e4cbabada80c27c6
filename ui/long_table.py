"""A long list a page at a time, with the whole list as a download.

A province's 缺近期收入 list can hold 70,000 files: sending them all to the browser on every rerun costs seconds and
nobody reads past the first screens. The browser gets one page (`PAGE_ROWS` rows); the CSV of the whole list is
built only when someone clicks the download.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from core.workbook import write_csv

PAGE_ROWS = 500


def csv_of(frame: pd.DataFrame) -> bytes:
    """The table as Excel opens it (UTF-8 with BOM; formula-looking text kept as text)."""
    return write_csv([str(c) for c in frame.columns], frame.astype(object).where(frame.notna(), "").to_numpy().tolist())


def show(frame: pd.DataFrame, *, key: str, file_name: str, **dataframe_args) -> None:
    """`frame` as a table; beyond PAGE_ROWS rows, a page of it with a page number, and the whole list as CSV."""
    dataframe_args.setdefault("hide_index", True)
    dataframe_args.setdefault("width", "stretch")
    if len(frame) <= PAGE_ROWS:
        st.dataframe(frame, **dataframe_args)
        return
    pages = math.ceil(len(frame) / PAGE_ROWS)
    left, middle, right = st.columns([1, 2, 2], vertical_alignment="bottom")
    page = int(left.number_input("页码", min_value=1, max_value=pages, value=1, step=1, key=key))
    middle.caption(f"共 {len(frame):,} 行，每页 {PAGE_ROWS} 行，第 {page} / {pages} 页")
    right.download_button("下载完整名单（CSV）", lambda: csv_of(frame), file_name=file_name, mime="text/csv",
                          icon=":material/download:", on_click="ignore", key=f"{key}_csv")
    st.dataframe(frame.iloc[(page - 1) * PAGE_ROWS:page * PAGE_ROWS], **dataframe_args)
