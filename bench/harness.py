"""What the benchmarks (and the browser tests) share: a timed AppTest run, stopping a server they started."""

from __future__ import annotations

import os
import signal
import subprocess
import time


def timed(at) -> float:
    """One script run of `at` (an AppTest), in seconds; a run that raised ends the benchmark with its error."""
    started = time.perf_counter()
    at.run()
    if at.exception:
        raise SystemExit(f"the page failed: {at.exception}")
    return time.perf_counter() - started


def stop_server(server: subprocess.Popen) -> None:
    """A `streamlit run` server and any child of it (started in a process group of its own)."""
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    except ProcessLookupError:
        pass
