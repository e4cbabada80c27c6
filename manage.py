#!/usr/bin/env python3
"""jiekun from the shell: the same services the app uses.

  python manage.py init                         migrate the database to the newest schema; write a login key if none is set
  python manage.py create-user USERNAME --name 姓名 --role staff --org 海港区总工会
  python manage.py demo [--households N] [--seed S]
  python manage.py evaluate --as-of 2018-12-31 [--out FILE.csv]
  python manage.py import FILE [--sheet NAME] [--dry-run] (--user NAME | --as-system)
  python manage.py export [--what workbook|档案台账|措施台账|资金台账|进度表] [--out FILE] (--user NAME | --as-system) [--csv]
  python manage.py list-orgs
  python manage.py id-duplicates [--out FILE.csv]
  python manage.py backup FILE [--yes]          the whole database to FILE (safe while the app runs)
  python manage.py restore FILE [--yes]         replace the whole database with FILE (--yes: overwrite data)
  python manage.py verify-audit                 check the audit log's hash chain (exit 1 at the first broken row)

The database is the one the app uses: JIEKUN_DATABASE_URL, .streamlit/secrets.toml, or data/jiekun.db.

Every command ends with a message in Chinese (never a Python traceback) and one of these exit codes:

  0  done
  1  done, and the result has problems: evaluate found files with a problem, import refused the workbook (nothing
     written), id-duplicates found a number in two open files
  2  the command was not carried out: a wrong argument (a malformed date, ID or option), a user or union not found,
     input refused by the rules, a file that cannot be read or written
  3  the database cannot be reached or refused the work (is it running? is the URL right?)
  4  an unexpected error inside the program (set JIEKUN_DEBUG=1 to see its details, and report it)
  130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import re
import sys
import time

# The authenticator (bcrypt hashing) loads streamlit, whose warnings about running without a
# server mean nothing on the command line.
for _name in ("streamlit.runtime.scriptrunner_utils.script_run_context", "streamlit.runtime.caching.cache_data_api"):
    logging.getLogger(_name).disabled = True

from sqlalchemy import select

from core.codes import ROLE
from core.typed import TEXT_FIELDS, text_problem
from db.actor import system_actor
from db.engine import database_url, make_engine, reading, transaction
from db.errors import ServiceError, ValidationError

EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED, EXIT_DATABASE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_CODES = """退出码：
  0    完成
  1    已完成，但结果中有问题（evaluate 有问题档案；import 检查未通过，未写入；id-duplicates 发现重复）
  2    未执行：参数有误（日期、编号、选项格式不对）、找不到用户或工会、输入不符合规则、文件无法读取或写入
  3    无法连接数据库，或数据库拒绝了操作（请确认数据库已启动、地址正确）
  4    程序内部错误（设置 JIEKUN_DEBUG=1 可查看详情，请报告）
  130  已中断（Ctrl-C）"""
MAX_ID = 2**31 - 1  # the largest id a column of the store holds
from db.migrate import prepare
from db.models import Org
from db.queries import org_choices


def _engine():
    engine = make_engine()
    prepare(engine)
    return engine


def cmd_init(_args) -> int:
    import os

    from db.engine import sqlite_path
    from db.users import write_cookie_key_file

    _engine()
    print(f"数据库已就绪（已迁移到最新结构）：{_safe_url()}")
    path = sqlite_path(database_url())
    for file in ([path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")] if path else []):
        if file.exists() and file.stat().st_mode & 0o077:
            os.chmod(file, 0o600)
            print(f"已将 {file.name} 改为仅本用户可读写（0600）。")
    written = write_cookie_key_file()
    if written is not None:
        print(f"已生成登录密钥，写入 {written}（仅本用户可读写）。生产环境请改用环境变量 JIEKUN_COOKIE_KEY，详见 docs/security.md。")
    return 0


def cmd_list_orgs(_args) -> int:
    with reading(_engine()) as s:
        for org_id, name in org_choices(s):
            print(f"{org_id:>5}  {name}")
    return 0


def _find_org(session, text: str) -> Org | None:
    text = text.strip()
    if text_problem(text, TEXT_FIELDS["org.name"].limit):  # no union is named so (and PostgreSQL refuses a NUL)
        return None
    if text.isascii() and text.isdigit():  # "²".isdigit() is true, int("²") fails
        return session.get(Org, int(text)) if int(text) <= MAX_ID else None
    return session.scalar(select(Org).where(Org.name == text))


def cmd_create_user(args) -> int:
    from db import users

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("密码：")
    repeat = password if args.password_stdin else getpass.getpass("再次输入密码：")
    with transaction(_engine()) as s:
        org = _find_org(s, args.org) if args.org else None
        if org is None and args.org:
            print(f"找不到工会“{args.org}”（可用 list-orgs 查看）", file=sys.stderr)
            return 2
        if org is None:
            from db.reference import city_org

            org = city_org(s)
        actor = system_actor("manage.py")
        first = users.user_count(s) == 0
        if first and args.role != "admin":
            print("系统中还没有用户：第一个用户必须是管理员（--role admin）", file=sys.stderr)
            return 2
        if args.role == "admin" and org.parent_id is not None:
            print("管理员必须属于市总工会：请去掉 --org，或指定市总工会", file=sys.stderr)
            return 2
        # a refusal leaves the block as ValidationError, so nothing of it is kept (the first-run marker neither);
        # _run prints its messages and exits 2
        if first:
            user = users.create_first_admin(s, username=args.username, display_name=args.name, password=password, password_repeat=repeat)
        else:
            user = users.create_user(s, actor, username=args.username, display_name=args.name, password=password,
                                     password_repeat=repeat, role=args.role, org_id=org.id)
        print(f"已创建用户 {user.username}（{ROLE[user.role]}，{org.name}）")
    return 0


def cmd_demo(args) -> int:
    from demo import load_demo

    started = time.perf_counter()

    def progress(fraction: float, text: str) -> None:
        print(f"\r{fraction:5.0%} {text}", end="", file=sys.stderr, flush=True)

    try:
        summary = load_demo(_engine(), households=args.households, seed=args.seed, progress=progress)
    except ServiceError as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    print("已载入示例数据（虚构，非官方）：" + "，".join(f"{k} {v}" for k, v in summary.items()))
    print(f"用时 {time.perf_counter() - started:.1f} 秒")
    return 0


def cmd_evaluate(args) -> int:
    """One row per file on record at the date; non-zero exit when any row has a problem."""
    import datetime as dt

    from db.evaluation import evaluate_files, report

    try:
        as_of = dt.date.fromisoformat(args.as_of)
    except ValueError:
        print(f"日期“{args.as_of}”格式不正确，应为 YYYY-MM-DD", file=sys.stderr)
        return 2
    with reading(_engine()) as s:
        try:
            table = report(evaluate_files(s, system_actor("evaluate"), as_of))
        except LookupError as exc:  # a parameter with no value in force on that date
            print(str(exc), file=sys.stderr)
            return 2
    if args.out:
        if not _write_csv(table, args.out):
            return EXIT_REFUSED
    else:
        print(table.to_csv(index=False), end="")
    problems = table[table["问题"] != ""]
    counts = table["建议"].value_counts()
    pending = table["待处理"]
    print(f"{as_of:%Y-%m-%d}：{len(table):,} 户在册，可脱困 {counts.get('可脱困', 0):,}，可解困 {counts.get('可解困', 0):,}，"
          f"收入已达标、未记录帮扶 {int((pending == '收入已达标、未记录帮扶').sum()):,}，"
          f"缺近期收入 {int(pending.str.startswith('缺近期收入').sum()):,}，有问题 {len(problems):,}", file=sys.stderr)
    for message in sorted(set(problems["问题"]))[:20]:
        print(f"问题：{message}", file=sys.stderr)
    return 1 if len(problems) else 0


EXPORTS = {"workbook": "档案数据", "档案台账": "困难职工档案台账", "措施台账": "帮扶措施台账", "资金台账": "资金发放台账", "进度表": "解困脱困进度表"}


def _acting_user(session, args, job: str):
    """Who a command acts as: the named user (their scope and role), or the system city-wide — only when asked for
    with --as-system, which the audit log then records. An empty or unknown user is an error (None, message printed)."""
    from db import users

    if args.as_system and args.user is not None:
        print("--user 和 --as-system 只能选一个", file=sys.stderr)
        return None
    if args.as_system:
        return system_actor(f"{job} --as-system")
    if args.user is None:
        print(f"请用 --user 用户名 指明以谁的身份和管辖范围{job}，或用 --as-system 以系统身份（全市）{job}", file=sys.stderr)
        return None
    known = args.user.strip() and not text_problem(args.user.strip(), TEXT_FIELDS["app_user.username"].limit)
    actor = users.actor_for(session, args.user) if known else None
    if actor is None:
        print(f"找不到用户“{args.user}”，或该用户已停用", file=sys.stderr)
    return actor


def cmd_export(args) -> int:
    """The workbook (it re-imports unchanged) or a ledger, within the named user's scope and role."""
    import datetime as dt
    from pathlib import Path

    from db import exporter

    if args.what not in EXPORTS:
        print(f"--what 应为 {'、'.join(EXPORTS)} 之一，而不是“{args.what}”", file=sys.stderr)
        return 2
    title = EXPORTS[args.what]
    if args.what == "workbook" and args.csv:
        print("完整工作簿有多个工作表，不能存为一个 CSV：请去掉 --csv，或用 --what 选择一种台账", file=sys.stderr)
        return 2
    out = Path(args.out or f"{title}_{dt.date.today():%Y%m%d}.{'csv' if args.csv else 'xlsx'}")
    if args.what == "workbook":
        return _export_workbook(args, out, title)
    with transaction(_engine()) as s:  # the export is written to the audit log
        actor = _acting_user(s, args, "导出")
        if actor is None:
            return 2
        try:
            table = exporter.LEDGERS[title](s, actor)
            data = exporter.ledger_csv(table) if args.csv else exporter.ledger_xlsx(title, table)
            rows = f"{len(table[1]):,} 行；"
            exporter.record_export(s, actor, title, len(table[1]))
        except ServiceError as exc:  # a role that may not see files
            print(str(exc), file=sys.stderr)
            return 2
    try:
        out.write_bytes(data)
    except OSError:
        print(f"无法写入文件 {out}：请确认目录存在且可以写入", file=sys.stderr)
        return 2
    print(f"已导出{title}到 {out}（{rows}导出人：{actor.display_name}）")
    return 0


