"""Excel导入导出: the template, a checked all-or-nothing import with its batches (and undo), exports and ledgers,
and the 低保 roster from the civil-affairs office."""

import datetime as dt
import functools
import hashlib
import json
import os
import tempfile

import pandas as pd
import streamlit as st

from core import workbook
from db import audit, exporter, importer
from db import roster as roster_service
from db.errors import ServiceError
from ui import selection, store
from ui.markdown import escape_markdown
from ui.session import require_role

actor = require_role("admin", "staff")
today = dt.date.today()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

st.title("Excel导入导出")
tab_import, tab_batches, tab_export, tab_roster = st.tabs(["导入", "导入记录（撤销）", "导出与台账", "低保名单比对"])


def _problems_frame(problems) -> pd.DataFrame:
    return pd.DataFrame([{"工作表": p.sheet, "行": p.row or "", "列": p.column or "", "问题": p.message} for p in problems],
                        columns=["工作表", "行", "列", "问题"])


with tab_import:
    st.markdown("按模板填写（或把已有表格的列名改成模板的列名，顺序不限，多余的列会被忽略），上传后系统先检查整个文件，"
                "**没有任何问题时才会导入，而且全部导入或全部不导入**。已有档案按档案编号或户主身份证号更新，新的户新建。")
    st.caption("新建的户为“申请中”，之后办理入户调查、公示、审核后在档；档案编号由系统编，其他工作表按“户主身份证号”对应新户即可。"
               "其他系统中已在档的户：“状态”填“在档”并填建档日期，附上月收入，导入为“导入的历史档案”，困难类别按收入认定，"
               "排除情形列入工作台“待补核查”。月收入可按年份分为多个工作表（“月收入2019”“月收入2020”……，一年超过一个工作表的为"
               "“月收入2019-1”“月收入2019-2”），家庭成员、走访记录等行数超过一个工作表容量的可分为“走访记录-1”“走访记录-2”……，"
               "导入时同名的各工作表合并读取，问题按各自的工作表和行号列出。")
    st.download_button("下载导入模板（Excel）", functools.partial(workbook.write_xlsx, {name: [] for name in workbook.SHEETS}, template=True),
                       file_name="困难职工档案导入模板.xlsx", mime=XLSX, icon=":material/download:", on_click="ignore")
    done = st.session_state.pop("ex_done", None)
    if done:
        st.success(escape_markdown(done), icon=":material/task_alt:")
    # a new uploader after each import, so the same file is not imported twice by accident
    uploaded = st.file_uploader("选择 Excel 工作簿（.xlsx 或 .xls）或单个工作表的 CSV 文件", type=workbook.UPLOAD_TYPES,
                                key=f"ex_file_{st.session_state.get('ex_round', 0)}")
    sheet = None
    if uploaded is not None and uploaded.name.lower().endswith(".csv"):
        guess = next((name for name in workbook.SHEETS if name in uploaded.name), None) or workbook.guess_sheet(uploaded.getvalue())
        sheet = st.selectbox("这个 CSV 是哪个工作表？", list(workbook.SHEETS), index=list(workbook.SHEETS).index(guess) if guess else 0,
                             placeholder="请选择", key="ex_sheet")
    if uploaded is not None:
        data = uploaded.getvalue()
        digest = hashlib.sha1(data + (sheet or "").encode()).hexdigest()
        checked = st.session_state.get("ex_checked")
        if not checked or checked[0] != digest:
            with st.spinner("正在检查整个文件……"), store.reading() as session:
                try:
                    plan, problems = importer.check(session, actor, data, uploaded.name, sheet=sheet, today=today)
                except ServiceError as exc:
                    st.error(escape_markdown(exc))
                    st.stop()
            rows = plan.parsed.row_count() if plan else 0
            st.session_state["ex_checked"] = checked = (digest, problems, rows)
        _, problems, rows = checked
        if problems:
            st.error(f"发现 {len(problems)} 处问题，**没有导入任何数据**。请按下表（行号即 Excel 中的行号）修改后重新上传。", icon=":material/error:")
            frame = _problems_frame(problems)
            st.dataframe(frame, hide_index=True, width="stretch", height=min(38 + 35 * len(frame), 420),
                         column_config={"问题": st.column_config.TextColumn(width="large")})
            st.download_button("下载问题清单（CSV）", workbook.write_csv(list(frame.columns), frame.values.tolist()),
                               file_name=f"导入问题清单_{today:%Y%m%d}.csv", mime="text/csv", icon=":material/download:")
        else:
            st.success(f"检查通过：共 {rows:,} 行数据，没有发现问题。", icon=":material/check_circle:")
            if st.button("导入", type="primary", icon=":material/upload:", key="ex_go"):
                bar = st.progress(0.0, text="正在导入……")
                try:
                    with store.transaction() as session:
                        report = importer.run(session, actor, data, uploaded.name, sheet=sheet, today=today,
                                              progress=lambda fraction, text: bar.progress(min(fraction, 1.0), text=text))
                except importer.ImportRefused as exc:  # someone changed the data since the check
                    st.session_state.pop("ex_checked", None)
                    st.error(f"{escape_markdown(exc)}（数据在检查后有变化）")
                    st.dataframe(_problems_frame(exc.problems), hide_index=True, width="stretch")
                except ServiceError as exc:
                    st.error(escape_markdown(exc))
                else:
                    st.session_state.pop("ex_checked", None)
                    st.session_state["ex_done"] = (
                        f"导入完成（批次 {report.batch_id}，{uploaded.name}）：{report.summary()}。如需撤销，请到“导入记录（撤销）”。"
                        if report.batch_id else f"{uploaded.name} 与系统中的数据一致（{report.summary()}），没有需要写入的内容。")
                    st.session_state["ex_round"] = st.session_state.get("ex_round", 0) + 1
                    st.rerun()

