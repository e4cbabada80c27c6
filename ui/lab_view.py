"""The 政策模拟 page's comparison view: baseline against scenario, both simulated on the same files and months, with
the confirmed actual progress drawn beside them; and the one workbook of every table.

Names and file numbers appear only in `outcomes`, which the service leaves empty for analysts; the view shows and
downloads that list only for roles that may see personal data, and writes every such download to the audit log."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import streamlit as st

from core import workbook
from core.policy_lab import GROUPS
from db import audit
from db.actor import Actor
from ui import charts, store
from ui.markdown import escape_markdown

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COUNT_TABS = ("区县", "主要致困原因", "困难类别", "措施类别")
SERIES_COLOURS = {"基线（模拟）": "#7f8c8d", "方案（模拟）": "#c0392b", "实际确认": "#2c3e50",
                  "基线目标": "#7f8c8d", "方案目标": "#c0392b"}
GROUP_COLOURS = ["#27ae60", "#c0392b", "#2980b9", "#e67e22", "#bdc3c7"]


def file_title(name: str) -> str:
    """A scenario's name as part of a download's file name (no path separators or characters Windows refuses)."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]', "_", name).strip(" .") or "政策模拟"


def _arrow(base, scen) -> str:
    return f"{base:,} → {scen:,}"


def _rate(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.1f}%"


def headline(comparison) -> None:
    h = comparison.headline
    c1, c2, c3, c4 = st.columns([1, 1, 0.8, 1.4])
    c1.metric("可脱困（基线 → 方案）", _arrow(h["exit_base"], h["exit_scen"]), delta=f"{h['exit_scen'] - h['exit_base']:+,}",
              delta_color="off")
    c2.metric("可解困（基线 → 方案）", _arrow(h["relief_base"], h["relief_scen"]),
              delta=f"{h['relief_scen'] - h['relief_base']:+,}", delta_color="off")
    c3.metric("结果改变户数", f"{h['changed']:,}", help=f"共模拟 {h['households']:,} 户；改变：新增、不再、提前或推后解困脱困")
    rate_delta = None
    if h["rate_base"] is not None and h["rate_scen"] is not None and not pd.isna(h["rate_base"]) and not pd.isna(h["rate_scen"]):
        rate_delta = f"{h['rate_scen'] - h['rate_base']:+.1f} 个百分点"
    c4.metric(f"{h['year']}年目标完成率（基线 → 方案）", f"{_rate(h['rate_base'])} → {_rate(h['rate_scen'])}", delta=rate_delta,
              delta_color="off", help="累计完成户数 ÷ 当年累计目标户数；下方进度图的纵轴是累计完成户数占基数的百分比")


def _curves_chart(comparison) -> tuple[alt.Chart, pd.DataFrame]:
    curves = comparison.curves.rename(columns={"累计完成%": "值"}).assign(类型="累计完成%")
    targets = comparison.targets.rename(columns={"目标%": "值"}).assign(类型="目标%")
    domain = list(SERIES_COLOURS)
    colour = alt.Color("系列:N", title=None, scale=alt.Scale(domain=domain, range=list(SERIES_COLOURS.values())),
                       legend=alt.Legend(orient="top"))
    x = alt.X("月份:T", title=None, axis=alt.Axis(format="%Y-%m", labelAngle=0))
    y = alt.Y("值:Q", title="占基数 %", scale=alt.Scale(domain=[0, 100]))
    lines = alt.Chart(curves).mark_line(strokeWidth=2.5).encode(
        x=x, y=y, color=colour, tooltip=["系列:N", alt.Tooltip("月份:T", format="%Y-%m"), alt.Tooltip("值:Q", title="累计完成%")])
    steps = alt.Chart(targets).mark_line(interpolate="step-before", strokeDash=[6, 4]).encode(
        x=x, y=y, color=colour, tooltip=["系列:N", alt.Tooltip("月份:T", format="%Y-%m"), alt.Tooltip("值:Q", title="目标%")])
    data = pd.concat([curves, targets], ignore_index=True)
    data = data.assign(月份=pd.to_datetime(data["月份"]).dt.strftime("%Y-%m"))[["月份", "系列", "类型", "值"]]
    return (lines + steps).properties(height=300), data


def _groups_chart(groups: pd.DataFrame) -> tuple[alt.Chart, pd.DataFrame]:
    rows = groups[groups["区县"] != "合计"]
    changed = [g for g in GROUPS if g != "不变"]
    long = rows.melt(id_vars="区县", value_vars=changed, var_name="分组", value_name="户数")
    chart = alt.Chart(long).mark_bar().encode(
        y=alt.Y("区县:N", title=None), x=alt.X("户数:Q", title="户数", stack="zero"),
        color=alt.Color("分组:N", title=None, scale=alt.Scale(domain=changed, range=GROUP_COLOURS[:len(changed)]),
                        legend=alt.Legend(orient="top")),
        tooltip=["区县:N", "分组:N", "户数:Q"],
    ).properties(height=max(160, 30 * len(rows)))
    return chart, long


def _table(frame: pd.DataFrame, **kwargs) -> None:
    st.dataframe(frame, hide_index=True, width="stretch", height=min(38 + 35 * len(frame), 460), **kwargs)


