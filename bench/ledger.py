#!/usr/bin/env python3
"""How long 资金台账 takes: the first run, a warm rerun, the first run after someone else's save, and a click.

Loads the demo data (default 3,500 households) into a temporary SQLite file and drives the real page with
streamlit.testing as a city-wide administrator (who also sees the rows), next to the old way in the same run: the
database summing the payments and counting the households of the view on every click (the queries the page ran
before it read the shared snapshot, kept here for the comparison).

With --database-url it times the service path on an existing database instead (read only, nothing is written):
the snapshot read once, then the ledger of the whole city and of one district, a click, the rows shown, and the old
queries.

  .venv/bin/python bench/ledger.py
  .venv/bin/python bench/ledger.py --households 200          # the short form the tests run
  .venv/bin/python bench/ledger.py --database-url sqlite:////work/data/p200k.db
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
logging.disable(logging.WARNING)


def _old_way(session, actor, today: dt.date, view) -> int:
    """The page's database work per click before the snapshot: the summary summed by SQL, then the households."""
    from sqlalchemy import case, distinct, extract, func, select

    from db.models import AidPayment, Household, Place
    from db.scope import org_filter

    year = extract("year", AidPayment.paid_on)
    due = case((AidPayment.paid_on <= today, 1), else_=0)
    keys = (year, Place.name, AidPayment.fund_source, AidPayment.track, AidPayment.programme, due)
    stmt = (select(*keys, func.sum(AidPayment.amount_fen), func.count())
            .join(Household, Household.id == AidPayment.household_id).join(Place, Place.code == Household.place_code)
            .group_by(*keys))
    rows = session.execute(org_filter(stmt, actor)).all()
    count = (select(func.count(distinct(AidPayment.household_id))).join(Household, Household.id == AidPayment.household_id)
             .join(Place, Place.code == Household.place_code))
    if not view.planned:
        count = count.where(AidPayment.paid_on <= today)
    if view.year is not None:
        count = count.where(AidPayment.paid_on >= dt.date(view.year, 1, 1), AidPayment.paid_on <= dt.date(view.year, 12, 31))
    if view.place:
        count = count.where(Place.name == view.place)
    if view.funds:
        count = count.where(AidPayment.fund_source.in_(view.funds))
    session.scalar(org_filter(count, actor))
    return len(rows)


