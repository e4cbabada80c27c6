"""资金台账 under AppTest, on the server's shared snapshot: one user's save reaches another user's totals."""

import datetime as dt

from db import measures
from db.engine import transaction
from tests.db.support import actor_of, add_file
from tests.screens.conftest import app_as, assert_ok, make_user

TODAY = dt.date.today()


def _metric(at, label: str) -> str:
    return next(m for m in at.metric if label in m.label).value


def test_a_payment_saved_by_one_user_is_in_another_users_totals_on_their_next_run(app_db):
    make_user(app_db, "boss", "viewer", "秦皇岛市总工会")
    make_user(app_db, "hgstaff", "staff", "海港区总工会")
    with transaction(app_db) as s:
        first, second = add_file(s, 1, causes=("6",)).id, add_file(s, 2, causes=("6",)).id
        measures.add_payment(s, actor_of(s), first, {"amount": "100", "fund_source": "union", "paid_on": TODAY}, today=TODAY)
    boss = app_as("boss").run()
    boss.switch_page("screens/ledger.py").run()
    assert_ok(boss)
    assert _metric(boss, "发放合计") == "100.00" and _metric(boss, "受助户数") == "1"

    staff = app_as("hgstaff").run()  # another user, another browser session, the same server
    staff.switch_page("screens/ledger.py").run()
    assert_ok(staff)
    with transaction(app_db) as s:
        measures.add_payment(s, actor_of(s, "海港区总工会"), second, {"amount": "23.45", "fund_source": "donation",
                                                                  "paid_on": TODAY, "note": "送温暖"}, today=TODAY)

    boss.run()
    assert_ok(boss)
    assert _metric(boss, "发放合计") == "123.45" and _metric(boss, "受助户数") == "2" and _metric(boss, "发放笔数") == "2"
    table = boss.dataframe[0].value.set_index("区县")
    assert table.at["海港区", "社会捐赠"] == 23.45 and table.at["合计", "合计"] == 123.45
    boss.multiselect(key="lg_funds").set_value(["donation"]).run()  # a click filters the same book
    assert _metric(boss, "发放合计") == "23.45" and _metric(boss, "受助户数") == "1"

    staff.run()
    assert _metric(staff, "发放合计") == "123.45"
    assert "送温暖" in staff.dataframe[-1].value.to_string() and "户主2" in staff.dataframe[-1].value.to_string()
