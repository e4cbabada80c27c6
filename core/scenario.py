"""政策模拟方案 (scenarios): named sets of dated overrides on the baseline parameters, as a transform of dated tables.

(Being written: the validation, the content hash and `resolve` land with the scenario store.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class DatedTables:
    """The dated policy data a computation reads: the 低保 lines and the dated parameters.

    lines:  place_code, effective_from (date), amount_fen (int) — the same shape as the store's dibao_line
    params: key -> [(effective_from, value text)] — the same rows core.parameters.value_on reads
    """

    lines: pd.DataFrame
    params: dict[str, list[tuple[dt.date, str]]]
