"""政策模拟: try dated overrides of the policy parameters on the real files and compare, side by side, what the baseline
and the scenario would give (both simulated on the same files and months). Scenarios are saved by name and opened by
link (?scenario=<hash>); an administrator may adopt one as the real parameters. A scenario never changes them."""

import datetime as dt
import json

import pandas as pd
import streamlit as st

from core import scenario
from core.parameters import value_on
from db import queries, scenarios
from db import policy_lab as lab
from db.errors import NotFound, OutOfScope, ServiceError, ValidationError
from ui import lab_cache, lab_editor, lab_view, store
from ui.markdown import escape_markdown
from ui.affected import show_outcome
from ui.session import require_role

actor = require_role(*lab.LAB_ROLES)
author = actor.role in lab.AUTHOR_ROLES  # staff only open a shared link
today = dt.date.today()
last_month_end = lab.default_as_of(today)
OPENED, SCENARIO, MISSING, OUTCOME = "lab_opened", "lab_scenario", "lab_missing", "lab_outcome"
AS_OF = "lab_as_of"  # (year, month) of the comparison

st.title("政策模拟")
st.caption("在真实档案上试算参数调整：同一批档案、同一批月份，分别按基线参数和方案参数模拟每户首次符合脱困、解困条件的月份"
           "（假定当月确认），并列比较。方案只用于试算，不会改动正式的低保标准和政策参数。")


def _summary(row) -> dict:
    """What the page keeps of a stored scenario (plain values: the session that read it closes)."""
    return {"hash": row.hash, "name": row.name, "author_id": row.author_id, "created_at": row.created_at,
            "version": row.version, "overrides": scenario.parse(json.loads(row.overrides))}


version = lab_cache.version(actor)
with store.reading() as session:
    places = dict(queries.places_in_scope(session, actor))
    saved = [_summary(row) for row in scenarios.list_for(session, actor)] if author else []
    latest_income = queries.latest_income_month(session, actor)
if latest_income is not None:  # by default, the last month with incomes in the scope (the demo's end in 2020, say)
    last_month_end = min(last_month_end, lab.month_end(latest_income.year, latest_income.month))
place_codes = {name: code for code, name in places.items()}

# --- the scenario the URL names (a link from a meeting note), opened once per change of the link -----------------
wanted = st.query_params.get("scenario") or ""
if wanted != st.session_state.get(OPENED, "") or SCENARIO not in st.session_state:
    opened = None
    if wanted:
        try:
            with store.reading() as session:
                opened = _summary(scenarios.get(session, actor, wanted))
        except (NotFound, OutOfScope, scenario.ScenarioInvalid):
            opened = None
    st.session_state[OPENED] = wanted
    st.session_state[SCENARIO] = opened
    st.session_state[MISSING] = bool(wanted) and opened is None
    as_of_text = st.query_params.get("as_of", "")
    if len(as_of_text) == 7 and as_of_text[:4].isdigit() and as_of_text[5:].isdigit() and 1 <= int(as_of_text[5:]) <= 12:
        st.session_state[AS_OF] = (int(as_of_text[:4]), int(as_of_text[5:]))
    as_of_year = st.session_state.get(AS_OF, (last_month_end.year,))[0]
    lab_editor.load(lab_editor.to_rows(opened["overrides"] if opened else (), places), dt.date(as_of_year, 1, 1))
opened = st.session_state[SCENARIO]
if st.session_state[MISSING]:
    st.warning(f"找不到方案“{escape_markdown(wanted)}”，或您无权查看。请核对链接，或向分享者索取。", icon=":material/link_off:")
if not author and opened is None:
    st.info("请打开同事分享的方案链接查看对比。业务人员可查看方案，不能新建或修改。")
    st.stop()

# the real lines and parameters as the lab holds them for this data version (read once, not on every rerun)
baseline = lab_cache.loaded(actor, version, today).baseline
# districts a line may be set for (named in messages): every district with a line, and those of the actor's scope
known_places = {**{code: code for code in baseline.lines["place_code"]}, **places}

def _open(picked_hash: str | None) -> None:
    if picked_hash:
        st.query_params["scenario"] = picked_hash
    else:
        st.query_params.pop("scenario", None)


def _picked() -> None:
    _open(st.session_state.get(lab_editor.widget_key("pick")))


def _as_of_changed() -> None:
    st.session_state[AS_OF] = (st.session_state[lab_editor.widget_key("year")], st.session_state[lab_editor.widget_key("month")])
    if "scenario" in st.query_params:
        st.query_params["as_of"] = "{}-{:02d}".format(*st.session_state[AS_OF])


