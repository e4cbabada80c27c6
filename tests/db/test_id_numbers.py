"""ID numbers are normalised before every match: the form, the import, the search and the duplicates check
(SQLite + PostgreSQL); `manage.py id-duplicates` lists one person in two open files."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db import households as hh
from db import importer
from db.engine import reading, transaction
from db.errors import ValidationError
from db.models import Household
from db.queries import FileFilter, search_households
from tests.db.test_households import TODAY, org_id, raw, staff
from tests.db.test_import import book, family
from tests.db.test_import import run as run_import

ASCII = "130302197907195302"
FULL_WIDTH = "130302197907195\uff1302"  # issue 10: a full-width ３ among ASCII digits
ROOT = Path(__file__).resolve().parents[2]


def _file(engine, number=ASCII, org="海港区总工会") -> tuple[int, str]:
    with transaction(engine) as s:
        h = hh.create_household(s, staff(s, org), org_id=org_id(s, org), raw=raw(id_number=number), today=TODAY)
        return h.id, h.file_no


def test_a_full_width_number_is_the_same_person_as_its_ascii_form(db_engine):
    hid, file_no = _file(db_engine)
    with transaction(db_engine) as s:
        assert s.get(Household, hid).id_number == ASCII
    for typed in (FULL_WIDTH, "１３０３０２ １９７９０７１９ ５３０２", f" {ASCII}\u3000"):
        with transaction(db_engine) as s, pytest.raises(ValidationError) as refused:
            hh.create_household(s, staff(s, "山海关区总工会"), org_id=org_id(s, "山海关区总工会"),
                                raw=raw(id_number=typed, members=[]), today=TODAY)
        assert refused.value.errors["id_number"] == "已在其他工会的档案中，请联系市总工会"  # outside the scope: no more
    with transaction(db_engine) as s, pytest.raises(ValidationError) as refused:  # as a member of another file
        hh.create_household(s, staff(s), org_id=org_id(s), today=TODAY, raw=raw(
            id_number="13030219800101002X", members=[{"name": "某", "relation": "spouse", "id_number": FULL_WIDTH}]))
    assert file_no in refused.value.errors["members.0.id_number"]
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 1
        for typed in (FULL_WIDTH, "１３０３０２１９７９０７１９５３０２"):
            frame, total = search_households(s, staff(s), FileFilter(text=typed))
            assert total == 1 and list(frame["档案编号"]) == [file_no]


def test_a_search_box_holding_a_nul_byte_or_a_megabyte_finds_what_it_can_and_never_fails(db_engine):
    with transaction(db_engine) as s:
        file_no = hh.create_household(s, staff(s), org_id=org_id(s), raw=raw(id_number=ASCII, members=[]), today=TODAY).file_no
    with reading(db_engine) as s:  # PostgreSQL refuses a NUL in a query: it used to end in an error page (a box of
        # nothing but a NUL is an empty box: every file)
        for typed, found in ((ASCII + "\x00", [file_no]), ("\x00", [file_no]), ("张" * 1_000_000, []), (ASCII[:6] + "\x01" + ASCII[6:], [file_no])):
            frame, total = search_households(s, staff(s), FileFilter(text=typed))
            assert list(frame["档案编号"]) == found and total == len(found)


def test_an_imported_full_width_number_matches_the_open_file_not_a_new_one(db_engine):
    run_import(db_engine, book([family(1, id_number=ASCII)]))
    with reading(db_engine) as s:
        before = s.scalar(select(func.count()).select_from(Household))
    report = run_import(db_engine, book([family(1, file_no="", id_number=FULL_WIDTH, mobile="13911112222")]))
    assert report.counts["家庭档案"].get("created", 0) == 0
    with reading(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Household)) == before
        assert s.scalar(select(Household.mobile).where(Household.id_number == ASCII)) == "13911112222"


@pytest.mark.parametrize("typed,words", [
    ("13030219800101\U00010a40123", "前17位只能是数字"),  # a digit isdigit() accepts and int() refuses
    ("13030219800101002\u00b9", "校验位不符，请逐位核对"),   # superscript ¹: NFKC reads it as 1, the wrong check character
    ("99999919800101001" + "7", "不是有效的行政区划代码"),
])
def test_a_malformed_number_in_a_workbook_is_a_problem_at_its_cell(db_engine, typed, words):
    with pytest.raises(importer.ImportRefused) as caught:
        run_import(db_engine, book([family(1, id_number=typed)]))
    assert any(p.column == "户主身份证号" and words in p.message for p in caught.value.problems), \
        [(p.column, p.message) for p in caught.value.problems]


def _manage(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"JIEKUN_DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin", "HOME": str(db.parent)}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)


def test_manage_lists_one_person_in_two_open_files(tmp_path):
    db = tmp_path / "dup.db"
    clean = _manage(db, "id-duplicates")
    assert clean.returncode == 0 and "没有同一身份证号在多个未关闭档案中的情况" in clean.stderr
    with sqlite3.connect(db) as c:  # as migration 0008 leaves a revealed pair: one stored as typed
        org, place = c.execute("SELECT id, place_code FROM org WHERE name = '海港区总工会'").fetchone()
        for no, number in (("QHD-A", ASCII), ("QHD-B", FULL_WIDTH)):
            c.execute("INSERT INTO household (file_no, org_id, place_code, status, hard_to_exit, casualty, name, id_number, "
                      "single_parent, zero_employment, self_help_ability, created_at, updated_at, version) "
                      "VALUES (?, ?, ?, 'active', 0, 0, '张三', ?, 0, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)",
                      (no, org, place, number))
    listed = _manage(db, "id-duplicates")
    assert listed.returncode == 1 and "1 个身份证号同时在多个未关闭的档案中" in listed.stderr
    rows = listed.stdout.splitlines()
    assert rows[0] == "身份证号,档案编号,户主姓名,区县,身份,状态,存储形式"
    assert rows[1:] == [f"{ASCII},QHD-A,张三,海港区,户主,在档,{ASCII}", f"{ASCII},QHD-B,张三,海港区,户主,在档,{FULL_WIDTH}"]
