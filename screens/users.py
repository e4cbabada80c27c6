"""用户管理: create users, change role and scope, reset passwords, deactivate, end logins (administrators only)."""

import streamlit as st

from core.codes import ROLE
from db import queries, users
from ui import store
from ui.forms import field_error, form_notice, submit
from ui.markdown import escape_markdown
from ui.session import require_role

actor = require_role("admin")
st.title("用户管理")

with store.reading() as session:
    all_users = users.list_users(session, actor)
    orgs = queries.org_choices(session)
org_ids = [o for o, _ in orgs]
org_names = dict(orgs)

st.dataframe(queries.users_table(all_users), hide_index=True, width="stretch")

tab_new, tab_edit, tab_password, tab_out = st.tabs(["新建用户", "修改用户", "重置密码", "结束登录"])

with tab_new:
    FORM = "user_new"

    def _create():
        s = st.session_state
        with store.transaction() as session:
            user = users.create_user(
                session, actor, username=s.new_username, display_name=s.new_display_name, password=s.new_password,
                password_repeat=s.new_password_repeat, role=s.new_role, org_id=s.new_org,
            )
        return f"已创建用户 {user.username}。"

    form_notice(FORM)
    with st.form(FORM):
        st.text_input("用户名", key="new_username", help="3–32 位字母、数字或 _ . -，登录时使用，不区分大小写（保存为小写）")
        field_error(FORM, "username")
        st.text_input("姓名", key="new_display_name")
        field_error(FORM, "display_name")
        st.selectbox("角色", ["staff", "viewer", "analyst", "admin"], format_func=ROLE.get, placeholder="请选择", key="new_role",
                     help="管理员必须属于市总工会；业务人员只能查看和录入本工会及下级工会的档案")
        field_error(FORM, "role")
        st.selectbox("所属工会", org_ids, index=1 if len(org_ids) > 1 else 0, format_func=org_names.get, placeholder="请选择", key="new_org")
        field_error(FORM, "org_id")
        st.text_input("初始密码", type="password", key="new_password", help="至少 8 位，最多 72 个字节（约 24 个汉字）")
        field_error(FORM, "password")
        st.text_input("再次输入密码", type="password", key="new_password_repeat")
        field_error(FORM, "password_repeat")
        st.form_submit_button(
            "创建用户", type="primary",
            on_click=submit, args=(FORM, _create),
            kwargs={"clear": ("new_username", "new_display_name", "new_password", "new_password_repeat")},
        )

by_name = {u.username: u for u in all_users}

with tab_edit:
    FORM = "user_edit"
    form_notice(FORM)
    chosen = st.selectbox("选择用户", list(by_name), format_func=lambda n: f"{n}（{by_name[n].display_name}）", placeholder="请选择", key="edit_user")
    user = by_name[chosen]
    # the form's fields follow the chosen user; its version travels with the form
    prefix = f"edit_{user.id}_{user.version}"

    def _update(user_id=user.id, version=user.version, prefix=prefix):
        s = st.session_state
        with store.transaction() as session:
            changed = users.update_user(
                session, actor, user_id, expected_version=version, display_name=s[f"{prefix}_name"],
                role=s[f"{prefix}_role"], org_id=s[f"{prefix}_org"], active=s[f"{prefix}_active"],
            )
        return f"已保存 {by_name[chosen].username}：" + "、".join(users.FIELD_LABELS[f] for f in changed) if changed else "没有需要保存的修改。"

    with st.form(FORM):
        st.text_input("姓名", value=user.display_name, key=f"{prefix}_name")
        field_error(FORM, "display_name")
        st.selectbox("角色", list(ROLE), index=list(ROLE).index(user.role), format_func=ROLE.get, placeholder="请选择", key=f"{prefix}_role")
        field_error(FORM, "role")
        st.selectbox("所属工会", org_ids, index=org_ids.index(user.org_id) if user.org_id in org_ids else 0,
                     format_func=org_names.get, placeholder="请选择", key=f"{prefix}_org")
        field_error(FORM, "org_id")
        st.checkbox("启用（停用后不能登录，已登录的会话也会退出）", value=user.active, key=f"{prefix}_active")
        field_error(FORM, "active")
        st.markdown(f"将修改用户 **{escape_markdown(user.username)}**（{escape_markdown(user.display_name)}）")  # whom the button changes
        st.form_submit_button("保存修改", type="primary", on_click=submit, args=(FORM, _update))

with tab_password:
    FORM = "user_password"
    form_notice(FORM)
    chosen_pw = st.selectbox("选择用户", list(by_name), format_func=lambda n: f"{n}（{by_name[n].display_name}）", placeholder="请选择", key="pw_user")
    target = by_name[chosen_pw]

    def _reset(user_id=target.id, version=target.version, username=target.username):
        s = st.session_state
        with store.transaction() as session:
            users.reset_password(session, actor, user_id, expected_version=version, password=s.pw_new, password_repeat=s.pw_repeat)
        return f"已重置 {username} 的密码，请通知本人登录后使用新密码。"

    with st.form(FORM):
        st.text_input("新密码", type="password", key="pw_new", help="至少 8 位，最多 72 个字节（约 24 个汉字）")
        field_error(FORM, "password")
        st.text_input("再次输入新密码", type="password", key="pw_repeat")
        field_error(FORM, "password_repeat")
        st.markdown(f"将重置用户 **{escape_markdown(target.username)}**（{escape_markdown(target.display_name)}）的密码")
        st.form_submit_button("重置密码", type="primary", on_click=submit, args=(FORM, _reset), kwargs={"clear": ("pw_new", "pw_repeat")})

with tab_out:
    FORM = "user_logout_all"
    form_notice(FORM)
    chosen_out = st.selectbox("选择用户", list(by_name), format_func=lambda n: f"{n}（{by_name[n].display_name}）", placeholder="请选择", key="out_user")
    leaving = by_name[chosen_out]

    def _logout_all():
        target = by_name[st.session_state.out_user]  # the user chosen when the button was pressed
        with store.transaction() as session:
            ended = users.logout_everywhere(session, actor, target.id)
        return f"已结束 {target.username} 的全部登录（{ended} 个）。本人需重新登录。"

    with st.form(FORM):
        st.caption("用户的电脑或浏览器丢失、借用后未退出，或怀疑登录被他人使用时，可结束其在所有浏览器上的登录。"
                   "重置密码和停用账号时，系统也会自动结束该用户的全部登录。")
        st.markdown(f"将结束用户 **{escape_markdown(leaving.username)}**（{escape_markdown(leaving.display_name)}）的全部登录")
        st.form_submit_button("结束全部登录", type="primary", on_click=submit, args=(FORM, _logout_all))