c1, c2, c3 = st.columns([3, 1, 1])
if author:
    choices = {s["hash"]: s for s in saved}
    if opened and opened["hash"] not in choices:
        choices[opened["hash"]] = opened
    options = ["", *choices]
    c1.selectbox("方案", options, index=options.index(opened["hash"]) if opened else 0, key=lab_editor.widget_key("pick"),
                 on_change=_picked, format_func=lambda h: "新方案（未保存）" if not h else
                 f"{choices[h]['name']}（{choices[h]['created_at']:%Y-%m-%d}）")
else:
    c1.markdown(f"**方案：** {escape_markdown(opened['name'])}")
years = list(range(2018, max(today.year, 2018) + 1))
year, month = st.session_state.setdefault(AS_OF, (last_month_end.year, last_month_end.month))
year = year if year in years else years[-1]
c2.selectbox("截至年份", years, index=years.index(year), key=lab_editor.widget_key("year"), format_func=lambda y: f"{y}年",
             on_change=_as_of_changed)
c3.selectbox("截至月份", list(range(1, 13)), index=month - 1, key=lab_editor.widget_key("month"), format_func=lambda m: f"{m}月",
             on_change=_as_of_changed)
as_of = lab.month_end(year, month)
st.caption(f"按截至 {as_of:%Y年%m月%d日} 比较：当月的可脱困、可解困，以及此前各月模拟的累计完成。")

try:
    base_n = value_on(baseline.params.get("exit_run_months", []), "exit_run_months", as_of)
except LookupError:
    base_n = 6

# --- the overrides ------------------------------------------------------------------------------------------------
if author:
    st.subheader("方案设置")
    st.markdown("**快速试算**")
    lab_editor.quick_panel(base_n, dt.date(as_of.year, 1, 1))
    st.markdown("**逐条设置**（每行一项调整；可增删行）")
    edited = lab_editor.grid(list(places.values()))
    st.caption("低保标准倍数 / 增减：在基线标准上×倍数或±金额，期间内基线标准的调整照常生效，按同一倍数/金额调整；"
               "截止日期留空为长期，截止日次日起恢复基线。其他参数在期间内取方案值。"
               "同一参数（低保标准为同一区县）期间重叠时，以表中靠后的行为准。"
               "区县仅用于低保标准行，留空为全部区县。月中生效的低保标准自次月起适用（与正式标准相同）。")
else:
    edited = st.session_state[lab_editor.ROWS]
    st.markdown("**方案的调整**")
    if edited.empty:
        st.caption("此方案没有调整（与基线相同）。")
    else:
        st.dataframe(edited, hide_index=True, width="stretch")

# what the last save, rename, deletion or adoption did, beside the controls that did it
show_outcome(st.session_state.pop(OUTCOME, None), "此次采用")

data, grid_rows = lab_editor.to_data(edited, place_codes)
try:
    overrides = scenario.parse(data)
    scenario.validate(overrides, baseline, known_places, today)
except scenario.ScenarioInvalid as exc:
    st.error("方案有误，请修改后自动重新计算：\n\n" + "\n".join(f"- {escape_markdown(line)}"
                                                 for line in lab_editor.messages(exc.errors, grid_rows)),
             icon=":material/error:")
    st.stop()

scenario_hash = scenario.content_hash(overrides)
unsaved = opened is None or opened["hash"] != scenario_hash


def _link(hash_: str) -> str:
    base = st.context.url or "policy-lab"
    return f"{base}?scenario={hash_}&as_of={as_of:%Y-%m}"


# --- saving, renaming, deleting, adopting -------------------------------------------------------------------------
def _done(text: str, affected=()) -> None:
    st.session_state[OUTCOME] = ("ok", text, list(affected))


def _failed(exc: ServiceError) -> None:
    text = "；".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc)
    st.session_state[OUTCOME] = ("error", text, [])


if author and unsaved and overrides:
    with st.form("lab_save_form"):
        s1, s2 = st.columns([3, 1], vertical_alignment="bottom")
        name = s1.text_input("方案名称", key="lab_name", placeholder="如：低保标准1.2倍、连续3个月（2019年起）")
        label = "另存为新方案" if opened else "保存方案"
        submitted = s2.form_submit_button(label, type="primary", icon=":material/save:")
    if submitted:
        try:
            with store.transaction() as session:
                row = (scenarios.copy(session, actor, opened["hash"], name, overrides) if opened
                       else scenarios.create(session, actor, name, overrides))
                created = _summary(row)
        except ServiceError as exc:  # under the form, which keeps the name typed
            st.error(escape_markdown("未保存：" + ("；".join(exc.errors.values()) if isinstance(exc, ValidationError) else str(exc))))
        else:
            # the grid already shows this scenario: mark it opened without reloading the grid
            st.session_state[OPENED] = created["hash"]
            st.session_state[SCENARIO] = created
            st.session_state[MISSING] = False
            lab_editor.new_view()  # the picker names the saved scenario
            st.query_params["scenario"] = created["hash"]
            st.query_params["as_of"] = f"{as_of:%Y-%m}"
            _done(f"已保存方案“{created['name']}”。复制下方链接即可分享。")
            st.rerun()
