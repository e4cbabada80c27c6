"""进度看板 under AppTest on demo data: figures, filters, meeting mode, and the district staff's scope."""

from db.demo import load_demo
from tests.screens.conftest import app_as, assert_ok, make_user


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_the_dashboard_shows_the_targets_and_meeting_mode(app_db):
    load_demo(app_db, households=300, seed=5)
    make_user(app_db, "viewer1", "viewer")
    at = app_as("viewer1").run()
    at.switch_page("screens/dashboard.py").run()
    assert_ok(at)
    at.selectbox(key="db_year").set_value(2018).run()
    assert_ok(at)
    rate = _metric(at, "2018年目标完成率")
    assert rate.endswith("%") and float(rate[:-1]) > 0
    table = at.dataframe[0].value
    assert {"全市", "海港区"} <= set(table["范围"]) and set(table["累计目标%"]) == {50, 90, 100}
    city_2018 = table[(table["范围"] == "全市") & (table["年份"] == 2018)].iloc[0]
    assert city_2018["累计目标户数"] == -(-city_2018["基数"] * 50 // 100)

    at.selectbox(key="db_place").set_value("海港区").run()
    filtered = at.dataframe[0].value
    assert set(filtered["范围"]) == {"全市", "海港区"}  # every figure follows the filter
    assert filtered[filtered["范围"] == "全市"]["基数"].iloc[0] < city_2018["基数"]

    at.toggle(key="db_meeting").set_value(True).run()
    assert_ok(at)
    assert at.title[0].value == "解困脱困进度"
    assert not at.dataframe  # meeting mode: big figures and the key charts only
    big = " ".join(str(getattr(h, "proto", h)) for h in at.get("html"))
    assert "2018年目标完成率" in big and "font-size:2.8rem" in big


def test_district_staff_see_only_their_district(app_db):
    load_demo(app_db, households=300, seed=5)
    make_user(app_db, "clstaff", "staff", "昌黎县总工会")
    at = app_as("clstaff").run()
    at.switch_page("screens/dashboard.py").run()
    assert_ok(at)
    assert set(at.dataframe[0].value["范围"]) == {"全市", "昌黎县"}
