"""进度看板 (and 会议模式): each district against the 2018/2019/2020 targets, and the files behind them."""

import datetime as dt
import io

import altair as alt
import pandas as pd
import streamlit as st

from core import codes, progress, workbook
from db import exporter
from db import dashboard as source
from ui import charts, snapshot, store
from ui.progress_text import progress_caption
from ui.session import require_role
from ui.markdown import escape_markdown

actor = require_role()
today = dt.date.today()


def _tables(snap, actor, today, place, year, category, cause) -> dict:
    # from the scope's dashboard data, itself derived once per scope and stamps of its parts (ui.snapshot)
    data = snapshot.derived("dashboard", actor, source.PARTS, source.load_from, today)
    return source.tables(data, today, place, year, category, cause)


def _charts(snap, actor, today, place, year, category, cause, meeting) -> dict[str, tuple[charts.Spec, pd.DataFrame]]:
    """The page's charts as Vega-Lite specs with their data, by name: built once per scope, filters and save and shared
    by every session (building an Altair chart costs more than the page's other work on a warm run)."""
    t = snapshot.derived("dashboard_tables", actor, source.PARTS, _tables, today, place, year, category, cause)
    height = 260
    monthly = t["monthly"]
    line = alt.Chart(monthly).mark_line(color="#c0392b", strokeWidth=3).encode(
        x=alt.X("月份:T", title=None, axis=alt.Axis(format="%Y-%m", labelAngle=0)), y=alt.Y("累计完成%:Q", title="占基数 %", scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("月份:T", format="%Y-%m"), "累计完成%"])
    target = alt.Chart(t["target"]).mark_line(interpolate="step-before", strokeDash=[6, 4], color="#555").encode(x="月份:T", y="目标%:Q")
    districts = t["districts"]
    cohort_rows = districts[(districts["范围"] != progress.ALL) & districts["基数"].notna()]  # a district with only 新增 has no target
    if meeting:
        # every district against each year's cumulative target, on one screen
        yearly = cohort_rows.copy()
        yearly["年份"] = yearly["年份"].astype(str) + "年"
        by_year_bars = alt.Chart(yearly).mark_bar().encode(
            y=alt.Y("范围:N", title=None), yOffset=alt.YOffset("年份:N"),
            x=alt.X("累计完成%:Q", title="累计完成 %（黑色短线：当年累计目标）", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("年份:N", title=None, scale=alt.Scale(range=["#f5b7b1", "#e74c3c", "#922b21"]), legend=alt.Legend(orient="top")),
            tooltip=["范围:N", "年份:N", "累计完成%:Q", "累计目标%:Q", "差距户数:Q"])
        by_year_ticks = alt.Chart(yearly).mark_tick(color="#111", thickness=2, size=8).encode(
            y=alt.Y("范围:N"), yOffset=alt.YOffset("年份:N"), x="累计目标%:Q")
        return {"累计完成进度": (charts.spec((line + target).properties(height=330)), monthly),
                "各区县历年进度": (charts.spec((by_year_bars + by_year_ticks).properties(height=330)), yearly)}
    bars_data = cohort_rows[cohort_rows["年份"] == year][["范围", "累计完成%", "累计目标%", "基数", "累计完成户数", "差距户数"]]
    bars = alt.Chart(bars_data).mark_bar(color="#c0392b").encode(
        y=alt.Y("范围:N", title=None, sort="-x"), x=alt.X("累计完成%:Q", title=f"{year}年底累计完成 %（竖线：目标）", scale=alt.Scale(domain=[0, 100])),
        tooltip=["范围:N", "基数:Q", "累计完成户数:Q", "累计完成%:Q", "差距户数:Q"])
    ticks = alt.Chart(bars_data).mark_tick(color="#111", thickness=3, size=22).encode(y=alt.Y("范围:N", sort="-x"), x="累计目标%:Q")
    exits = t["exits"]
    exits_chart = alt.Chart(exits).mark_bar().encode(
        x=alt.X("月份:O", title=f"{year}年月份", axis=alt.Axis(labelAngle=0)), y=alt.Y("户数:Q", title="户数"),
        color=alt.Color("类别:N", title=None, scale=alt.Scale(range=["#c0392b", "#e67e22"])), tooltip=["月份:O", "类别:N", "户数:Q"],
    ).properties(title=f"{year}年每月解困脱困户数", height=240)
    paid = t["payments"]
    return {
        "累计完成进度": (charts.spec((line + target).properties(height=height)), monthly),
        f"各区县{year}年进度": (charts.spec((bars + ticks).properties(height=max(height, 28 * len(bars_data)))), bars_data),
        "按主要致困原因": (charts.spec(charts.hbar(t["by_cause"], "主要致困原因", "户数", "按主要致困原因")), t["by_cause"]),
        "按困难类别": (charts.spec(charts.hbar(t["by_category"], "困难类别", "户数", "按困难类别")), t["by_category"]),
        "按帮扶措施类别": (charts.spec(charts.hbar(t["by_track"], "措施类别", "措施数", "按帮扶措施类别")), t["by_track"]),
        f"{year}年每月解困脱困户数": (charts.spec(exits_chart), exits),
        f"{year}年资金发放": (charts.spec(charts.hbar(paid, "资金来源", "金额(元)", f"{year}年资金发放（按资金来源）", color="#2c7fb8")), paid),
    }


def tables(place, year, category, cause) -> dict:
    """The page's figures for these filters: computed once per scope and save, shared by every session (never modified)."""
    return snapshot.derived("dashboard_tables", actor, source.PARTS, _tables, today, place, year, category, cause)


options = snapshot.derived("dashboard_options", actor, ("files",), source.options_from, today)  # small: the filters' choices
years = options["years"]

head, switch = st.columns([4, 1], vertical_alignment="bottom")
meeting = switch.toggle("会议模式", key="db_meeting", help="大字号、只保留关键图表，适合投影")
head.title("解困脱困进度" if meeting else "进度看板")
scope = "全市" if actor.sees_everything else actor.org_name

with st.expander("筛选", expanded=not meeting):
    f1, f2, f3, f4 = st.columns(4)
    places = options["places"]
    place = f1.selectbox("区县", [None, *places], format_func=lambda p: "全部" if p is None else p, placeholder="请选择", key="db_place")
    default_year = min(max(today.year, years[0]), years[-1])
    year = f2.selectbox("年份", years, index=years.index(default_year), format_func=lambda y: f"{y}年", placeholder="请选择", key="db_year")
    category = f3.selectbox("困难类别", [None, *codes.CATEGORY], format_func=lambda c: "全部" if c is None else codes.CATEGORY[c], placeholder="请选择", key="db_category")
    cause = f4.selectbox("主要致困原因", [None, *codes.CAUSE], format_func=lambda c: "全部" if c is None else codes.CAUSE[c], placeholder="请选择", key="db_cause")

t = tables(place, year, category, cause)
row = t["city"][t["city"]["年份"] == year].iloc[0]
rate = row["完成率%"]
counts = t["counts"]
st.caption(f"{escape_markdown(scope)}{' · ' + place if place else ''} · 基数：{t['baseline']:%Y年%m月%d日}在档、{year}年底前未退出的 {int(row['基数']):,} 户 · "
           f"{year}年累计目标 {int(row['累计目标%'])}%（{int(row['累计目标户数']):,} 户） · 截至 {today:%Y年%m月%d日}")

kpis = [("在档", counts["active"]), ("已脱困", counts["exited"]), ("已解困", counts["relieved"]), ("已退出", counts["withdrawn"]),
        (f"{year}年目标完成率", "—" if pd.isna(rate) else f"{rate:.1f}%")]
if meeting:
    # a projector shows one screen: less space above the title, smaller headings
    st.html("<style>.block-container{padding-top:1.2rem !important} h1{font-size:2rem !important;padding:0 !important}</style>")
    cells = "".join(f"<div style='flex:1;text-align:center'><div style='font-size:1.2rem;color:#555'>{label}</div>"
                    f"<div style='font-size:2.8rem;font-weight:700;line-height:1.1'>{value if isinstance(value, str) else f'{value:,}'}</div></div>"
                    for label, value in kpis)
    st.html(f"<div style='display:flex;gap:1rem;margin:0 0 0.5rem'>{cells}</div>")
else:
    for column, (label, value) in zip(st.columns(len(kpis)), kpis, strict=True):
        column.metric(label, value if isinstance(value, str) else f"{value:,}")
    st.caption(progress_caption(t["apart"]))

figures = snapshot.derived("dashboard_charts", actor, source.PARTS, _charts, today, place, year, category, cause, meeting)
districts = t["districts"]


def show(name: str, *, downloads: bool = True) -> None:
    spec, data = figures[name]
    charts.show(spec, data, name, downloads=downloads)


if meeting:
    left, right = st.columns([2, 3])
    with left:
        st.markdown("**累计完成进度与目标**（虚线：目标）")
        show("累计完成进度", downloads=False)
    with right:
        st.markdown("**各区县历年累计完成与目标**")
        show("各区县历年进度", downloads=False)
    st.stop()

left, right = st.columns(2)
with left:
    st.markdown("**累计完成进度与目标**（实线：完成；虚线：目标）")
    show("累计完成进度")
with right:
    st.markdown(f"**各区县 {year} 年进度**")
    show(f"各区县{year}年进度")

st.markdown("**各区县分年度目标与完成**（基数：基线日在档、当年底前未退出的档案；右侧为基线后新增档案）")
st.dataframe(districts, hide_index=True, width="stretch", height=min(38 + 35 * len(districts), 420))

w1, w2 = st.columns(2)
with w1:
    st.markdown(f"**基线档案中已退出的**（{t['apart']['退出']:,} 户，自退出之日起不计入基数）")
    if t["withdrawn"].empty:
        st.caption("没有已退出的基线档案。")
    else:
        st.dataframe(t["withdrawn"], hide_index=True, width="stretch")
    st.caption(f"返困 {t['apart']['返困']:,} 户：计入基数，再次解困脱困前按未完成计（其中已再次解困脱困 "
               f"{t['apart']['返困后再次解困脱困']:,} 户）。")
with w2:
    st.markdown("**新增（基线后建档）分年度**（要求同步解困脱困，不另设比例）")
    st.dataframe(t["new"], hide_index=True, width="stretch")

c1, c2, c3 = st.columns(3)
with c1:
    show("按主要致困原因")
with c2:
    show("按困难类别")
with c3:
    show("按帮扶措施类别")

c4, c5 = st.columns(2)
with c4:
    show(f"{year}年每月解困脱困户数")
with c5:
    show(f"{year}年资金发放")



def _workbook(tables: dict) -> bytes:
    """Every table of the page as shown (these filters), one sheet each: built only when the download is asked for."""
    sheets = {"分年度目标与完成": tables["districts"], "基线档案退出原因": tables["withdrawn"], "新增分年度": tables["new"],
              "按致困原因": tables["by_cause"], "按困难类别": tables["by_category"],
              "按措施类别": tables["by_track"], "每月解困脱困": tables["exits"], "资金发放": tables["payments"]}
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for sheet, frame in sheets.items():
            # a union or district name stored with a control character is written visibly escaped, never an error
            frame.map(lambda v: workbook.xlsx_text(v) if isinstance(v, str) else v).to_excel(writer, sheet_name=sheet, index=False)
    return buffer.getvalue()


def _progress_table() -> bytes:
    """The 解困脱困进度表 unions report upward (by district, per year, against target), whatever the filters."""
    with store.reading() as session:
        return exporter.ledger_xlsx(exporter.PROGRESS_TABLE, exporter.progress_table(session, actor, today))


st.download_button("下载解困脱困进度表（上报用）", _progress_table, file_name=f"{exporter.PROGRESS_TABLE}_{today:%Y%m%d}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/download:",
                   on_click="ignore")
st.download_button("下载全部数据（Excel）", lambda: _workbook(t), file_name=f"解困脱困进度_{today:%Y%m%d}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/download:",
                   on_click="ignore")