def _export_workbook(args, out, title: str) -> int:
    """The whole workbook, streamed into a file beside `out` as it is read (memory stays flat at any scope) and
    renamed to `out` only when complete: a failure (the disk full, a sheet past Excel's limit) leaves no half file."""
    import errno
    import tempfile

    from core.workbook import WorkbookTooLarge
    from db import exporter

    engine = _engine()
    started = time.monotonic()

    def progress(sheet: str, rows: int) -> None:
        if sheet:
            print(f"正在导出“{sheet}”……（已写 {rows:,} 行，{time.monotonic() - started:.0f} 秒）", flush=True)

    try:  # a device or a pipe (/dev/stdout) is written as it is, never replaced by a file
        part = (open(out, "wb") if out.exists() and not out.is_file() else
                tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".part", delete=False))
    except OSError:
        print(f"无法写入文件 {out}：请确认目录存在且可以写入", file=sys.stderr)
        return EXIT_REFUSED
    try:
        with part, reading(engine) as s:  # a read: SQLite's write lock is not held for the minutes a province takes
            actor = _acting_user(s, args, "导出")
            if actor is None:
                return EXIT_REFUSED
            rows = exporter.write_workbook(s, actor, part, progress=progress)
        if part.name != str(out):
            os.replace(part.name, out)
    except (ServiceError, WorkbookTooLarge) as exc:  # a role that may not see files; a sheet past Excel's limit
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        print(f"无法写入文件 {out}：" + ("磁盘空间不足，请清理空间或换一个位置（--out）后再导出" if full else
                                        f"{exc.strerror or exc}；请确认目录存在且可以写入"), file=sys.stderr)
        return EXIT_REFUSED
    finally:
        if part.name != str(out) and os.path.exists(part.name):
            os.unlink(part.name)
    with transaction(engine) as s:  # who took the files out: written once the file is complete
        exporter.record_export(s, actor, title, rows)
    print(f"已导出{title}到 {out}（{rows:,} 行，{time.monotonic() - started:.0f} 秒；导出人：{actor.display_name}）")
    return 0


