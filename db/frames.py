"""Query results as pandas frames, fast.

pandas probes each SQLAlchemy Row for attributes when it builds a frame (hundreds of thousands of
failed lookups for a large result); plain tuples build the same frame about three times faster.
"""

from __future__ import annotations

from collections.abc import Iterable



def plain(rows: Iterable) -> list[tuple]:
    """Rows of a result as plain tuples, ready for pd.DataFrame(..., columns=...)."""
    return [tuple(row) for row in rows]
