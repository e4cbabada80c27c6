"""初始设置: first run only — create the first administrator and, if wanted, load demo data."""

import streamlit as st

from db import users
from db.errors import ServiceError, ValidationError
from ui import store
from ui.forms import field_error, set_errors
from ui.markdown import escape_markdown

FORM = "setup"
st.title("初始设置")
st.info("系统中还没有任何用户。请先创建第一个管理员账号（市总工会），之后用它登录并创建其他用户。")

with st.form(FORM):
    username = st.text_input("管理员用户名", key="setup_username", help="3–32 位字母、数字或 _ . -，不区分大小写（保存为小写）")
    field_error(FORM, "username")
    display_name = st.text_input("姓名", key="setup_display_name")
    field_error(FORM, "display_name")
    password = st.text_input("密码", type="password", key="setup_password", help="至少 8 位，最多 72 个字节（约 24 个汉字）")
    field_error(FORM, "password")
    repeat = st.text_input("再次输入密码", type="password", key="setup_password_repeat")
    field_error(FORM, "password_repeat")
    load_demo = st.checkbox("同时载入示例数据（虚构的秦皇岛数据，用于试用和培训）", value=True, key="setup_demo")
    demo_size = st.number_input("示例档案户数", min_value=50, max_value=20000, value=3500, step=50, key="setup_demo_size")
    submitted = st.form_submit_button("创建管理员", type="primary")

if submitted:
    set_errors(FORM, {})
    try:
        with store.transaction() as session:
            users.create_first_admin(session, username=username, display_name=display_name, password=password, password_repeat=repeat)
    except ValidationError as exc:
        set_errors(FORM, exc.errors)
        st.rerun()
    except ServiceError as exc:
        st.error(escape_markdown(exc))
        st.stop()
    if load_demo:
        from demo import load_demo

        bar = st.progress(0.0, text="正在载入示例数据……")
        try:
            summary = load_demo(store.engine(), households=int(demo_size), progress=lambda f, text: bar.progress(min(f, 1.0), text=text))
            bar.empty()
            st.success(f"已载入示例数据：{summary['households']} 户档案。低保标准等均为虚构的示例数据，正式使用前请由管理员录入真实标准。")
        except ServiceError as exc:
            bar.empty()
            st.warning(f"管理员已创建，但示例数据未载入：{escape_markdown(exc)}")
    st.success("管理员已创建。请用刚才的用户名和密码登录。")
    st.button("前往登录", type="primary", key="setup_to_login")
