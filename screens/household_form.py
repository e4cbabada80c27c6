"""新建/编辑档案: the whole file on one form — head, members, causes, exclusions.

The form keeps what was typed when a save is refused, and shows each message under its field.
A file's values are loaded into the widgets once per (file, version), so a refused save never
throws the user's input away; a refused save because someone else saved first lists what changed.
"""

import datetime as dt

import pandas as pd
import streamlit as st

from core import codes
from db import file_access
from db import households as hh_service
from db import queries
from db.errors import Conflict, NotFound, ServiceError, ValidationError
from ui import household_editor as ed
from ui import store
from ui.session import require_role
from ui.markdown import escape_linking_file_numbers, escape_markdown

actor = require_role("admin", "staff")
today = dt.date.today()
file_no = st.query_params.get("file")
ERRORS = "hf_errors"

household = None
with store.reading() as session:
    if file_no:
        try:
            household = file_access.get_household(session, actor, file_no=file_no)
        except NotFound as exc:
            st.error(escape_markdown(exc))
            st.stop()
        if household.status not in hh_service.OPEN_STATUSES:
            st.info("已关闭的档案不能修改；如情况有变，请在“一户一档”中办理返困。")
            st.page_link("screens/household.py", label=f"打开档案 {escape_markdown(household.file_no)}", query_params={"file": household.file_no})
            st.stop()
        file_access.load_children(household)  # members and causes, while the session is open
        checks = {e.exclusion: e for e in hh_service.exclusions_of(session, actor, household.id)}
        loaded_snapshot = hh_service.snapshot(household)
    else:
        checks = {}
        loaded_snapshot = None
    unions = dict(queries.orgs_in_scope(session, actor))

marker = file_no or "new"
# Fill the widgets from the store only when another file is opened, when the user asks for the latest
# version, or when Streamlit has dropped the widgets (the user left the page). Never because the stored
# version moved on: then the user's typing must reach the save, which reports the conflict.
if st.session_state.get("hf_marker") != marker or ed.key("name") not in st.session_state:
    st.session_state.update(ed.initial_values(household, today))
    st.session_state["hf_tables"] = (ed.member_frame(household), ed.exclusion_frame(checks, today))
    st.session_state["hf_loaded"] = (household.id if household else None, household.version if household else None, loaded_snapshot)
    st.session_state["hf_marker"] = marker
    st.session_state[ERRORS] = {}
    for name in ("hf_members", "hf_exclusions"):
        st.session_state.pop(name, None)

errors: dict[str, str] = st.session_state.get(ERRORS, {})


def err(field: str) -> None:
    if field in errors:
        st.error(escape_linking_file_numbers(errors[field]), icon=":material/error:")


if household:
    st.title(f"修改档案 {escape_markdown(household.file_no)}")
    st.caption(f"{escape_markdown(household.name)} · {codes.HOUSEHOLD_STATUS[household.status]} · {escape_markdown(household.org.name)}")
else:
    st.title("新建档案")
    st.caption("带 * 的为必填项。出生日期和性别可不填，按身份证号自动生成；填写了则与身份证号核对。")

conflict = st.session_state.pop("hf_conflict", None)
if conflict:
    message, changes = conflict
    st.warning(escape_markdown(message), icon=":material/sync_problem:")
    if changes:
        st.dataframe(pd.DataFrame(changes, columns=["项目", "您打开时", "现在"]), hide_index=True, width="stretch")
    if st.button("放弃我的修改，载入最新内容", key="hf_reload"):
        st.session_state.pop("hf_marker", None)
        st.rerun()
if errors:
    st.error(f"未保存：有 {len(errors)} 处需要修改，见下方标红的提示。", icon=":material/error:")

member_initial, exclusion_initial = st.session_state["hf_tables"]


def select(column, field, label, code_list, required=False):
    options = list(code_list) if required else [None, *code_list]
    column.selectbox(label, options, format_func=lambda c: "（未填）" if c is None else code_list[c], key=ed.key(field),
                     placeholder="（未填）")
    with column:
        err(field)


