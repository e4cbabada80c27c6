"""The outcome of a save of dated lines or parameters (the grid, or an adopted scenario), and the confirmed exits a
change into the past could affect — shown the same way wherever such a save is made."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import codes
from ui.markdown import escape_markdown


def show_outcome(outcome: tuple[str, str, list] | None, change: str) -> None:
    """outcome: (kind 'ok' | 'error', text, affected) as kept in the session by the save; change: 此修改 / 此次采用."""
    if not outcome:
        return
    kind, text, affected = outcome
    (st.success if kind == "ok" else st.error)(escape_markdown(text))
    if affected:
        st.warning(f"以下 {len(affected)} 户在所涉日期之后已确认脱困或解困，可能受{change}影响（未作改动，请复核）：")
        st.dataframe(pd.DataFrame([{"档案编号": a.file_no, "区县": a.place_name, "状态": codes.HOUSEHOLD_STATUS[a.status],
                                    "确认日期": a.effective_on} for a in affected]), hide_index=True, width="stretch")
