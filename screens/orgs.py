"""工会组织: the union tree — add a union, rename it, or deactivate it (administrators only)."""

import pandas as pd
import streamlit as st

from core.codes import ORG_KIND
from db import orgs as org_service
from db import queries
from ui import store
from ui.forms import field_error, form_notice, submit
from ui.session import require_role

actor = require_role("admin")
st.title("工会组织")

with store.reading() as session:
    tree = org_service.org_tree(session)
    places = queries.places_in_scope(session, actor)
    from_city = [(code, name) for code, name in places]
place_names = dict(from_city)
by_id = {o.id: o for o in tree}

st.dataframe(
    pd.DataFrame(
        [{"工会": "　" * (o.path.count("/") - 2) + o.name, "类型": ORG_KIND[o.kind],
          "所在区县": place_names.get(o.place_code, "秦皇岛市"), "状态": "启用" if o.active else "停用"} for o in tree]
    ),
    hide_index=True, width="stretch", height=320,
)

tab_new, tab_edit = st.tabs(["新增工会", "修改工会"])
parents = [o.id for o in tree if o.active and org_service.CHILD_KINDS[o.kind]]

with tab_new:
    FORM = "org_new"

    def _create():
        s = st.session_state
        with store.transaction() as session:
            org = org_service.create_org(session, actor, name=s.org_name, kind=s.org_kind, parent_id=s.org_parent, place_code=s.org_place)
        return f"已新增 {org.name}。"

    form_notice(FORM)
    with st.form(FORM):
        st.selectbox("上级工会", parents, format_func=lambda i: by_id[i].name, placeholder="请选择", key="org_parent")
        field_error(FORM, "parent_id")
        st.selectbox("类型", [k for k in ORG_KIND if k != "city"], format_func=ORG_KIND.get, placeholder="请选择", key="org_kind",
                     help="市总工会下设区县工会、产业工会；区县工会和产业工会下设基层工会")
        field_error(FORM, "kind")
        st.text_input("工会名称", key="org_name")
        field_error(FORM, "name")
        st.selectbox("所在区县", list(place_names), format_func=place_names.get, placeholder="请选择", key="org_place")
        field_error(FORM, "place_code")
        st.form_submit_button("新增", type="primary", on_click=submit, args=(FORM, _create), kwargs={"clear": ("org_name",)})

with tab_edit:
    FORM = "org_edit"
    form_notice(FORM)
    chosen = st.selectbox("选择工会", [o.id for o in tree], format_func=lambda i: by_id[i].name, placeholder="请选择", key="org_edit_id")
    org = by_id[chosen]
    prefix = f"org_{org.id}_{org.version}"

    def _update(org_id=org.id, version=org.version, prefix=prefix):
        s = st.session_state
        with store.transaction() as session:
            changed = org_service.update_org(session, actor, org_id, expected_version=version, name=s[f"{prefix}_name"],
                                             place_code=s[f"{prefix}_place"], active=s[f"{prefix}_active"])
        return "已保存。" if changed else "没有需要保存的修改。"

    codes_ = list(place_names) if org.parent_id else [org.place_code]
    with st.form(FORM):
        st.text_input("工会名称", value=org.name, key=f"{prefix}_name")
        field_error(FORM, "name")
        st.selectbox("所在区县", codes_, index=codes_.index(org.place_code) if org.place_code in codes_ else 0,
                     format_func=lambda c: place_names.get(c, "秦皇岛市"), placeholder="请选择", key=f"{prefix}_place")
        field_error(FORM, "place_code")
        st.checkbox("启用", value=org.active, key=f"{prefix}_active")
        field_error(FORM, "active")
        st.form_submit_button("保存修改", type="primary", on_click=submit, args=(FORM, _update))
