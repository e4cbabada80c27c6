"""资金台账: payment totals by any two of programme, track, fund, district and year, in integer fen.

Totals are sums of the payment rows and nothing else, so every figure can be traced to the rows
(and the grand total equals the sum of the rows exactly).
"""

from __future__ import annotations

import pandas as pd

TOTAL = "合计"


def totals(payments: pd.DataFrame, rows: str, columns: str | None = None) -> pd.DataFrame:
    """Sum of `amount_fen` by `rows` (and `columns`), with a 合计 row (and column). Integer fen."""
    if payments.empty:
        index = pd.Index([TOTAL], name=rows)
        return pd.DataFrame({TOTAL: [0]}, index=index)
    if columns is None:
        table = payments.groupby(rows, sort=True)["amount_fen"].sum().to_frame(TOTAL)
        table.loc[TOTAL] = int(payments["amount_fen"].sum())
        return table.astype("int64")
    table = payments.pivot_table(index=rows, columns=columns, values="amount_fen", aggfunc="sum", fill_value=0,
                                 margins=True, margins_name=TOTAL, observed=True)
    table.columns.name = None
    return table.astype("int64")

