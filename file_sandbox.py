"""Reads uploaded files in a child process with a wall-time and a memory limit.

A spreadsheet reader given a hostile file (one cell at XFD1048576, a sheet that lies about its size, a zip
bomb, a damaged .xls) can take gigabytes and minutes or abort natively; inside the server that would end every
user's session. Here the reader (`core.workbook.read_tables`, which first applies the declared-size check
`core.workbook.check_extent`) runs in a fresh Python process whose address space is capped with RLIMIT_AS and
which is killed when its time is up. A child that dies for any reason costs one refusal (`FileUnreadable`, a
Chinese message), never the server. The child hands back plain data (rows of cells) by pickle, read with an
unpickler that builds nothing but the date and time types a cell can hold.

The import page, the 低保名单比对 and `manage.py import` all read through `read_tables`.
"""

from __future__ import annotations

import csv
import io
import pickle
import resource
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from core.workbook import Unreadable, WorkbookTooLarge

TIME_LIMIT_SECONDS = 60                  # wall time for reading one file
MEMORY_LIMIT_BYTES = 1536 * 1024 * 1024  # the child's whole address space (interpreter included): 1.5 GB
# A large honest workbook (100,000 households with 48 months of incomes: about 110 MB, 34 million cells) needs more:
# its limits grow with the file's size, measured at about 0.8 s and 40 bytes of memory per byte of file. A small
# hostile file (one far cell, a zip bomb: a few KB or MB) keeps the base limits.
SECONDS_PER_MB = 2.0
MEMORY_PER_FILE_BYTE = 64
CONCURRENT_READS = 2                     # children at once, so many uploads together cannot exhaust the machine either

REFUSAL = ("文件无法读取：读取它超出了允许的时间（{seconds} 秒）或内存（{memory}），或读取时出错退出。"
           "请确认它是用 Excel 或 WPS 保存的正常文件，删除数据以外的行、列和工作表，另存后再上传")

ROOT = Path(__file__).resolve().parent
_SLOTS = threading.BoundedSemaphore(CONCURRENT_READS)  # one server process: its sessions are threads


class FileUnreadable(Unreadable):
    """The child reading the file died, ran out of memory or out of time."""


def _memory_text(memory_bytes: int) -> str:
    return f"{memory_bytes / 1024 ** 3:.1f} GB" if memory_bytes >= 1024 ** 3 else f"{memory_bytes / 1024 ** 2:.0f} MB"


class _CellsUnpickler(pickle.Unpickler):
    """Rows of cells hold str, int, float, bool, None and the datetime types: nothing else may be built."""

    ALLOWED = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "time"), ("datetime", "timedelta")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a cell value")


def limits(size: int) -> tuple[float, int]:
    """(seconds, bytes of memory) for reading a file of `size` bytes."""
    return TIME_LIMIT_SECONDS + SECONDS_PER_MB * size / 1e6, MEMORY_LIMIT_BYTES + MEMORY_PER_FILE_BYTE * size


def read_tables(data: bytes, kind: str, *, seconds: float | None = None,
                memory_bytes: int | None = None) -> dict[str, list[list[Any]]]:
    """`core.workbook.read_tables(data, kind)`, run in a child process within `seconds` and `memory_bytes` (by default
    the `limits` for the file's size).

    Raises what that raises for a file it refuses (WorkbookTooLarge, csv.Error for a CSV in no known encoding,
    ValueError for a damaged workbook), and FileUnreadable when the child does not come back with the cells."""
    default_seconds, default_memory = limits(len(data))
    seconds = default_seconds if seconds is None else seconds
    memory_bytes = default_memory if memory_bytes is None else memory_bytes
    refusal = FileUnreadable(REFUSAL.format(seconds=f"{seconds:.0f}" if seconds >= 1 else f"{seconds:g}",
                                            memory=_memory_text(memory_bytes)))
    with _SLOTS:  # a further upload waits for a slot; its own time starts when its child does
        out, returncode = _run_child(data, kind, seconds, memory_bytes, refusal)
    if returncode != 0:
        raise refusal
    try:
        outcome, payload = _CellsUnpickler(io.BytesIO(out)).load()
    except Exception:
        raise refusal from None
    if outcome == "ok":
        return payload
    if outcome == "too_large":
        raise WorkbookTooLarge(payload)
    if outcome == "csv":
        raise csv.Error(payload)
    raise ValueError(payload)  # a damaged or mislabelled workbook: the caller says so


def _run_child(data: bytes, kind: str, seconds: float, memory_bytes: int, refusal: FileUnreadable) -> tuple[bytes, int]:
    child = subprocess.Popen([sys.executable, "-m", "file_sandbox", kind, str(int(memory_bytes))], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        out, _ = child.communicate(data, timeout=seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise refusal from None
    return out, child.returncode


def _child(kind: str, memory_bytes: int) -> int:
    """In the child: limit the address space, read the file from stdin, write the outcome to stdout."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    data = sys.stdin.buffer.read()
    from core.workbook import read_tables as read_here

    try:
        result: tuple[str, Any] = ("ok", read_here(data, kind))
    except MemoryError:
        return 3
    except WorkbookTooLarge as exc:
        result = ("too_large", str(exc))
    except (UnicodeDecodeError, csv.Error) as exc:
        result = ("csv", type(exc).__name__)
    except Exception as exc:  # a damaged file: the parent gives the caller's message
        result = ("damaged", type(exc).__name__)
    del data
    try:
        pickle.dump(result, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
        sys.stdout.buffer.flush()
    except MemoryError:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1], int(sys.argv[2])))