with tab_batches:
    with store.reading() as session:
        batches = importer.batches(session, actor)
    if not batches:
        st.info("还没有导入记录。")
    else:
        frame = pd.DataFrame([{"批次": b.id, "时间": f"{b.at:%Y-%m-%d %H:%M}", "导入人": b.actor, "文件": b.filename,
                               "内容": importer.Report(b.filename, json.loads(b.counts)).summary(),
                               "状态": "已撤销" if b.undone_at else "有效"}
                              for b in batches])
        # the selection is bound to the batch (its id, and every batch's version), never to a row position
        picked = selection.select_rows(frame, key="ex_batches", id_column="批次", hidden=[], multi=False,
                                       context=[(b.id, b.version) for b in batches],
                                       column_config={"内容": st.column_config.TextColumn(width="large"),
                                                      "状态": st.column_config.TextColumn(width="medium")})
        notice = st.session_state.pop("ex_undo_notice", None)
        if notice:
            getattr(st, notice[0])(escape_markdown(notice[1]))
        if picked.ids:
            chosen = next(b for b in batches if b.id == picked.ids[0])
            if chosen.undone_at is not None:
                st.caption(f"批次 {chosen.id} 已于 {chosen.undone_at:%Y-%m-%d %H:%M} 由 {escape_markdown(chosen.undone_by)} 撤销。")
            else:
                st.warning(f"撤销批次 {chosen.id}（{escape_markdown(chosen.filename)}，{chosen.at:%Y-%m-%d %H:%M} 由 "
                           f"{escape_markdown(chosen.actor)} 导入）：该批次新增的记录将删除，修改过的记录恢复为导入前的样子。"
                           "如果这些记录之后又被修改过，将不能撤销。")

                def _undo(batch_id=chosen.id, version=chosen.version):
                    try:
                        with store.transaction() as session:
                            importer.undo(session, actor, batch_id, expected_version=version)
                        selection.clear("ex_batches")
                        st.session_state["ex_undo_notice"] = ("success", f"已撤销批次 {batch_id}。")
                    except ServiceError as exc:
                        st.session_state["ex_undo_notice"] = ("error", str(exc))

                st.button(f"确认撤销批次 {chosen.id}", type="primary", on_click=_undo, key="ex_undo")

