"""资金台账: how much was paid, from which fund, under which programme and track, by district and year.

Every figure is a sum of payment rows (integer fen) in the user's scope; the grand total is shown
with the number of rows behind it. Managers see the totals; staff also see and download the rows.
"""

import datetime as dt
import functools

import numpy as np
import pandas as pd
import streamlit as st

from core import codes, workbook
from core.ledger import TOTAL, totals
from core.money import fen_to_yuan
from db import audit
from db import ledger as ledger_service
from ui import charts, snapshot, store
from ui.session import require_role

actor = require_role()
today = dt.date.today()
may_see_rows = actor.can_write_files
SHOWN_ROWS = 1000  # payment rows shown on the page; the download has them all

st.title("资金台账")


# the scope's ledger, aggregated once from the server's shared snapshot and kept until a payment (or a file) is saved
# (ui.snapshot); a filter change only filters the book
book = snapshot.derived("ledger", actor, ledger_service.PARTS, ledger_service.book_from, today)
rows = book.summary
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
households = ledger_service.households_in(book, view)
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



def _fund_chart(snap, actor, view: ledger_service.View, today: dt.date, when: str) -> tuple[charts.Spec, pd.DataFrame]:
    """The chart by fund source, built once per view and save of payments (not on every rerun)."""
    book = snapshot.derived("ledger", actor, ledger_service.PARTS, ledger_service.book_from, today)
    by_fund = totals(ledger_service.chosen(book.summary, view), "资金来源").drop(index=TOTAL).reset_index()
    by_fund["金额(元)"] = by_fund[TOTAL] / 100
    data = by_fund[["资金来源", "金额(元)"]]
    chart = charts.hbar(data, "资金来源", "金额(元)", f"{when}资金发放（按资金来源）", color="#2c7fb8", height=60 + 40 * len(by_fund))
    return charts.spec(chart), data


fund_chart, fund_data = snapshot.derived("ledger_chart", actor, ledger_service.PARTS, _fund_chart, view, today, when)
charts.show(fund_chart, fund_data, f"资金台账-{when}-按资金来源")


def _newest(snap, actor, view: ledger_service.View, today: dt.date) -> pd.DataFrame:
    """The view's newest rows with their notes, once per view and save of payments or files (not on every rerun)."""
    rows = ledger_service.detail_from(snap, actor, view, today, limit=SHOWN_ROWS)
    with store.reading() as session:
        return ledger_service.with_notes(session, rows)


def _detail(rows_shown: pd.DataFrame) -> pd.DataFrame:
    """The service's rows as the page and the workbook show them (yuan, Chinese labels, paid or still to pay)."""
    return pd.DataFrame({
        "发放日期": rows_shown["paid_on"], "档案编号": rows_shown["档案编号"], "户主姓名": rows_shown["户主姓名"],
        "区县": rows_shown["区县"], "所属工会": rows_shown["所属工会"], "金额(元)": rows_shown["amount_fen"] / 100,
        "资金来源": rows_shown["资金来源"], "措施类别": rows_shown["措施类别"], "项目": rows_shown["项目"],
        "状态": np.where(rows_shown["paid_on"].to_numpy() <= today, "已发放", "待发放"), "说明": rows_shown["note"].fillna(""),
    })


if may_see_rows:
    # the newest rows of the view on the page; every row in the download (built when clicked)
    scoped = snapshot.for_actor(actor)  # the figures' snapshot: the rows and the download show the same payments
    rows_shown = snapshot.derived("ledger_rows", actor, ledger_service.PARTS, _newest, view, today)
    count = int(chosen["payments"].sum())
    st.markdown(f"**发放明细**（{count:,} 笔，合计 {fen_to_yuan(total)} 元）")
    if count > workbook.MAX_ROWS:
        st.caption(f"页面显示最新的 {len(rows_shown):,} 笔；全部 {count:,} 笔超过 Excel 一个工作表的行数上限"
                   f"（{workbook.MAX_ROWS:,} 行），下载的 Excel 不含明细，请按年度或区县缩小范围后下载。")
    elif count > len(rows_shown):
        st.caption(f"页面显示最新的 {len(rows_shown):,} 笔；全部 {count:,} 笔明细请下载 Excel。")
    detail = _detail(rows_shown)
    st.dataframe(detail, hide_index=True, width="stretch", height=min(38 + 35 * len(detail), 360),
                 column_config={"金额(元)": st.column_config.NumberColumn(format="%,.2f")})
else:
    st.caption("您的角色只查看汇总数；发放明细由业务人员查看。")



def _workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    if may_see_rows and int(chosen["payments"].sum()) <= workbook.MAX_ROWS:
        # names of the paid: every row of the view (as many as a sheet holds), and the download is written to the audit log
        every = ledger_service.detail_from(scoped, actor, view, today)
        with store.reading() as session:
            sheets = {**sheets, "发放明细": _detail(ledger_service.with_notes(session, every))}
            audit.personal_data_downloaded(session, actor, "资金台账（发放明细）", rows=len(sheets["发放明细"]))
    # through the project's writer: a name or note that looks like a formula stays text
    return workbook.write_xlsx({name: frame.to_dict("records") for name, frame in sheets.items()},
                               titles={name: [str(c) for c in frame.columns] for name, frame in sheets.items()})


# built when clicked (tens of thousands of rows take seconds), not on every rerun
st.download_button("下载资金台账（Excel）", functools.partial(_workbook, sheets), file_name=f"资金台账_{when}_{today:%Y%m%d}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/download:",
                   on_click="ignore")