def show(comparison, actor: Actor, title: str, settings: pd.DataFrame | None = None) -> None:
    """Every part of the comparison, for this actor; `settings` (项目, 内容: the scenario, its link, its overrides)
    heads the workbook, so a workbook filed after a meeting says what was assumed."""
    if not actor.sees_everything:  # a district union's figures cover its own files, not every file in the district
        st.caption(f"范围：{escape_markdown(actor.org_name)}及下级工会的档案")
    headline(comparison)

    st.markdown("**可脱困 / 可解困 / 即将脱困户数**（截至日当月的判断；差异 = 方案 − 基线）")
    tabs = st.tabs([f"按{name}" for name in COUNT_TABS])
    for tab, name in zip(tabs, COUNT_TABS, strict=True):
        with tab:
            _table(comparison.counts[name])

    st.markdown("**累计完成进度**（占基数 %；模拟：假定每户在首次符合条件的月份确认；实线：完成，虚线：目标。"
                "上方“目标完成率”为累计完成户数占目标户数之比）")
    chart, data = _curves_chart(comparison)
    charts.show(chart, data, f"{title}_累计完成进度")

    st.markdown("**分年度目标完成（全市与各区县，基线与方案）**")
    _table(comparison.attainment)

    st.markdown("**结果改变的户数**（按区县与分组：新增解困脱困、不再解困脱困、提前、推后、不变）")
    left, right = st.columns([1, 1])
    with left:
        _table(comparison.groups)
    with right:
        chart, data = _groups_chart(comparison.groups)
        charts.show(chart, data, f"{title}_各区县分组")

    if actor.sees_personal_data:
        st.markdown(f"**结果改变的档案**（{len(comparison.outcomes):,} 户）")
        if comparison.outcomes.empty:
            st.caption("没有结果改变的档案。")
        else:
            _table(comparison.outcomes)
            c1, c2, _ = st.columns([1, 1, 2])
            c1.download_button("下载档案名单（CSV）", lambda: _outcomes_csv(comparison, actor), file_name=f"{title}_结果改变的档案.csv",
                               mime="text/csv", icon=":material/table:", on_click="ignore", key="lab_outcomes_csv")
            c2.download_button("下载档案名单（Excel）", lambda: _outcomes_xlsx(comparison, actor),
                               file_name=f"{title}_结果改变的档案.xlsx", mime=XLSX, icon=":material/download:",
                               on_click="ignore", key="lab_outcomes_xlsx")
    else:
        st.caption("您的角色只查看户数与分组；结果改变的档案名单由管理员和业务人员查看。")

    e1, e2 = st.columns(2)
    with e1:
        st.markdown("**困难类别认定**（按方案的认定倍数）")
        _table(comparison.eligibility)
    with e2:
        st.markdown("**难以脱困户的月收入缺口**（每户“低保标准×人口 − 含转移性收入的家庭收入”，不足的部分相加；收入已达标的户记为 0）")
        _table(comparison.money, column_config={c: st.column_config.NumberColumn(format="%,.2f")
                                                for c in comparison.money.columns if "(元)" in c})

    st.download_button("下载全部对比（Excel）", lambda: all_tables_xlsx(comparison, actor, settings), file_name=f"{title}_对比.xlsx",
                       mime=XLSX, icon=":material/download:", on_click="ignore", key="lab_workbook")


def sheets(comparison, actor: Actor, settings: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the comparison, one sheet each; the households only for roles that may see them."""
    out = {"方案设置": settings} if settings is not None else {}
    out.update({f"按{name}": comparison.counts[name] for name in COUNT_TABS})
    out["分年度目标完成"] = comparison.attainment
    curves = pd.concat([comparison.curves.rename(columns={"累计完成%": "值"}).assign(类型="累计完成%"),
                        comparison.targets.rename(columns={"目标%": "值"}).assign(类型="目标%")], ignore_index=True)
    out["累计完成进度"] = curves.assign(月份=pd.to_datetime(curves["月份"]).dt.strftime("%Y-%m"))[["月份", "系列", "类型", "值"]]
    out["结果改变分组"] = comparison.groups
    if actor.sees_personal_data and not comparison.outcomes.empty:
        out["结果改变的档案"] = comparison.outcomes
    out["困难类别认定"] = comparison.eligibility
    out["收入缺口"] = comparison.money
    return out


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _xlsx(tables: dict[str, pd.DataFrame]) -> bytes:
    # through the project's writer: text written as text (a name that looks like a formula stays text), control
    # characters visibly escaped (core.workbook.xlsx_text)
    return workbook.write_xlsx({name: _records(frame) for name, frame in tables.items()},
                               titles={name: [str(c) for c in frame.columns] for name, frame in tables.items()})


def all_tables_xlsx(comparison, actor: Actor, settings: pd.DataFrame | None = None) -> bytes:
    tables = sheets(comparison, actor, settings)
    if "结果改变的档案" in tables:
        _record_download(actor, "政策模拟对比（含档案名单）", len(tables["结果改变的档案"]))
    return _xlsx(tables)


def _outcomes_csv(comparison, actor: Actor) -> bytes:
    _record_download(actor, "政策模拟结果改变的档案", len(comparison.outcomes))
    frame = comparison.outcomes
    return workbook.write_csv([str(c) for c in frame.columns], frame.astype(object).where(frame.notna(), None).values.tolist())


def _outcomes_xlsx(comparison, actor: Actor) -> bytes:
    _record_download(actor, "政策模拟结果改变的档案", len(comparison.outcomes))
    return _xlsx({"结果改变的档案": comparison.outcomes})


def _record_download(actor: Actor, what: str, rows: int) -> None:
    with store.reading() as session:
        audit.personal_data_downloaded(session, actor, what, rows=rows)