elif unsaved and opened:
    st.caption("已修改，对比按修改后的设置计算（尚未保存）。")

if opened and not unsaved:
    st.markdown(f"**方案“{escape_markdown(opened['name'])}”的链接**（可复制到会议记录；打开时显示同一对比）")
    st.code(_link(opened["hash"]), language=None)
    mine = opened["author_id"] == actor.user_id
    if mine or actor.role == "admin":
        manage = st.columns(3 if actor.role == "admin" else 2)
        if mine:
            with manage[0].popover("重命名", icon=":material/edit:"):
                new_name = st.text_input("新名称", value=opened["name"], key="lab_rename")
                if st.button("确定重命名", key="lab_rename_go"):
                    try:
                        with store.transaction() as session:
                            scenarios.rename(session, actor, opened["hash"], new_name, opened["version"])
                            renamed = _summary(scenarios.get(session, actor, opened["hash"]))
                    except ServiceError as exc:
                        _failed(exc)
                    else:
                        st.session_state[SCENARIO] = renamed
                        _done(f"已重命名为“{renamed['name']}”。")
                    st.rerun()
            with manage[1].popover("删除", icon=":material/delete:"):
                sure = st.checkbox("确认删除此方案（链接将失效）", key="lab_delete_sure")
                if st.button("删除方案", key="lab_delete_go", disabled=not sure):
                    try:
                        with store.transaction() as session:
                            scenarios.delete(session, actor, opened["hash"], opened["version"])
                    except ServiceError as exc:
                        _failed(exc)
                    else:
                        st.query_params.pop("scenario", None)
                        st.query_params.pop("as_of", None)
                        _done(f"已删除方案“{opened['name']}”。")
                    st.rerun()
        with store.reading() as session:
            adopted = scenarios.adopted_on(session, opened["hash"]) if actor.role == "admin" else None
        if adopted is not None:
            manage[-1].caption(f"已于 {adopted:%Y-%m-%d %H:%M} 采用为正式参数（不能重复采用）")
        elif actor.role == "admin":
            with manage[-1].popover("采用此方案", icon=":material/gavel:"):
                st.warning("采用后，方案的各项调整将作为正式的低保标准和政策参数写入（全部写入或全部不写入，记入操作日志），"
                           "影响今后的评估和进度看板。已确认的脱困、解困不会改动，但会列出可能受影响的档案。")
                sure = st.checkbox("我已核对，确认采用", key="lab_adopt_sure")
                if st.button("确认采用", key="lab_adopt_go", type="primary", disabled=not sure):
                    try:
                        with store.transaction() as session:
                            counts, affected = scenarios.adopt(session, actor, opened["hash"], today)
                    except ServiceError as exc:
                        _failed(exc)
                    else:
                        summary = "，".join(f"{k} {v} 行" for k, v in counts.items()) if isinstance(counts, dict) else str(counts)
                        _done(f"已采用方案“{opened['name']}”：{summary}", affected)
                    st.rerun()
elif opened is None and author and not overrides:
    st.caption("尚未设置调整：下方对比中方案与基线相同。拖动滑块或在表格中添加一行即开始试算。")

# --- the comparison, recomputed at once from the grid as it stands --------------------------------------------------
st.divider()
try:
    comparison = lab_cache.comparison(actor, version, today, overrides, as_of)
except LookupError as exc:  # e.g. a month with no 低保 line in force
    st.warning(f"无法计算对比：{escape_markdown(exc)}")
    st.stop()
if comparison.headline["households"] == 0:
    st.info("范围内没有可模拟的档案。")
    st.stop()
st.subheader(f"对比：基线 与 {'方案“' + escape_markdown(opened['name']) + '”' if opened and not unsaved else '当前设置'}")
named = opened is not None and not unsaved
settings = [("方案", opened["name"] if named else "未保存的设置"), ("链接", _link(opened["hash"]) if named else ""),
            ("截至日期", f"{as_of:%Y-%m-%d}")]
settings += [(f"调整 {i}", scenario.describe(o, places)) for i, o in enumerate(overrides, start=1)] or [("调整", "无（与基线相同）")]
lab_view.show(comparison, actor, lab_view.file_title(opened["name"]) if named else f"政策模拟_{as_of:%Y%m}",
              pd.DataFrame(settings, columns=["项目", "内容"]))
