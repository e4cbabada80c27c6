"""Hostile uploads cost one refusal, never the process: every workbook is read in a child process with a time and a
memory limit (file_sandbox), on the import (page and manage.py) and the 低保名单比对, and the store is unchanged."""

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import file_sandbox
from db import importer
from db import roster as roster_service
from tests.db.test_import import TODAY, book, family, months, run, snapshot

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
REFUSAL = "文件无法读取"


def one_cell(ref: str, dimension: str) -> bytes:
    """A 5 KB .xlsx whose only cell is at `ref`: its <dimension> stripped, or lying (A1) about the sheet's size."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "月收入"
    workbook.active["A1"] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    source, out = zipfile.ZipFile(io.BytesIO(buffer.getvalue())), io.BytesIO()
    row = re.match(r"[A-Z]+(\d+)", ref)[1]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as crafted:
        for part in source.infolist():
            body = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b'<row r="1"', f'<row r="{row}"'.encode()).replace(b'r="A1"', f'r="{ref}"'.encode())
                body, found = re.subn(rb'<dimension ref="[^"]*"\s*/>', b"" if dimension == "strip" else b'<dimension ref="A1"/>', body)
                assert found == 1
            crafted.writestr(part, body)
    return out.getvalue()


def zip_bomb(megabytes: int = 600) -> bytes:
    """An .xlsx of under 3 MB that honestly declares one cell, holding a text of `megabytes` MB (under the 1 GB that
    `check_extent` refuses unread): reading it takes more memory than the limit allows."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "月收入"
    workbook.active["A1"] = "PLACEHOLDER"
    buffer = io.BytesIO()
    workbook.save(buffer)
    source, out = zipfile.ZipFile(io.BytesIO(buffer.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bomb:
        for part in source.infolist():
            body = source.read(part)
            if part.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(part, body)
                continue
            before, after = body.split(b"PLACEHOLDER")
            with bomb.open(part.filename, "w", force_zip64=True) as sheet:
                sheet.write(before)
                block = b"A" * (1 << 20)
                for _ in range(megabytes):
                    sheet.write(block)
                sheet.write(after)
    return out.getvalue()


def far_xls() -> bytes:
    """The spreadsheet program's .xls with one text cell (a LABELSST record) moved to row 65,536, column 16,384."""
    data = bytearray((FIXTURES / "spreadsheet-sample.xls").read_bytes())
    at = data.rfind(b"\xfd\x00\x0a\x00")  # record type 0x00FD, 10 bytes: row, column, format, string index
    data[at + 4:at + 8] = (65535).to_bytes(2, "little") + (16383).to_bytes(2, "little")
    return bytes(data)


HOSTILE = {
    "xlsx-XFD1048576-no-dimension": lambda: (one_cell("XFD1048576", "strip"), "收入.xlsx"),
    "xlsx-ZZ200000-no-dimension": lambda: (one_cell("ZZ200000", "strip"), "收入.xlsx"),
    "xlsx-XFD1048576-lying-dimension": lambda: (one_cell("XFD1048576", "lie"), "收入.xlsx"),
    "xlsx-ZZ200000-lying-dimension": lambda: (one_cell("ZZ200000", "lie"), "收入.xlsx"),
    "xlsx-zip-bomb": lambda: (zip_bomb(), "收入.xlsx"),
    "xls-far-cell": lambda: (far_xls(), "收入.xls"),
}
REFUSED_BY = {"no-dimension": "超出可导入的范围"}  # refused from its cell references before the reader runs


def expected(case: str) -> str:
    return next((words for key, words in REFUSED_BY.items() if key in case), REFUSAL)


@pytest.fixture(scope="module")
def hostile():
    return {case: make() for case, make in HOSTILE.items()}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_workbook_is_refused_by_the_import_and_nothing_is_written(db_engine, hostile, case):
    run(db_engine, book([family(1)], incomes=months("HG-0001")))
    before = snapshot(db_engine)
    data, name = hostile[case]
    with pytest.raises(importer.ImportRefused) as refused:
        run(db_engine, data, name=name)
    assert len(refused.value.problems) == 1 and expected(case) in refused.value.problems[0].message
    assert snapshot(db_engine) == before
    assert run(db_engine, book([family(2)]), name="档案.xlsx").counts["家庭档案"]["created"] == 1  # and the process goes on


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_roster_is_refused_by_the_roster_match(hostile, case):
    data, name = hostile[case]
    roster = roster_service.read_roster(data, name.replace("收入", "民政名单"), today=TODAY)
    assert roster.entries == [] and len(roster.problems) == 1 and expected(case) in roster.problems[0].message


def test_the_command_line_import_refuses_a_hostile_workbook_in_chinese(tmp_path):
    db = tmp_path / "manage.db"
    env = {"JIEKUN_DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    shell = lambda *args: subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,  # noqa: E731
                                         env=env, timeout=300)
    assert shell("init").returncode == 0
    path = tmp_path / "收入.xlsx"
    path.write_bytes(one_cell("XFD1048576", "lie"))
    refused = shell("import", str(path), "--as-system")
    assert refused.returncode == 1 and REFUSAL in refused.stderr and "Traceback" not in refused.stderr


def test_a_child_killed_by_the_memory_limit_gives_the_refusal():
    data = one_cell("J200000", "strip")  # 2 million cells: a plausible size, read fine within the normal limit
    tables = file_sandbox.read_tables(data, "workbook")
    assert len(tables["月收入"]) == 200_000 and tables["月收入"][-1][-1] == "x"
    with pytest.raises(file_sandbox.FileUnreadable) as refused:
        file_sandbox.read_tables(data, "workbook", memory_bytes=64 * 1024 * 1024)
    assert str(refused.value).startswith(REFUSAL) and "64 MB" in str(refused.value)


def test_a_small_file_gets_the_base_limits_and_a_large_honest_one_room_in_proportion():
    assert file_sandbox.limits(5_000)[0] < 61 and file_sandbox.limits(5_000)[1] < 1.6 * 1024 ** 3
    seconds, memory = file_sandbox.limits(110_000_000)  # 100,000 households with 48 months of incomes
    assert seconds >= 0.8 * 110 + 60 and memory >= 40 * 110_000_000 + file_sandbox.MEMORY_LIMIT_BYTES
    assert "60 秒" in str(file_sandbox.FileUnreadable(file_sandbox.REFUSAL.format(seconds="60", memory="1.5 GB")))


def test_a_child_out_of_time_is_killed_and_gives_the_refusal():
    data = (FIXTURES / "spreadsheet-sample.xlsx").read_bytes()
    with pytest.raises(file_sandbox.FileUnreadable) as refused:
        file_sandbox.read_tables(data, "workbook", seconds=0.001)
    assert "0.001 秒" in str(refused.value)


@pytest.mark.parametrize("name", ["spreadsheet-sample.xlsx", "spreadsheet-sample.xls", "spreadsheet-sample-家庭档案.csv"])
def test_a_normal_file_reads_the_same_in_the_child_as_in_process(name):
    from core.workbook import read_tables

    data = (FIXTURES / name).read_bytes()
    kind = "csv" if name.endswith(".csv") else "workbook"
    assert file_sandbox.read_tables(data, kind) == read_tables(data, kind)


def test_the_child_hands_back_nothing_but_cells():
    import pickle

    with pytest.raises(pickle.UnpicklingError):
        file_sandbox._CellsUnpickler(io.BytesIO(pickle.dumps(("ok", {"": [[Path("/")]]})))).load()


def test_at_most_two_children_read_at_once_and_a_further_upload_waits_its_turn():
    import threading

    data = (FIXTURES / "spreadsheet-sample.xlsx").read_bytes()
    assert file_sandbox.CONCURRENT_READS == 2
    for _ in range(file_sandbox.CONCURRENT_READS):  # two uploads being read
        file_sandbox._SLOTS.acquire()
    done = threading.Event()
    waiting = threading.Thread(target=lambda: (file_sandbox.read_tables(data, "workbook"), done.set()))
    try:
        waiting.start()
        assert not done.wait(1.0)  # a third waits, no third child starts
    finally:
        for _ in range(file_sandbox.CONCURRENT_READS):
            file_sandbox._SLOTS.release()
    assert done.wait(60)
    waiting.join()


def test_every_path_that_reads_an_upload_reads_it_through_the_child_process():
    """The reader in this process is for tests and trusted files only: no screen, service or command uses it."""
    import ast

    offenders = []
    paths = [p for folder in ("screens", "ui", "db") for p in (ROOT / folder).rglob("*.py")] + [ROOT / "manage.py", ROOT / "app.py"]
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in ("core.workbook", "core.roster"):
                offenders += [f"{path.name} imports {a.name}" for a in node.names
                              if a.name in ("read_xlsx", "read_csv", "read_tables", "read_roster")]
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", None))
                owner = getattr(getattr(node.func, "value", None), "id", "")
                in_core = isinstance(node.func, ast.Name) or owner in ("workbook", "roster_rules")
                if name in ("read_file", "read_roster") and in_core and not any(k.arg == "reader" for k in node.keywords):
                    offenders.append(f"{path.name}:{node.lineno} calls {name} without the sandboxed reader")
    assert not offenders, offenders
