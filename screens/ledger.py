"""资金台账: how much was paid, from which fund, under which programme and track, by district and year.

Every figure is a sum of payment rows (integer fen) in the user's scope; the grand total is shown
with the number of rows behind it. Managers see the totals; staff also see and download the rows.
"""

import datetime as dt
import functools

import pandas as pd
import streamlit as st

from core import codes, workbook
from core.ledger import TOTAL, totals
from core.money import fen_to_yuan
from db import audit
from db import ledger as ledger_service
from ui import charts, store
from ui.session import require_role

actor = require_role()
today = dt.date.today()
may_see_rows = actor.can_write_files

st.title("资金台账")


@st.cache_data(ttl=3600, show_spinner="正在汇总发放记录……", max_entries=100)
def _summary(actor, data_version: int, today: dt.date) -> pd.DataFrame:
    # sums by year, district, fund, track, programme (the database adds the fen); few rows at any scale
    with store.reading() as session:
        return ledger_service.summary(session, actor, today)


with store.reading() as session:
    version = audit.data_version(session)
rows = _summary(actor, version, today)
if rows.empty:
    st.info("您的管辖范围内还没有资金发放记录。发放在档案的“帮扶计划”页登记。")
    st.stop()

years = sorted(rows["year"].unique().tolist(), reverse=True)
default_year = today.year if today.year in years else years[0]
c1, c2, c3 = st.columns([1, 2, 2])
year = c1.selectbox("年度", [None, *years], index=1 + years.index(default_year), placeholder="请选择", key="lg_year",
                    format_func=lambda y: "全部年度" if y is None else f"{y}年")
places = sorted(rows["区县"].unique().tolist())
place = c2.selectbox("区县", [None, *places], format_func=lambda p: "全部" if p is None else p, placeholder="请选择", key="lg_place")
funds = c3.multiselect("资金来源", list(codes.FUND_SOURCE), format_func=codes.FUND_SOURCE.get, key="lg_funds", placeholder="全部")
st.caption("“区县”是家庭所在的区县（档案的区县）；市直产业工会的家庭按其所在区县统计，所以某区县的合计可能大于该区县总工会自己看到的合计。")
planned = st.toggle("包含计划待发放（今天以后的日期）", key="lg_planned",
                    help="周期性发放（如爱心卡每月补助）按计划生成今后的记录；默认只统计已到发放日期的")

view = ledger_service.View(year=year, place=place, funds=tuple(funds), planned=planned)
chosen = ledger_service.chosen(rows, view)
when = "全部年度" if year is None else f"{year}年"
total = int(chosen["amount_fen"].sum())
with store.reading() as session:
    households = ledger_service.households(session, actor, view, today)
k1, k2, k3 = st.columns(3)
k1.metric(f"{when}发放合计(元)", fen_to_yuan(total))
k2.metric("发放笔数", f"{int(chosen['payments'].sum()):,}")
k3.metric("受助户数", f"{households:,}")
if chosen.empty:
    st.info("所选条件下没有发放记录。")
    st.stop()


def _yuan(table: pd.DataFrame) -> pd.DataFrame:
    """Fen → yuan for display, with the row labels as a column (the figures stay exact: fen / 100)."""
    return (table / 100).reset_index()


def _show(table: pd.DataFrame, title: str) -> pd.DataFrame:
    shown = _yuan(table)
    st.markdown(f"**{title}**（元）")
    config = {c: st.column_config.NumberColumn(c, format="%,.2f", width="medium") for c in shown.columns[1:]}
    config[shown.columns[0]] = st.column_config.TextColumn(width="medium")
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
    return shown


sheets = {}
sheets["按区县和资金来源"] = _show(totals(chosen, "区县", "资金来源"), f"{when} 各区县按资金来源")
sheets["按项目"] = _show(totals(chosen, "项目", "资金来源"), "按帮扶项目")
sheets["按措施类别"] = _show(totals(chosen, "措施类别", "资金来源"), "按措施类别")
by_year = ledger_service.chosen(rows, ledger_service.View(place=place, funds=tuple(funds), planned=planned))
sheets["按年度"] = _show(totals(by_year, "年度", "资金来源"), "历年发放（按资金来源）")

by_fund = totals(chosen, "资金来源").drop(index=TOTAL).reset_index()
by_fund["金额(元)"] = by_fund[TOTAL] / 100
charts.show(charts.hbar(by_fund[["资金来源", "金额(元)"]], "资金来源", "金额(元)", f"{when}资金发放（按资金来源）", color="#2c7fb8",
                        height=60 + 40 * len(by_fund)),
            by_fund[["资金来源", "金额(元)"]], f"资金台账-{when}-按资金来源")

if may_see_rows:
    with store.reading() as session:
        rows_shown = ledger_service.detail(session, actor, view, today)
    st.markdown(f"**发放明细**（{len(rows_shown):,} 笔，合计 {fen_to_yuan(int(rows_shown['amount_fen'].sum()))} 元）")
    detail = pd.DataFrame({
        "发放日期": rows_shown["paid_on"], "档案编号": rows_shown["档案编号"], "户主姓名": rows_shown["户主姓名"],
        "区县": rows_shown["区县"], "所属工会": rows_shown["所属工会"], "金额(元)": rows_shown["amount_fen"] / 100,
        "资金来源": rows_shown["资金来源"], "措施类别": rows_shown["措施类别"], "项目": rows_shown["项目"],
        "状态": rows_shown["paid_on"].map(lambda d: "已发放" if d <= today else "待发放"), "说明": rows_shown["note"].fillna(""),
    })
    st.dataframe(detail, hide_index=True, width="stretch", height=min(38 + 35 * len(detail), 360),
                 column_config={"金额(元)": st.column_config.NumberColumn(format="%,.2f")})
    sheets["发放明细"] = detail
else:
    st.caption("您的角色只查看汇总数；发放明细由业务人员查看。")



def _workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    if "发放明细" in sheets:  # names of the paid: the download is written to the audit log
        with store.reading() as session:
            audit.personal_data_downloaded(session, actor, "资金台账（发放明细）", rows=len(sheets["发放明细"]))
    # through the project's writer: a name or note that looks like a formula stays text
    return workbook.write_xlsx({name: frame.to_dict("records") for name, frame in sheets.items()},
                               titles={name: [str(c) for c in frame.columns] for name, frame in sheets.items()})


# built when clicked (tens of thousands of rows take seconds), not on every rerun
st.download_button("下载资金台账（Excel）", functools.partial(_workbook, sheets), file_name=f"资金台账_{when}_{today:%Y%m%d}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/download:",
                   on_click="ignore")
