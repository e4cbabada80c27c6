"""Tables whose rows can be ticked: a selection is bound to the rows' identities, never to their positions.

`st.dataframe(on_select=...)` remembers the ticked rows by POSITION under its key. If the rows under a
fixed key change (a confirmation closed two files, a filter, someone's save), the old positions land
on other rows: the next write would touch files nobody chose. So every selectable table goes through
`select_rows`, which keys the widget on a fingerprint of the rows shown (their ids in order, plus the
caller's context: filters, the month judged, row versions) and maps the ticked positions to ids in the
same run. Rows that differ in any way give another widget, with nothing ticked; `clear` starts a
table afresh after a write even if its rows stayed the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from ui.markdown import escape_markdown

LIST_LIMIT = 12  # above this many chosen files the list above a button scrolls
DROPPED = "名单已有变化（日期或筛选改变，或有人刚刚修改、确认了档案），原来的勾选已清除，请核对后重新勾选。"


@dataclass(frozen=True)
class Selection:
    ids: list  # the chosen rows' ids, in the table's order
    rows: pd.DataFrame  # the chosen rows, with every column given (the id column too)
    dropped: bool = False  # rows had been ticked, but the rows changed (someone's save): the ticks were let go

    def __len__(self) -> int:
        return len(self.ids)


def fingerprint(ids: Sequence[Hashable], context: Sequence[Hashable] = ()) -> str:
    """A short digest of what the table is: the same ids in the same order under the same context, or not."""
    return hashlib.sha1(repr(([_plain(i) for i in ids], [_plain(c) for c in context])).encode()).hexdigest()[:16]


def _plain(value):
    """numpy scalars print as np.int64(3): use the Python value, so a fingerprint does not depend on the dtype."""
    return value.item() if hasattr(value, "item") else value


def _round_key(key: str) -> str:
    return f"_selection_round::{key}"


def current_key_name(key: str) -> str:
    """Where the widget key in use for table `key` is kept (tests tick rows through it)."""
    return f"_selection_key::{key}"


def widget_key(key: str, ids: Sequence[Hashable], context: Sequence[Hashable] = ()) -> str:
    return f"{key}_{st.session_state.get(_round_key(key), 0)}_{fingerprint(ids, context)}"


def clear(key: str) -> None:
    """Untick table `key` (call after a write that acted on its selection; safe inside a callback)."""
    st.session_state[_round_key(key)] = st.session_state.get(_round_key(key), 0) + 1
    st.session_state.pop(current_key_name(key), None)


def _had_ticks(widget: str | None) -> bool:
    state = st.session_state.get(widget) if widget else None
    return bool(state and state.get("selection", {}).get("rows"))


def select_rows(frame: pd.DataFrame, *, key: str, id_column: str, context: Sequence[Hashable] = (), multi: bool = True,
                hidden: Sequence[str] | None = None, selectable: bool = True, **dataframe_args) -> Selection:
    """Show `frame` as a table whose rows can be ticked and return the ticked rows by their ids.

    `id_column` holds each row's identity (unique); `hidden` the columns not shown (default: the id column).
    `context` is whatever else makes these rows these rows (a filter, the month judged, the rows' versions).
    """
    ids = list(frame[id_column])
    if len(set(ids)) != len(ids):  # a programming error: positions could not be told apart by id
        raise ValueError(f"{key}: the ids in {id_column!r} are not unique")
    name = widget_key(key, ids, context)
    before = st.session_state.get(current_key_name(key))
    dropped = before is not None and before != name and _had_ticks(before)
    st.session_state[current_key_name(key)] = name
    shown = frame.drop(columns=[c for c in (hidden if hidden is not None else [id_column]) if c in frame.columns])
    dataframe_args.setdefault("hide_index", True)
    dataframe_args.setdefault("width", "stretch")
    if not selectable:
        st.dataframe(shown, key=name, **dataframe_args)
        return Selection([], frame.iloc[0:0])
    event = st.dataframe(shown, key=name, on_select="rerun", selection_mode="multi-row" if multi else "single-row",
                         **dataframe_args)
    positions = sorted({p for p in event.selection.rows if 0 <= p < len(frame)})
    return Selection([ids[p] for p in positions], frame.iloc[positions], dropped=dropped and not positions)


def files_text(rows: pd.DataFrame, *, number: str = "档案编号", name: str = "户主姓名") -> str:
    """“QHD-130302-000001 张三、QHD-… 李四” for the chosen rows, escaped for Markdown."""
    return "、".join(f"{escape_markdown(n)} {escape_markdown(p)}" for n, p in zip(rows[number], rows[name], strict=True))


def show_chosen(chosen: Selection, *, action: str, number: str = "档案编号", name: str = "户主姓名") -> None:
    """Right above a button: how many files it will change, and which (number and name)."""
    if chosen.dropped:
        st.warning(DROPPED, icon=":material/refresh:")
    rows = chosen.rows
    if rows.empty:
        st.markdown(f"已勾选 **0** 户。请在上表勾选要{action}的档案。")
        return
    show_files(rows, lead=f"已勾选 **{len(rows)}** 户，将{action}", number=number, name=name)


def show_files(rows: pd.DataFrame, *, lead: str, number: str = "档案编号", name: str = "户主姓名") -> None:
    """“<lead>：number name、…” — every file, in a scrolling box when there are many."""
    text = f"{lead}：{files_text(rows, number=number, name=name)}"
    if len(rows) > LIST_LIMIT:
        with st.container(height=110):
            st.markdown(text)
    else:
        st.markdown(text)