with tab_export:
    st.markdown("导出的档案工作簿与导入模板格式相同，可修改后原样导入。台账按您的管辖范围导出。")

    def _make_workbook() -> None:
        """The workbook streamed into a temporary file (memory stays flat whatever the scope), then offered for download."""
        bar = st.progress(0.0, text="正在导出……")
        names = list(workbook.SHEETS)

        def progress(sheet: str, rows: int) -> None:
            if sheet:
                bar.progress(names.index(workbook.sheet_kind(sheet)) / len(names), text=f"正在导出“{sheet}”……（已写 {rows:,} 行）")

        part = tempfile.NamedTemporaryFile(prefix="jiekun-export-", suffix=".xlsx", delete=False)  # mode 0600
        try:
            with part, store.reading() as session:  # a read: it holds no write lock for the minutes a province takes
                rows = exporter.write_workbook(session, actor, part, progress=progress)
            with store.transaction() as session:  # who took the files out: the export is written to the audit log
                exporter.record_export(session, actor, "档案数据工作簿", rows)
        except (ServiceError, workbook.WorkbookTooLarge) as exc:
            os.unlink(part.name)
            st.error(escape_markdown(exc))
            return
        except OSError:
            os.unlink(part.name)
            st.error("服务器的临时空间不足，无法生成工作簿：请联系管理员，或按区县分别导出")
            return
        bar.empty()
        _drop_workbook()
        st.session_state["ex_workbook"] = (part.name, rows)

    def _drop_workbook() -> None:
        old = st.session_state.pop("ex_workbook", None)
        if old and os.path.exists(old[0]):
            os.unlink(old[0])

    def _download(path: str):
        """The made file, once: it is removed as it is handed over (the open file stays readable), so no copy of the
        files is left on the server."""
        data = open(path, "rb")
        os.unlink(path)
        return data

    def _ledger(title: str) -> bytes:
        with store.transaction() as session:
            table = exporter.LEDGERS[title](session, actor)
            exporter.record_export(session, actor, title, len(table[1]))
            return exporter.ledger_xlsx(title, table)

    st.caption("档案数据工作簿的月收入按年份分表（月收入2019、月收入2020……；一年超过 1,048,575 行的再分为“-1”“-2”），"
               "导入时所有“月收入”工作表合并读取。全市数据较多时生成需要几分钟。")
    if st.button("生成档案数据工作簿（可重新导入）", icon=":material/table_view:", key="ex_workbook_make"):
        _make_workbook()
    made = st.session_state.get("ex_workbook")
    if made and not os.path.exists(made[0]):  # downloaded already: it is handed over once
        st.session_state.pop("ex_workbook")
        made = None
    if made:
        st.download_button(f"下载档案数据工作簿（{made[1]:,} 行，{os.path.getsize(made[0]) / 1e6:,.1f} MB）",
                           functools.partial(_download, made[0]), file_name=f"档案数据_{today:%Y%m%d}.xlsx", mime=XLSX,
                           icon=":material/download:", on_click="rerun", key="ex_workbook_download")
    for title in exporter.LEDGERS:
        st.download_button(title, functools.partial(_ledger, title), file_name=f"{title}_{today:%Y%m%d}.xlsx", mime=XLSX,
                           icon=":material/download:", on_click="ignore", key=f"ex_ledger_{title}")

with tab_roster:
    st.markdown("上传民政部门提供的低保/特困人员名单（Excel 或 CSV，含“身份证号”列，可有“救助类型”“纳入日期”列）。"
                "户主或家庭成员在名单中的在档档案，将写入救助记录（救助类型、纳入日期，来源：民政部门名单比对；同一项目已有记录的只更正其起始日期）；未找到和对应多户的会列出，可下载。")
    upload = st.file_uploader("民政名单", type=workbook.UPLOAD_TYPES, key="ro_file")
    if upload is not None:
        kept = st.session_state.get("ro_result")
        if not kept or kept[0] != upload.file_id:
            # matched once per uploaded file: the button applies exactly the preview shown (the versions seen then)
            roster = roster_service.read_roster(upload.getvalue(), upload.name, today=today)
            with store.reading() as session:
                kept = (upload.file_id, roster_service.match_roster(session, actor, roster.entries, today=today,
                                                                    problems=roster.problems))
            st.session_state["ro_result"] = kept
        result = kept[1]
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("将标记的档案", f"{len(result.to_change):,}")
        c2.metric("未找到", f"{len(result.unmatched):,}")
        c3.metric("对应多户", f"{len(result.ambiguous):,}")
        c4.metric("名单有误", f"{len(result.problems):,}")
        outcome = st.session_state.get("ro_outcome")
        rows = roster_service.report_rows(result, outcome[1] if outcome and outcome[0] == upload.file_id else None)
        st.dataframe(pd.DataFrame(rows).astype("string").fillna(""), hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 420),
                     column_config={"说明": st.column_config.TextColumn(width="large")})

        def _roster_report(result=result, done=outcome[1] if outcome and outcome[0] == upload.file_id else None) -> bytes:
            with store.reading() as session:  # names and ID numbers of the matched: the download is audited
                audit.personal_data_downloaded(session, actor, "低保名单比对结果", rows=len(result.matched) + len(result.unmatched))
            return roster_service.report_xlsx(result, done)

        st.download_button("下载比对结果（Excel）", _roster_report, on_click="ignore",
                           file_name=f"低保名单比对结果_{today:%Y%m%d}.xlsx", mime=XLSX, icon=":material/download:")
        if result.to_change and not (outcome and outcome[0] == upload.file_id):
            selection.show_files(pd.DataFrame({"档案编号": [m.file_no for m in result.to_change],  # the files the button marks
                                               "户主姓名": [m.head_name for m in result.to_change]}),
                                 lead=f"将标记的 **{len(result.to_change):,}** 户")
            if st.button(f"标记这 {len(result.to_change):,} 户", type="primary", key="ro_apply"):
                try:
                    with store.transaction() as session:
                        done = roster_service.apply_roster(session, actor, result, today=today)
                except ServiceError as exc:
                    st.error(escape_markdown(exc))
                else:
                    st.session_state["ro_outcome"] = (upload.file_id, done)
                    st.rerun()
        if outcome and outcome[0] == upload.file_id:
            st.success(f"已标记 {outcome[1].marked:,} 户，{outcome[1].unchanged:,} 户原已标记无变化。")
