"""What the benchmarks that drive the app with streamlit.testing share."""

from __future__ import annotations

import time


def timed(at) -> float:
    """One script run of `at` (an AppTest), in seconds; a run that raised ends the benchmark with its error."""
    started = time.perf_counter()
    at.run()
    if at.exception:
        raise SystemExit(f"the page failed: {at.exception}")
    return time.perf_counter() - started
