"""Demo data: a fictitious but realistic city of hardship files for 秦皇岛, 2014–2020.

Everything here is invented. The 低保 lines are flagged `is_demo` and say so in their note; the
people, ID numbers, phones and accounts belong to no one. The data tells the policy's story:
files opened 2014–2017 (the baseline cohort) and 2018–2020 (新增), monthly incomes from 2017 on,
most households climbing above the line and closing as 脱困, the hard cases relieved (解困) under
the safety net, a few never getting out, withdrawn or falling back (返困).

Each filed household's 困难类别 is not drawn but assessed with `core.category.assess` under the
"national_2016" rule set, from the demo's own recorded months and lines, exactly as the app's
"重新认定" would: on the filing day, or on 2017-06-30 (the first day with six months of incomes) for
files opened earlier, over the (at most six) months recorded up to then. The months before that day
are shaped so that the rule gives the category the household's story calls for.

Deterministic: one `random.Random(seed)` drives every choice in a fixed order, and all dates are
fixed, so the same seed and household count give the same rows. Rows are built in memory with
primary keys assigned here and written with bulk inserts in one transaction.

The package sits above db/ (it reads the store's models and writes through db.engine and db.audit)
and below nothing: manage.py, screens/setup.py, bench/ and the tests import it. Its parts:

    places      districts, towns, unions and employers (the invented geography)
    people      name pools and identifiers
    unions      the union tree, the helpers and staff
    households  which files open when, heads, members, causes, profile
    incomes     低保 lines, monthly incomes, the category as assessed, closing and reopening
    process     the filing steps, exclusion checks, status history, assistance records
    measures    measures and payments
    visits      pairings and visits
    city        DemoCity: the parts put together, one household at a time
    rows        rows held in memory and their bulk insert
    load        load_demo: one transaction into an empty database
"""

from demo.base import DEMO_NOTE, Story
from demo.city import DemoCity
from demo.load import load_demo
from demo.places import DISTRICT_SPECS
from demo.rows import TABLES, Pending, with_column_defaults, write_rows

__all__ = ["DEMO_NOTE", "DISTRICT_SPECS", "TABLES", "DemoCity", "Pending", "Story", "load_demo",
           "with_column_defaults", "write_rows"]