def cmd_import(args) -> int:
    """A workbook (or one sheet as CSV) checked whole, then written all or nothing as a batch; problems listed, exit 1."""
    from pathlib import Path

    from db import importer

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError:
        print(f"无法读取文件 {path}", file=sys.stderr)
        return 2
    with transaction(_engine()) as s:
        actor = _acting_user(s, args, "导入")
        if actor is None:
            return 2
        try:
            report = importer.run(s, actor, data, path.name, sheet=args.sheet, dry_run=args.dry_run)
        except importer.ImportRefused as exc:
            print(str(exc), file=sys.stderr)
            for problem in exc.problems:
                print(f"{problem.where()}：{problem.message}", file=sys.stderr)
            return 1
        except ServiceError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    if args.dry_run:
        print(f"检查通过（未写入，--dry-run）：{path.name}")
    else:
        print(f"导入完成（批次 {report.batch_id}，导入人：{actor.display_name}）：{report.summary()}" if report.batch_id else
              f"与系统中的数据一致，没有需要写入的内容（{report.summary()}）")
    return 0


def cmd_id_duplicates(args) -> int:
    """Every 身份证号 held by two or more open files (read in its normal form); exit 1 when there are any."""
    import pandas as pd

    from db.id_duplicates import open_id_duplicates

    with reading(_engine()) as s:
        rows = open_id_duplicates(s, system_actor("id-duplicates"))
    table = pd.DataFrame(rows, columns=["身份证号", "档案编号", "户主姓名", "区县", "身份", "状态", "存储形式"])
    if args.out:
        if not _write_csv(table, args.out):
            return EXIT_REFUSED
    elif len(table):
        print(table.to_csv(index=False), end="")
    people = table["身份证号"].nunique()
    print(f"{people:,} 个身份证号同时在多个未关闭的档案中" if people else "没有同一身份证号在多个未关闭档案中的情况", file=sys.stderr)
    return 1 if people else 0


