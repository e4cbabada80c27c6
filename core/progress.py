"""Progress against the yearly targets (DOMAIN.md, "Targets"): pure functions over plain tables.

The cohort is every household 在档 on the baseline date (default 2017-12-31). Of that cohort, the
yearly shares (default 50 / 40 / 10 %) are to be out — 脱困 or 解困 — by the end of each year,
cumulatively 50 / 90 / 100 %. Every figure is rebuilt from the status history as of a date, so last
year's figures do not move when today's data is corrected. Files opened after the baseline (新增) and
files reopened (返困) are counted apart.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.parameters import cumulative_targets
from core.status_engine import status_as_of

OUT = ("exited", "relieved")
ALL = "全市"


def cohort(changes: pd.DataFrame, baseline: dt.date) -> pd.Index:
    """The households 在档 on the baseline date."""
    on = status_as_of(changes, baseline)
    return pd.Index(on[on == "active"].index)


def out_by(changes: pd.DataFrame, households: pd.Index, day: dt.date) -> pd.Series:
    """For each household: out (脱困/解困) on `day` or not."""
    status = status_as_of(changes, day).reindex(households)
    return status.isin(OUT)


def by_year(files: pd.DataFrame, changes: pd.DataFrame, baseline: dt.date, shares: dict[int, int],
            group: str | None = "place_name", as_of: dt.date | None = None) -> pd.DataFrame:
    """Target against achieved per year, for the city and (with `group`) each group of files.

    files: household_id plus the grouping column. Years after `as_of` show their targets only.
    Columns: 范围, 年份, 基数, 年度目标%, 累计目标%, 累计目标户数, 累计完成户数, 累计完成%, 当年完成户数, 完成率%, 差距户数.
    """
    base = cohort(changes, baseline)
    groups = files.set_index("household_id").reindex(base)[group] if group else pd.Series(ALL, index=base)
    cumulative = cumulative_targets(shares)
    rows = []
    previous: dict[str, pd.Series] = {}
    for year in sorted(shares):
        year_end = dt.date(year, 12, 31)
        known = as_of is None or as_of >= dt.date(year, 1, 1)  # a year not begun yet shows its target only
        day = min(year_end, as_of) if as_of else year_end
        out = out_by(changes, base, day) if known else pd.Series(False, index=base)
        for name, members in [(ALL, base)] + ([(g, groups.index[groups == g]) for g in sorted(groups.dropna().unique())] if group else []):
            size = len(members)
            done = int(out.reindex(members).sum()) if known else 0
            before = previous.get(name, 0)
            target_n = int(np.ceil(size * cumulative[year] / 100))
            rows.append({
                "范围": name, "年份": year, "基数": size, "年度目标%": shares[year], "累计目标%": cumulative[year],
                "累计目标户数": target_n, "累计完成户数": done if known else None,
                "累计完成%": round(100 * done / size, 1) if size and known else None,
                "当年完成户数": done - before if known else None,
                "完成率%": round(100 * done / target_n, 1) if target_n and known else None,
                "差距户数": max(target_n - done, 0) if known else None,
            })
            previous[name] = done
    return pd.DataFrame(rows)


def monthly_share(changes: pd.DataFrame, baseline: dt.date, until: dt.date, households: pd.Index | None = None) -> pd.DataFrame:
    """Month by month from the baseline: the share of the cohort that is out (for the progress line)."""
    base = cohort(changes, baseline) if households is None else households
    rows = []
    index = baseline.year * 12 + baseline.month  # the month after the baseline
    end = until.year * 12 + until.month - 1
    while index <= end:
        year, month = divmod(index, 12)
        month_end = (dt.date(year + (month == 11), (month + 1) % 12 + 1, 1) - dt.timedelta(days=1))
        share = float(out_by(changes, base, month_end).mean()) * 100 if len(base) else 0.0
        rows.append({"月份": pd.Timestamp(month_end), "累计完成%": round(share, 1)})
        index += 1
    return pd.DataFrame(rows, columns=["月份", "累计完成%"])


def target_steps(shares: dict[int, int], baseline: dt.date) -> pd.DataFrame:
    """The cumulative target as a step line: 0 at the baseline, then each year's target at its end."""
    rows = [{"月份": pd.Timestamp(baseline), "目标%": 0}]
    rows += [{"月份": pd.Timestamp(dt.date(year, 12, 31)), "目标%": pct} for year, pct in cumulative_targets(shares).items()]
    return pd.DataFrame(rows)


def new_and_reopened(changes: pd.DataFrame, baseline: dt.date, as_of: dt.date) -> dict[str, int]:
    """Files opened after the baseline (新增) and how many are out; files reopened (返困)."""
    first_active = changes[changes["to_status"] == "active"].groupby("household_id")["effective_on"].min()
    first_active = pd.to_datetime(first_active)
    new = first_active[(first_active > pd.Timestamp(baseline)) & (first_active <= pd.Timestamp(as_of))].index
    reopened = changes[(changes["reason"] == "reopened") & (pd.to_datetime(changes["effective_on"]) <= pd.Timestamp(as_of))]
    return {
        "新增": len(new),
        "新增已解困脱困": int(out_by(changes, pd.Index(new), as_of).sum()),
        "返困": int(reopened["household_id"].nunique()),
    }