with st.form("household_form", enter_to_submit=False):
    st.subheader("户主")
    c1, c2, c3, c4 = st.columns(4)
    c1.text_input("户主姓名 *", key=ed.key("name"))
    with c1:
        err("name")
    c2.text_input("身份证号 *", key=ed.key("id_number"), help="18位；旧式15位号码会自动转换为18位")
    with c2:
        err("id_number")
    c3.selectbox("性别", [None, *codes.SEX], format_func=lambda c: "按身份证号" if c is None else codes.SEX[c], key=ed.key("sex"),
                 placeholder="按身份证号")
    with c3:
        err("sex")
    c4.text_input("出生日期", key=ed.key("birth_date"), placeholder="YYYY-MM-DD，可不填")
    with c4:
        err("birth_date")
    cols = st.columns(4)
    for i, (field, label, code_list, _default) in enumerate(ed.SELECTS[:10]):
        select(cols[i % 4], field, label, code_list)

    st.subheader("联系方式、单位与住房")
    cols = st.columns(4)
    for i, field in enumerate(("mobile", "worker_no", "employer", "employer_uscc", "address", "hukou_division", "floor_area", "bank_name", "bank_account")):
        label = dict(ed.TEXTS)[field]
        cols[i % 4].text_input(label, key=ed.key(field))
        with cols[i % 4]:
            err(field)
    for i, (field, label, code_list, _default) in enumerate(ed.SELECTS[10:13]):
        select(cols[(i + 1) % 4], field, label, code_list)

    st.subheader("帮扶认定")
    st.caption("纳入政府救助体系（低保、特困供养、临时救助等）按项目登记起止日期：保存后在档案页“救助记录”中录入。")
    c1, c2, c3 = st.columns(3)
    select(c1, "key_group", "五类重点群体", codes.KEY_GROUP)
    for column, (field, label) in zip((c3, c2), ed.DATES[::-1], strict=True):
        column.date_input(label, key=ed.key(field), min_value=dt.date(1950, 1, 1), max_value=today, format="YYYY-MM-DD")
        with column:
            err(field)
    cols = st.columns(len(ed.CHECKS))
    for column, (field, label) in zip(cols, ed.CHECKS, strict=True):
        column.checkbox(label, key=ed.key(field), help=ed.CHECK_HELP.get(field))

    if not household:
        c1, c2 = st.columns(2)
        c1.selectbox("所属工会 *", list(unions), format_func=unions.get, key=ed.key("org_id"), placeholder="（请选择）")
        with c1:
            err("org_id")
        c2.date_input("申请日期", key=ed.key("applied_on"), max_value=today, format="YYYY-MM-DD")
        with c2:
            err("applied_on")

    st.subheader("家庭成员")
    members = st.data_editor(
        member_initial, key="hf_members", num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "id": None,
            "姓名": st.column_config.TextColumn("姓名", width="small", default=""),
            "关系": st.column_config.SelectboxColumn("关系", options=list(codes.RELATION.values()), required=True, width="small"),
            "身份证号": st.column_config.TextColumn("身份证号", width="medium", max_chars=18, default=""),
            "健康状况": st.column_config.SelectboxColumn("健康状况", options=list(codes.HEALTH.values()), width="small"),
            "身份": st.column_config.SelectboxColumn("身份", options=list(codes.MEMBER_IDENTITY.values()), width="small"),
            "月收入(元)": st.column_config.NumberColumn("月收入(元)", min_value=0, format="%.2f", default=0.0, width="small"),
            "有劳动能力": st.column_config.CheckboxColumn("有劳动能力", default=False, width="small"),
            "医保状况": st.column_config.SelectboxColumn("医保状况", options=list(codes.MEDICAL_INSURANCE.values()), width="small"),
            "单位或学校": st.column_config.TextColumn("单位或学校", default=""),
        },
    )
    for field, message in errors.items():
        if field.startswith("members."):
            st.error(escape_linking_file_numbers(message), icon=":material/error:")

    st.subheader("致困原因")
    c1, c2 = st.columns([1, 2])
    c1.selectbox("主要致困原因 *", [None, *codes.CAUSE], format_func=lambda c: "（请选择）" if c is None else codes.CAUSE[c], key=ed.key("main_cause"),
                 placeholder="（请选择）")
    c2.multiselect("次要致困原因（最多3个）", list(codes.CAUSE), format_func=codes.CAUSE.get, max_selections=codes.MAX_SECONDARY_CAUSES,
                   key=ed.key("secondary_causes"), placeholder="可不选，最多选3个")
    err("causes")
    if household and household.causes:
        st.caption("致困原因消除后，填写消除日期（脱困须全部原因消除）。")
        cols = st.columns(4)
        for i, cause in enumerate(sorted(household.causes, key=lambda c: not c.is_main)):
            cols[i % 4].date_input(f"{codes.CAUSE[cause.cause]} 消除日期", key=ed.removed_key(cause.cause),
                                   min_value=dt.date(1990, 1, 1), max_value=today, format="YYYY-MM-DD")
    for field, message in errors.items():
        if field.startswith("causes."):
            st.error(escape_markdown(message), icon=":material/error:")

    st.subheader("排除情形核查")
    st.caption("核查后填写来源（如入户调查、不动产登记查询）；" + ("导入的历史档案补齐四项核查后即移出“待补核查”。"
               if household is not None and household.historical_import else "四项都核查后才能在档。") + "未填来源的视为尚未核查。")
    exclusions = st.data_editor(
        exclusion_initial, key="hf_exclusions", num_rows="fixed", hide_index=True, width="stretch",
        disabled=["排除情形"], column_config={"code": None, "核查日期": st.column_config.DateColumn("核查日期", format="YYYY-MM-DD")},
    )
    for field, message in errors.items():
        if field.startswith("exclusions."):
            st.error(escape_markdown(message), icon=":material/error:")

    if household:
        st.text_input("修改原因（可选，记入操作日志）", key=ed.key("reason"))
        err("reason")
    submitted = st.form_submit_button("保存档案", type="primary", icon=":material/save:")

if submitted:
    raw = ed.raw_from_widgets(st.session_state, members, exclusions)
    household_id, version, snapshot = st.session_state["hf_loaded"]
    try:
        with store.transaction() as session:
            if household_id is None:
                saved = hh_service.create_household(session, actor, org_id=st.session_state.get(ed.key("org_id")), raw=raw,
                                                    applied_on=st.session_state.get(ed.key("applied_on")), today=today)
                notice = f"已新建档案 {saved.file_no}（申请中）。下一步：录入月收入，办理入户调查、公示和审核。"
            else:
                changed = hh_service.update_household(session, actor, household_id, expected_version=version, loaded=snapshot, raw=raw,
                                                      reason=st.session_state.get(ed.key("reason")) or None, today=today)
                saved = file_access.get_household(session, actor, household_id=household_id)
                notice = "已保存。" if changed else "没有需要保存的修改。"
    except ValidationError as exc:
        st.session_state[ERRORS] = exc.errors
        st.rerun()
    except Conflict as exc:
        st.session_state[ERRORS] = {}
        st.session_state["hf_conflict"] = (str(exc), exc.changes)
        st.rerun()
    except ServiceError as exc:
        st.error(escape_markdown(exc))
        st.stop()
    st.session_state[ERRORS] = {}
    st.session_state.pop("hf_marker", None)
    st.session_state["hv_notice"] = notice
    st.switch_page("screens/household.py", query_params={"file": saved.file_no})