def _seconds(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _median(run, times: int = 3) -> float:
    return statistics.median(_seconds(run) for _ in range(times))


def _page(args) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["JIEKUN_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.db'}"
        os.environ.setdefault("JIEKUN_COOKIE_KEY", secrets.token_urlsafe(32))  # a throwaway key for this run's logins
        from sqlalchemy import select
        from streamlit.testing.v1 import AppTest

        from db import ledger, measures
        from db.actor import Actor, system_actor
        from db.engine import make_engine, reading, transaction
        from db.migrate import prepare
        from db.models import Household, Org
        from db.reference import city_org
        from db.users import create_user, start_session
        from demo import load_demo
        from ui.login import SESSION_KEY

        engine = make_engine()
        prepare(engine)
        load_demo(engine, households=args.households)
        with transaction(engine) as session:
            user = create_user(session, system_actor("bench"), username="bench", display_name="bench", password="bench-pass-1",
                               role="admin", org_id=city_org(session).id)
            login = start_session(session, user)
            city = Actor(username="bench", display_name="bench", role="admin", org_id=user.org_id, org_path=city_org(session).path,
                         org_name="秦皇岛市总工会")
            org = session.scalar(select(Org).where(Org.name == "海港区总工会"))
            other = Actor(username="other", display_name="海港区干事", role="staff", org_id=org.id, org_path=org.path, org_name=org.name)
            files = session.scalars(select(Household.id).join(Org, Org.id == Household.org_id)
                                    .where(Org.path.startswith(org.path), Household.status == "active")
                                    .order_by(Household.id).limit(3)).all()

        def someone_saves(n: int) -> None:
            with transaction(engine) as session:
                measures.add_payment(session, other, files[n % len(files)],
                                     {"amount": f"{100 + n}", "fund_source": "donation", "paid_on": dt.date.today()})

        def old(view) -> None:
            with reading(engine) as session:
                _old_way(session, city, dt.date.today(), view)

        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.session_state[SESSION_KEY] = login.id  # logged in as "bench"
        at.run()
        at.switch_page("screens/ledger.py")

        def run() -> None:
            at.run()
            if at.exception:
                raise SystemExit(f"the ledger failed: {at.exception}")

        first = _seconds(run)
        warm = _median(run, 5)
        after_save = []
        for n in range(3):
            someone_saves(n)
            after_save.append(_seconds(run))
        year = at.selectbox(key="lg_year")
        years = [y for y in year.options if y != "全部年度"]
        clicks = {}
        middle = int(years[len(years) // 2].rstrip("年"))
        year.set_value(middle)
        clicks[f"年度 → {middle}年"] = _seconds(run)
        at.selectbox(key="lg_place").set_value("海港区")
        clicks["区县 → 海港区"] = _seconds(run)
        at.multiselect(key="lg_funds").set_value(["union"])
        clicks["资金来源 → 工会经费"] = _seconds(run)
        at.toggle(key="lg_planned").set_value(True)
        clicks["包含计划待发放"] = _seconds(run)
        figures = {m.label: m.value for m in at.metric}
        if not at.dataframe or figures.get("发放笔数", "0") == "0":
            raise SystemExit(f"the last view should have payments: {figures}")
        at.switch_page("screens/home.py")
        run()
        home = _median(run)
        old_cold = _median(lambda: old(ledger.View(year=dt.date.today().year)))
        old_click = _median(lambda: old(ledger.View(place="海港区", funds=("union",))))
    print(f"demo data: {args.households:,} households, {len(years)} years of payments")
    print(f"资金台账 first run (snapshot read whole):      {first:6.2f} s")
    print(f"资金台账 warm rerun (median of 5):             {warm:6.2f} s")
    print(f"资金台账 first run after another user's save:  {statistics.median(after_save):6.2f} s (median of 3)")
    for what, seconds in clicks.items():
        print(f"资金台账 a click, {what:<16}        {seconds:6.2f} s")
    print(f"the last view: {figures}")
    print(f"home page rerun (median of 3):                {home:6.2f} s   (the app's own cost per run, for comparison)")
    print(f"old way, the database's summary + households (median of 3): {old_cold:6.2f} s every run, "
          f"{old_click:6.2f} s a click (on top of the page itself)")
    return 0


def _service(args) -> int:
    from sqlalchemy import select

    from db import ledger, snapshot
    from db.actor import Actor
    from db.engine import make_engine, reading
    from db.models import Org

    today = dt.date.today() if args.today is None else dt.date.fromisoformat(args.today)
    engine = make_engine(args.database_url)
    started = time.perf_counter()
    with reading(engine) as session:
        whole = snapshot.load(session)
        orgs = {name: session.scalar(select(Org).where(Org.name == name)) for name in ("秦皇岛市总工会", args.district)}
    loaded = time.perf_counter() - started
    print(f"{engine.url.render_as_string(hide_password=True)}: {len(whole.files):,} files, {len(whole.payments):,} payments; "
          f"snapshot read whole in {loaded:.1f} s (once per server process)")
    for name, org in orgs.items():
        role = "admin" if org.path.count("/") <= 2 else "staff"  # the city's administrator, a district's staff
        actor = Actor(username="bench", display_name="bench", role=role, org_id=org.id, org_path=org.path, org_name=org.name)
        scoped = [None]
        scope_s = _seconds(lambda: scoped.__setitem__(0, snapshot.scoped(whole, actor)))
        snap = scoped[0]
        book = [None]
        book_s = _median(lambda: book.__setitem__(0, ledger.book_from(snap, actor, today)))
        years = sorted(book[0].summary["year"].unique())
        place = sorted(book[0].summary["区县"].unique())[0]
        view = ledger.View(year=int(years[-1]), place=place, funds=("union",))
        click = _median(lambda: (ledger.chosen(book[0].summary, view), ledger.households_in(book[0], view)), 5)
        shown = _median(lambda: ledger.detail_from(snap, actor, view, today, limit=1000), 3)
        every = _median(lambda: ledger.detail_from(snap, actor, ledger.View(year=int(years[-1])), today, limit=1000), 3)
        with reading(engine) as session:
            old = _median(lambda: _old_way(session, actor, today, view), 1 if args.quick else 3)
        print(f"{name}: {len(snap.files):,} files, {len(snap.payments):,} payments, "
              f"{len(book[0].summary):,} summary rows, {len(book[0].reach):,} household rows")
        print(f"  scope filtered from the snapshot:              {scope_s:6.2f} s (once per scope and data version)")
        print(f"  ledger aggregated (book_from, median of 3):    {book_s:6.2f} s (after a payment is saved)")
        print(f"  a click (the view's sums + households):        {click:6.3f} s")
        print(f"  the newest 1,000 rows of that view:            {shown:6.3f} s")
        print(f"  the newest 1,000 rows of {years[-1]}年, every district: {every:6.3f} s")
        print(f"  old way (the database's summary + households): {old:6.2f} s every click")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=3500)
    parser.add_argument("--database-url", help="time the service path on this database (read only)")
    parser.add_argument("--district", default="海港区总工会", help="the district union timed next to the city")
    parser.add_argument("--today", help="the day the payments are due by (ISO date; default today)")
    parser.add_argument("--quick", action="store_true", help="time the old queries once, not three times")
    args = parser.parse_args()
    return _service(args) if args.database_url else _page(args)


if __name__ == "__main__":
    raise SystemExit(main())
