"""The benchmark scripts run (in their short form); their figures are read by people, not asserted."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_search_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/search_files.py", "--files", "3000"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "3,000 files" in result.stdout and "slowest search" in result.stdout
    # every search found what it looked for
    lines = [l for l in result.stdout.splitlines() if l.startswith(("完整身份证号", "档案编号", "姓名"))]
    assert len(lines) == 8 and all(not l.rstrip().endswith(" 0") for l in lines)


def test_status_engine_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/status_engine.py", "--households", "3000", "--sample", "200"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ratio:" in result.stdout and "3,000 households" in result.stdout and "可脱困" in result.stdout


def test_dashboard_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/dashboard.py", "--households", "200"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "dashboard rerun (median)" in result.stdout and "200 households" in result.stdout


def test_worklist_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/worklist.py", "--households", "300"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "work queues, whole city" in result.stdout and "in one transaction" in result.stdout


def test_import_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/import_workbook.py", "--households", "200", "--months", "12"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "家庭档案：新增 200" in result.stdout and "月收入：新增 2,400" in result.stdout and "ratio" in result.stdout


def test_upload_sandbox_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/upload_sandbox.py", "--households", "50"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("FileUnreadable") == 4 and "this process survived" in result.stdout


def test_backup_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/backup.py", "--households", "100"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "sqlite: 100 households" in result.stdout and "row count the same afterwards: yes" in result.stdout


def test_load_script_runs_in_short_form_with_no_error_and_no_lost_write():
    result = subprocess.run([sys.executable, "bench/load_writers.py", "--db", "sqlite", "--writers", "8", "--seconds", "3",
                             "--households", "20", "--files", "6"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "load: 8 writers on sqlite" in result.stdout and "p95" in result.stdout
    assert "errors: 0" in result.stdout and "lost writes: 0" in result.stdout


def test_policy_lab_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/policy_lab.py", "--households", "3000", "--no-demo", "--runs", "2"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "3,000 households" in result.stdout and "ratio" in result.stdout
    # the lab's first months out are the per-date evaluation's, household by household
    assert "agree for 3,000 of 3,000 households" in result.stdout


def test_category_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/category_many.py", "--households", "3000", "--sample", "200"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "3,000 households" in result.stdout and "national_2016" in result.stdout and "deep_relative_2019" in result.stdout


def test_snapshot_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/snapshot.py", "--households", "300", "--runs", "1"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refresh after one save" in result.stdout and "quicker than the whole read" in result.stdout


def test_pages_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/pages.py", "--households", "300", "--runs", "1"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith(("bench-pages", "bench-district"))]
    assert len(rows) == 10  # five pages, two users, each with its three figures


def test_sessions_load_script_runs_in_short_form_with_no_error():
    result = subprocess.run([sys.executable, "bench/sessions.py", "--sessions", "3", "--seconds", "5", "--households", "300"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "sessions: 3 on 300 households" in result.stdout and "errors: 0" in result.stdout
    # every session logged in and clicked: none of the figures is missing
    assert "logins, all at once: 3," in result.stdout and "page runs (进度看板 ↔ 首页): none" not in result.stdout


def test_logins_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/logins.py", "--logins", "4", "--households", "300"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "4 logins at once" in result.stdout and "waited" in result.stdout and "worklist" in result.stdout

def test_export_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/export_workbook.py", "--households", "300"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "300 households" in result.stdout and "streamed export:" in result.stdout and "ratio (old / streamed)" in result.stdout
    assert ", 0 problems" in result.stdout  # the streamed workbook reads back as the import reads it

def test_ledger_benchmark_runs_in_short_form():
    result = subprocess.run([sys.executable, "bench/ledger.py", "--households", "200"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "200 households" in result.stdout and "first run after another user's save" in result.stdout
    assert "a click, 区县" in result.stdout and "old way" in result.stdout
