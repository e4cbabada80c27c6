"""The responsible person's fields (一帮一), as the file, the work queue and the bulk move all ask for them."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from ui.forms import field_error


def helper_inputs(form: str, prefix: str, *, today: dt.date, name_label: str = "帮扶责任人 *", unit: str = "",
                  unit_key: str | None = None) -> None:
    """帮扶责任人, 结对单位, 联系电话 and the start date in one row, each message under its field.
    The widgets are keyed `<prefix>name`, `unit_key or <prefix>unit`, `<prefix>phone`, `<prefix>start`."""
    c1, c2, c3, c4 = st.columns(4)
    c1.text_input(name_label, key=f"{prefix}name")
    with c1:
        field_error(form, "helper_name")
    c2.text_input("结对单位 *", value=unit, key=unit_key or f"{prefix}unit")
    with c2:
        field_error(form, "helper_unit")
    c3.text_input("联系电话", key=f"{prefix}phone")
    with c3:
        field_error(form, "helper_phone")
    c4.date_input("自何日起 *", value=today, key=f"{prefix}start", format="YYYY-MM-DD")
    with c4:
        field_error(form, "start_on")


def helper_values(prefix: str, unit_key: str | None = None) -> dict:
    """What `helper_inputs` holds, as db.pairings takes it."""
    s = st.session_state
    return {"helper_name": s[f"{prefix}name"], "helper_unit": s[unit_key or f"{prefix}unit"], "helper_phone": s[f"{prefix}phone"],
            "start_on": s[f"{prefix}start"]}
