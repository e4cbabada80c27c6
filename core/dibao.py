"""The 低保 line: a table of (district, effective date, fen per person per month).

A month with no line in force is an error the user sees, never a silent fallback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable


class NoLineInForce(LookupError):
    def __init__(self, place_name: str, month: dt.date):
        self.place_name, self.month = place_name, month
        super().__init__(f"{place_name} {month:%Y年%m月} 没有生效的低保标准，请管理员先录入")


def line_on(lines: Iterable[tuple[dt.date, int]], on: dt.date, place_name: str) -> int:
    """The line (fen) in force on `on` from one district's (effective_from, amount_fen) rows."""
    in_force = [(start, amount) for start, amount in lines if start <= on]
    if not in_force:
        raise NoLineInForce(place_name, on)
    return max(in_force)[1]
