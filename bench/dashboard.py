#!/usr/bin/env python3
"""How long the progress dashboard's script run takes: the first load, reruns, and a new filter.

Loads the demo data (default 3,500 households) into a temporary SQLite file, then drives the real app
with streamlit.testing (the same script runs a browser would trigger), as a city-wide administrator.

  .venv/bin/python bench/dashboard.py
  .venv/bin/python bench/dashboard.py --households 300     # the short form the tests run
"""

from __future__ import annotations

import argparse
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


def timed(at) -> float:
    started = time.perf_counter()
    at.run()
    if at.exception:
        raise SystemExit(f"the dashboard failed: {at.exception}")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=3500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["JIEKUN_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.db'}"
        os.environ.setdefault("JIEKUN_COOKIE_KEY", secrets.token_urlsafe(32))  # a throwaway key for this run's logins
        from streamlit.testing.v1 import AppTest

        from db.actor import system_actor
        from demo import load_demo
        from db.engine import make_engine, transaction
        from db.migrate import prepare
        from db.reference import city_org
        from db.users import create_user, start_session
        from ui.login import SESSION_KEY

        engine = make_engine()
        prepare(engine)
        load_demo(engine, households=args.households)
        with transaction(engine) as session:
            user = create_user(session, system_actor("bench"), username="bench", display_name="bench", password="bench-pass-1",
                               role="admin", org_id=city_org(session).id)
            login = start_session(session, user)
        engine.dispose()

        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.session_state[SESSION_KEY] = login.id  # logged in as "bench"
        at.run()
        at.switch_page("screens/dashboard.py")
        first = timed(at)
        reruns = [timed(at) for _ in range(5)]
        at.selectbox(key="db_place").set_value("海港区")
        new_filter = timed(at)
        at.switch_page("screens/home.py")
        home = statistics.median([timed(at) for _ in range(3)])
    print(f"demo data: {args.households:,} households")
    print(f"dashboard first load:      {first:6.2f} s")
    print(f"dashboard rerun (median):  {statistics.median(reruns):6.2f} s   (target: well under 1 s after the first load)")
    print(f"dashboard, a new filter:   {new_filter:6.2f} s")
    print(f"home page rerun (median):  {home:6.2f} s   (the app's own cost per run, for comparison)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