def _write_csv(table, out: str) -> bool:
    """The table as CSV (UTF-8 with BOM: Excel in China opens it as UTF-8); False, with the message, if it cannot be written."""
    try:
        table.to_csv(out, index=False, encoding="utf-8-sig")
    except OSError:
        print(f"无法写入文件 {out}：请确认目录存在且可以写入", file=sys.stderr)
        return False
    print(f"已写出 {len(table):,} 行到 {out}")
    return True


# argparse's own messages, in the words a user of the command reads
_ARGPARSE_MESSAGES = [
    (r"argument (\S+): invalid int value: '(.*)'", r"参数 \1 应为整数，而不是“\2”"),
    (r"argument (\S+): invalid choice: '(.*?)' \(choose from (.*)\)", r"参数 \1 不能为“\2”，应为：\3"),
    (r"argument (\S+): expected one argument", r"参数 \1 后面要跟一个值"),
    (r"the following arguments are required: (.*)", r"缺少必填的参数：\1"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
    (r"argument (\S+): not allowed with argument (\S+)", r"参数 \1 不能与 \2 同时使用"),
]


class ChineseArgumentParser(argparse.ArgumentParser):
    """Wrong arguments are told in Chinese, with the usage line, and exit 2 (as argparse does)."""

    def error(self, message: str):
        for pattern, chinese in _ARGPARSE_MESSAGES:
            if re.fullmatch(pattern, message):
                message = re.sub(pattern, chinese, message)
                break
        self.print_usage(sys.stderr)
        self.exit(EXIT_REFUSED, f"命令参数有误：{message}\n（用 python manage.py --help 或 python manage.py 命令 --help 查看用法）\n")


def _run(args) -> int:
    """The command, with every failure turned into a Chinese message on stderr and its documented exit code."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("\n已中断", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ValidationError as exc:
        for message in exc.errors.values():
            print(message, file=sys.stderr)
        return EXIT_REFUSED
    except ServiceError as exc:  # a conflict with another save, a record out of scope …
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    except (DBAPIError, SQLAlchemyError) as exc:
        _debug()
        kind = "无法连接数据库" if "connect" in str(exc).lower() or exc.__class__.__name__ == "OperationalError" else "数据库拒绝了操作"
        print(f"{kind}（{_safe_url()}）：请确认数据库已启动、地址和权限正确（{exc.__class__.__name__}）", file=sys.stderr)
        return EXIT_DATABASE
    except OSError as exc:
        _debug()
        print(f"无法读写文件{(' ' + exc.filename) if getattr(exc, 'filename', None) else ''}：{exc.strerror or exc}", file=sys.stderr)
        return EXIT_REFUSED
    except Exception as exc:  # noqa: BLE001 — a bug: say so in Chinese, the details only when asked for
        _debug()
        print(f"程序内部错误（{exc.__class__.__name__}）：命令未完成。设置 JIEKUN_DEBUG=1 后重新运行可查看详情，请报告此问题。", file=sys.stderr)
        return EXIT_INTERNAL


def _debug() -> None:
    if os.environ.get("JIEKUN_DEBUG"):
        import traceback

        traceback.print_exc()


def cmd_backup(args) -> int:
    """SQLite: its online backup API; PostgreSQL: pg_dump in custom format. Exit 2 when refused or failed."""
    from db import backup

    try:
        info = backup.backup(make_engine(), args.file, overwrite=args.yes)
    except ServiceError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"已备份 {_safe_url()} 到 {info.path}（{backup.KIND_NAMES[info.kind]}，结构版本 {info.revision}，"
          f"{info.size / 1e6:.1f} MB；文件含个人信息，请妥善保管）")
    return 0


def cmd_restore(args) -> int:
    """The whole database replaced by a backup of this schema version; a database holding data only with --yes."""
    from db import backup

    try:
        info = backup.restore(make_engine(), args.file, overwrite=args.yes)
    except ServiceError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"已从 {info.path} 恢复 {_safe_url()}（{backup.KIND_NAMES[info.kind]}，结构版本 {info.revision}）")
    return 0


def cmd_verify_audit(_args) -> int:
    """Walk the audit log's chain and recompute every hash; exit 1 naming the first row that does not fit."""
    from db.audit import verify_chain

    with reading(_engine()) as s:
        checked, broken = verify_chain(s)
    if broken is None:
        print(f"操作日志校验通过：共 {checked:,} 条记录，校验链完整，未发现修改或删除。")
        return 0
    when = f"{broken.at:%Y-%m-%d %H:%M:%S}" if broken.at else "时间不明"
    seq = f"序号 {broken.chain_seq}，" if broken.chain_seq is not None else ""
    print(f"操作日志校验失败：第一条有问题的记录是编号 {broken.audit_id}（{seq}{when}，{broken.actor}）：{broken.problem}。"
          f"在它之前的 {checked:,} 条记录完好。", file=sys.stderr)
    return 1


def _safe_url() -> str:
    return make_engine(database_url()).url.render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    parser = ChineseArgumentParser(prog="manage.py", description="困难职工解困脱困工作平台 命令行", epilog=EXIT_CODES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ChineseArgumentParser)
    sub.add_parser("init", help="迁移数据库到最新结构").set_defaults(func=cmd_init)
    sub.add_parser("list-orgs", help="列出工会组织").set_defaults(func=cmd_list_orgs)
    p = sub.add_parser("create-user", help="创建用户（系统中没有用户时，第一个必须是管理员）")
    p.add_argument("username")
    p.add_argument("--name", required=True, help="姓名")
    p.add_argument("--role", choices=list(ROLE), default="staff")
    p.add_argument("--org", help="所属工会的名称或编号（默认市总工会）")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（用于脚本）")
    p.set_defaults(func=cmd_create_user)
    p = sub.add_parser("demo", help="载入示例数据（只能载入没有档案的数据库）")
    p.add_argument("--households", type=int, default=3500)
    p.add_argument("--seed", type=int, default=20171231)
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("evaluate", help="按某日评估每户是否可脱困/可解困（有问题时返回非零）")
    p.add_argument("--as-of", required=True, help="评估日期 YYYY-MM-DD（判断该月；该月尚无收入的，按参数可顺延到此前月份）")
    p.add_argument("--out", help="写出 CSV 文件（UTF-8，带 BOM，Excel 可直接打开）")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("import", help="导入工作簿（或单个工作表的 CSV）：先检查，全部无误才写入，记为一个可撤销的批次")
    p.add_argument("file", help=".xlsx 或 .xls 工作簿，或 .csv（UTF-8 或 GB18030）")
    p.add_argument("--sheet", help="CSV 对应的工作表名称，如 月收入")
    p.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    p.add_argument("--user", help="以该用户的身份和管辖范围导入")
    p.add_argument("--as-system", action="store_true", help="以系统身份导入（全市，操作日志记为系统）；与 --user 二选一")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("export", help="导出档案工作簿（可原样导入）或上报台账（Excel 或 CSV）")
    p.add_argument("--what", default="workbook", help="workbook（默认）、档案台账、措施台账、资金台账 或 进度表")
    p.add_argument("--out", help="写出的文件（默认按台账名称和日期命名）")
    p.add_argument("--user", help="以该用户的身份和管辖范围导出")
    p.add_argument("--as-system", action="store_true", help="以系统身份导出（全市，操作日志记为系统）；与 --user 二选一")
    p.add_argument("--csv", action="store_true", help="写 CSV（UTF-8，带 BOM）而不是 Excel")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("id-duplicates", help="列出同一身份证号（按规范化后的形式）在多个未关闭档案中的情况（有则返回 1）")
    p.add_argument("--out", help="写出 CSV 文件（UTF-8，带 BOM）")
    p.set_defaults(func=cmd_id_duplicates)
    p = sub.add_parser("backup", help="备份整个数据库到文件（SQLite 在线备份，PostgreSQL 用 pg_dump 自定义格式；应用运行时也可备份）")
    p.add_argument("file", help="备份文件（文件含个人信息，仅所有者可读）")
    p.add_argument("--yes", action="store_true", help="文件已存在时覆盖它")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="用备份文件替换整个数据库（只接受本版本程序的备份；数据库中已有数据时须加 --yes）")
    p.add_argument("file", help="manage.py backup 写出的备份文件")
    p.add_argument("--yes", action="store_true", help="确认用备份覆盖数据库中现有的全部数据")
    p.set_defaults(func=cmd_restore)
    sub.add_parser("verify-audit", help="校验操作日志的校验链（被修改或删除时返回 1，并指出第一条有问题的记录）").set_defaults(
        func=cmd_verify_audit)
    args = parser.parse_args(argv)
    return _run(args)


if __name__ == "__main__":
    sys.exit(main())
