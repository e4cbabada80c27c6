"""manage.py, as an administrator uses it from the shell (a real SQLite file, a real process)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {"JIEKUN_DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin", "HOME": str(db.parent),
           "JIEKUN_SECRETS_FILE": str(db.parent / "secrets.toml")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "manage.db"
    assert run(path, "init").returncode == 0
    return path


def test_init_creates_the_database_and_a_login_key_readable_by_their_owner_only(tmp_path):
    import os
    import sqlite3
    import tomllib

    path = tmp_path / "fresh.db"
    first = run(path, "init")
    assert first.returncode == 0 and "已生成登录密钥" in first.stdout
    with sqlite3.connect(path) as c:  # a writer leaves the -wal and -shm files beside it
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("CREATE TABLE probe (x)")
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.glob("fresh.db*")}
    assert modes == {"fresh.db": 0o600, "fresh.db-wal": 0o600, "fresh.db-shm": 0o600}
    secrets = tmp_path / "secrets.toml"
    assert secrets.stat().st_mode & 0o777 == 0o600
    key = tomllib.loads(secrets.read_text())["auth"]["cookie_key"]
    assert len(key) >= 32
    again = run(path, "init")
    assert again.returncode == 0 and "已生成登录密钥" not in again.stdout
    assert tomllib.loads(secrets.read_text())["auth"]["cookie_key"] == key  # made once, then kept

    os.chmod(path, 0o644)  # a file made by an older version
    assert "仅本用户可读写（0600）" in run(path, "init").stdout and path.stat().st_mode & 0o777 == 0o600


def test_the_first_user_must_be_an_administrator(db):
    refused = run(db, "create-user", "hg01", "--name", "海港", "--role", "staff", "--org", "海港区总工会", "--password-stdin", stdin="staff-pass-1\n")
    assert refused.returncode == 2 and "第一个用户必须是管理员" in refused.stderr
    ok = run(db, "create-user", "Boss", "--name", "王管理", "--role", "admin", "--password-stdin", stdin="admin-pass-1\n")
    assert ok.returncode == 0 and "已创建用户 boss" in ok.stdout and "Warning" not in ok.stderr
    staff = run(db, "create-user", "hg01", "--name", "海港", "--role", "staff", "--org", "海港区总工会", "--password-stdin", stdin="staff-pass-1\n")
    assert staff.returncode == 0 and "海港区总工会" in staff.stdout
    short = run(db, "create-user", "hg02", "--name", "海港", "--org", "海港区总工会", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "密码至少 8 位" in short.stderr


def test_demo_then_evaluate_writes_the_table_and_reports_problems(db, tmp_path):
    demo = run(db, "demo", "--households", "150", "--seed", "3")
    assert demo.returncode == 0 and "已载入示例数据" in demo.stdout
    again = run(db, "demo", "--households", "150")
    assert again.returncode == 2  # only into an empty database
    out = tmp_path / "eval.csv"
    result = run(db, "evaluate", "--as-of", "2018-12-31", "--out", str(out))
    assert result.returncode == 0, result.stderr
    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "档案编号,区县,状态,建议,判断月份,连续超线月数,判断月人均收入,当月低保标准,未消除致困原因数,已实施帮扶措施,待处理,问题"
    assert "收入已达标、未记录帮扶" in result.stderr and "缺近期收入" in result.stderr  # counted in the summary
    # a month recorded before the demo's first line (2016-01) has no line in force: named, and a non-zero exit
    import datetime as dt

    from sqlalchemy import select

    from db.engine import make_engine, transaction
    from db.models import Household, IncomeMonth

    with transaction(make_engine(f"sqlite:///{db}")) as s:
        early_file = s.scalars(select(Household).where(Household.filed_on < dt.date(2015, 6, 1)).order_by(Household.id)).first()
        s.add(IncomeMonth(household_id=early_file.id, month=dt.date(2015, 6, 1), income_fen=100000, persons=2))
    early = run(db, "evaluate", "--as-of", "2015-12-31")
    assert early.returncode == 1
    assert "2015年06月 没有生效的低保标准" in early.stderr and early_file.file_no in early.stdout
    bad = run(db, "evaluate", "--as-of", "31/12/2018")
    assert bad.returncode == 2 and "格式不正确" in bad.stderr


def test_import_refuses_a_bad_workbook_with_the_same_problems_then_imports_the_fixed_one(db, tmp_path):
    from core.workbook import write_xlsx
    from tests.db.test_import import family

    bad, good = tmp_path / "bad.xlsx", tmp_path / "good.xlsx"
    bad.write_bytes(write_xlsx({"家庭档案": [family(1), family(2, place="南京市")]}, template=True))
    good.write_bytes(write_xlsx({"家庭档案": [family(1), family(2)]}, template=True))
    refused = run(db, "import", str(bad), "--as-system")
    assert refused.returncode == 1 and "工作表“家庭档案” 第 4 行 “区县”列：区县“南京市”不存在" in refused.stderr
    checked = run(db, "import", str(good), "--dry-run", "--as-system")
    assert checked.returncode == 0 and "检查通过（未写入" in checked.stdout
    done = run(db, "import", str(good), "--as-system")
    assert done.returncode == 0 and "家庭档案：新增 2" in done.stdout and "系统（导入 --as-system）" in done.stdout
    again = run(db, "import", str(good), "--as-system")  # the same file again changes nothing
    assert again.returncode == 0 and "家庭档案：无变化 2" in again.stdout
    assert run(db, "import", str(tmp_path / "missing.xlsx"), "--as-system").returncode == 2


def test_import_reads_an_xls_saved_by_a_spreadsheet_program(db):
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "spreadsheet-sample.xls"  # written by LibreOffice
    done = run(db, "import", str(fixture), "--as-system")
    assert done.returncode == 0, done.stderr
    assert "家庭档案：新增 2" in done.stdout and "低保标准：新增 1" in done.stdout


def test_an_export_of_personal_data_is_written_to_the_audit_log(db, tmp_path):
    import sqlite3

    out = tmp_path / "档案.xlsx"
    done = run(db, "export", "--what", "workbook", "--out", str(out), "--as-system")
    assert done.returncode == 0 and out.stat().st_size > 0
    with sqlite3.connect(db) as c:
        rows = c.execute("select actor, reason from audit_log where action = 'export'").fetchall()
    assert rows == [("system:导出 --as-system", "导出档案数据")]  # acting as the system is said, and recorded


@pytest.mark.parametrize("who, words", [
    ((), "请用 --user 用户名 指明"),                       # it used to act as the whole-city system, silently
    (("--user", ""), "找不到用户“”"),
    (("--user", "nobody"), "找不到用户“nobody”"),
    (("--user", "x", "--as-system"), "只能选一个"),
])
def test_export_and_import_act_as_a_named_user_or_explicitly_as_the_system(db, tmp_path, who, words):
    from core.workbook import write_xlsx
    from tests.db.test_import import family

    out, book = tmp_path / "x.xlsx", tmp_path / "in.xlsx"
    book.write_bytes(write_xlsx({"家庭档案": [family(1)]}, template=True))
    for command in (("export", "--out", str(out)), ("import", str(book))):
        refused = run(db, *command, *who)
        assert refused.returncode == 2 and words in refused.stderr, refused.stderr
    assert not out.exists()
    ledger = tmp_path / "files.csv"
    assert run(db, "export", "--what", "档案台账", "--csv", "--as-system", "--out", str(ledger)).returncode == 0
    assert len(ledger.read_text(encoding="utf-8-sig").splitlines()) == 1  # the headers only: nothing was imported


def test_every_failure_is_a_chinese_message_with_its_documented_exit_code_never_a_traceback(db, tmp_path):
    """Malformed input, a path that cannot be written, a missing file, a database that is down: each ends with a Chinese
    message on stderr and the exit code manage.py --help documents (2: not carried out, 3: the database)."""
    first = run(db, "create-user", "boss", "--name", "管\x01理", "--role", "admin", "--password-stdin", stdin="admin-pass-1\n")
    assert first.returncode == 2 and "含有不可见的控制字符" in first.stderr
    # the refused first administrator left nothing behind: the next try is not told one was "just created by someone else"
    admin = run(db, "create-user", "boss", "--name", "王管理", "--role", "admin", "--password-stdin", stdin="admin-pass-1\n")
    assert admin.returncode == 0, admin.stderr
    nowhere = tmp_path / "no-such-dir"
    refusals = {
        "a malformed union id": (["create-user", "hg01", "--name", "海港", "--org", "9" * 30, "--password-stdin"], "找不到工会"),
        "a name too long": (["create-user", "hg01", "--name", "长" * 65, "--org", "海港区总工会", "--password-stdin"], "不能超过 64 个字"),
        "an unwritable evaluation": (["evaluate", "--as-of", "2018-12-31", "--out", str(nowhere / "e.csv")], "无法写入文件"),
        "an unwritable duplicates list": (["id-duplicates", "--out", str(nowhere / "d.csv")], "无法写入文件"),
        "an unwritable export": (["export", "--as-system", "--out", str(nowhere / "x.xlsx")], "无法写入文件"),
        "a missing workbook": (["import", str(nowhere / "in.xlsx"), "--as-system"], "无法读取文件"),
        "a number that is not one": (["demo", "--households", "三千"], "参数 --households 应为整数"),
        "a missing argument": (["evaluate"], "缺少必填的参数：--as-of"),
        "an unknown command": (["backup-everything"], "命令参数有误"),
    }
    for what, (args, message) in refusals.items():
        result = run(db, *args, stdin="staff-pass-1\n")
        assert result.returncode == 2, f"{what}: {result.returncode} {result.stderr}"
        assert message in result.stderr and "Traceback" not in result.stderr, f"{what}: {result.stderr}"
    env = {"JIEKUN_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/jiekun", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for args in (["init"], ["list-orgs"], ["export", "--as-system", "--out", str(tmp_path / "x.xlsx")]):
        down = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
        assert down.returncode == 3 and "无法连接数据库" in down.stderr and "Traceback" not in down.stderr, down.stderr
    usage = run(db, "--help")
    assert usage.returncode == 0 and "退出码" in usage.stdout and "3    无法连接数据库" in usage.stdout
