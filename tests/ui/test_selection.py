"""ui.selection: ticks are bound to the rows' ids; when the rows change, nothing stays ticked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ui.markdown import escape_markdown
from ui.selection import files_text, fingerprint, select_rows


def _script():
    import pandas as pd
    import streamlit as st

    from ui import selection

    s = st.session_state
    frame = pd.DataFrame({"hid": s.ids, "档案编号": [f"F{i}" for i in s.ids], "户主姓名": [f"户主{i}" for i in s.ids]})
    if s.get("clear_now"):
        selection.clear("t")
        s.clear_now = False
    chosen = selection.select_rows(frame, key="t", id_column="hid", context=s.get("context", ()))
    s.result = (chosen.ids, list(chosen.rows["档案编号"]), chosen.dropped)


def _app(ids, **state) -> AppTest:
    at = AppTest.from_function(_script, default_timeout=10)
    at.session_state["ids"] = ids
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def _tick(at, rows) -> AppTest:
    at.session_state[at.session_state["_selection_key::t"]] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return at.run()


def test_ticked_positions_become_the_ids_of_those_rows():
    at = _tick(_app([30, 10, 20]), [2, 0])
    assert at.session_state["result"] == ([30, 20], ["F30", "F20"], False)


@pytest.mark.parametrize("new_ids, context, kept", [
    ([30, 10, 20], (), True),  # the same rows in the same order: the ticks still mean the same files
    ([10, 20], (), False),  # the first row left (e.g. it was confirmed): position 0 would be another file
    ([30, 10, 20, 40], (), False),  # a row came in
    ([10, 30, 20], (), False),  # the same files in another order
    ([30, 10, 20], ("another month",), False),  # the same ids under another filter or month
])
def test_the_ticks_survive_only_the_very_same_rows(new_ids, context, kept):
    at = _tick(_app([30, 10, 20]), [0, 1])
    at.session_state["ids"] = new_ids
    at.session_state["context"] = context
    at.run()
    ids, files, dropped = at.session_state["result"]
    if kept:
        assert (ids, files, dropped) == ([30, 10], ["F30", "F10"], False)
    else:
        assert (ids, files, dropped) == ([], [], True)  # nothing ticked, and the person is told the ticks were let go


def test_clear_unticks_the_same_rows_without_a_warning():
    at = _tick(_app([1, 2, 3]), [1])
    at.session_state["clear_now"] = True
    at.run()
    assert at.session_state["result"] == ([], [], False)
    assert _tick(at, [2]).session_state["result"] == ([3], ["F3"], False)  # and ticks anew as usual


def test_a_tick_beyond_the_rows_is_ignored():
    at = _tick(_app([5, 6]), [1, 7])
    assert at.session_state["result"] == ([6], ["F6"], False)


def test_ids_must_tell_the_rows_apart():
    with pytest.raises(ValueError, match="not unique"):
        select_rows(pd.DataFrame({"hid": [1, 1]}), key="t", id_column="hid")


def test_the_fingerprint_is_the_ids_in_order_and_the_context():
    assert fingerprint([np.int64(3), np.int64(4)], ("exit",)) == fingerprint([3, 4], ("exit",))
    assert fingerprint([3, 4]) != fingerprint([4, 3])
    assert fingerprint([3, 4], ("exit",)) != fingerprint([3, 4], ("relief",))


def test_the_files_named_above_a_button_are_escaped():
    rows = pd.DataFrame({"档案编号": ["QHD-130302-000001", "QHD-130302-000002"], "户主姓名": ["张三", "[点我](http://x)"]})
    assert files_text(rows) == "QHD-130302-000001 张三、QHD-130302-000002 \\[点我\\](http\\:\u2060//x)"
    assert escape_markdown("**王**_五_") == "\\*\\*王\\*\\*\\_五\\_"
    # no bare address stays one (GitHub-flavoured Markdown links them after resolving escapes): a word joiner breaks each
    assert escape_markdown("www.a.cn WWW.b.cn https://c.cn d@e.cn") == "www\u2060.a.cn WWW\u2060.b.cn https\\:\u2060//c.cn d@\u2060e.cn"
