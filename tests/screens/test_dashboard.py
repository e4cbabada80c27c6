"""进度看板 under AppTest on demo data: figures, filters, meeting mode, and the district staff's scope."""

from demo import load_demo
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

    # the withdrawn leave the base, the reopened stay in it: the caption and the table say the same numbers
    at.selectbox(key="db_place").set_value(None).run()
    at.selectbox(key="db_year").set_value(2020).run()
    table = at.dataframe[0].value
    city_2020 = table[(table["范围"] == "全市") & (table["年份"] == 2020)].iloc[0]
    withdrawn, reopened = int(city_2020["已退出户数"]), int(city_2020["返困户数"])
    captions = " ".join(c.value for c in at.caption)
    assert withdrawn > 0 and f"基线档案已退出 {withdrawn:,} 户（自退出之日起不计入基数）" in captions
    assert f"返困 {reopened:,} 户（计入基数" in captions and "均不计入基数" not in captions
    assert city_2020["基数"] + withdrawn == city_2018["基数"] + int(city_2018["已退出户数"])  # the same cohort
    reasons = at.dataframe[1].value
    assert list(reasons.columns) == ["退出原因", "户数"] and reasons["户数"].sum() == withdrawn
    home = app_as("viewer1").run()
    assert f"**2020年目标完成率：{_metric(at, '2020年目标完成率')}**" in " ".join(m.value for m in home.markdown)
    assert f"基线档案已退出 {withdrawn:,} 户" in " ".join(c.value for c in home.caption)

    at.toggle(key="db_meeting").set_value(True).run()
    assert_ok(at)
    assert at.title[0].value == "解困脱困进度"
    assert not at.dataframe  # meeting mode: big figures and the key charts only
    big = " ".join(str(getattr(h, "proto", h)) for h in at.get("html"))
    assert "2020年目标完成率" in big and "font-size:2.8rem" in big


def test_district_staff_see_only_their_district(app_db):
    load_demo(app_db, households=300, seed=5)
    make_user(app_db, "clstaff", "staff", "昌黎县总工会")
    at = app_as("clstaff").run()
    at.switch_page("screens/dashboard.py").run()
    assert_ok(at)
    assert set(at.dataframe[0].value["范围"]) == {"全市", "昌黎县"}
