"""The demo's places: each district's size, invented 低保 level, streets, towns, unions and employers."""

from __future__ import annotations

from dataclasses import dataclass


# --- the places: size, 低保 level, streets and towns -------------------------------------------


@dataclass(frozen=True)
class Employer:
    name: str
    kind: str  # codes.EMPLOYER_KIND
    industry: str  # codes.INDUSTRY


@dataclass(frozen=True)
class UnionSpec:
    """A 基层工会 to create: a street/town union (its town gives addresses) or an enterprise's."""

    name: str
    town: str | None = None
    employer: Employer | None = None


@dataclass(frozen=True)
class DistrictSpec:
    code: str
    file_code: str  # in 档案编号
    share: float  # of all households
    urban: bool
    id_divisions: tuple[str, ...]  # 身份证号 division codes of people living here
    line_2016_yuan: int  # invented 低保 line on 2016-01-01
    unions: tuple[UnionSpec, ...]
    towns: tuple[str, ...]  # further 街道/乡镇 for addresses
    employers: tuple[Employer, ...]


def _e(name: str, kind: str, industry: str) -> Employer:
    return Employer(name, kind, industry)


DISTRICT_SPECS: dict[str, DistrictSpec] = {
    d.code: d
    for d in (
        DistrictSpec(
            "130302", "130302", 0.28, True, ("130302",), 640,
            (
                UnionSpec("海港区建设大街街道工会", "建设大街街道"),
                UnionSpec("海港区文化路街道工会", "文化路街道"),
                UnionSpec("海港区河东街道工会", "河东街道"),
                UnionSpec("海港区北环路街道工会", "北环路街道"),
                UnionSpec("海港区东港镇工会", "东港镇"),
                UnionSpec("秦皇岛港务集团工会", None, _e("秦皇岛港务集团有限公司", "state", "G")),
            ),
            ("白塔岭街道", "西港路街道", "燕山大街街道", "港城大街街道"),
            (_e("秦皇岛市鑫港玻璃制品有限公司", "private", "C"), _e("秦皇岛海润物流有限公司", "private", "G"),
             _e("秦皇岛市第二建筑工程公司", "collective", "E"), _e("秦皇岛海滨物业服务有限公司", "private", "K"),
             _e("秦皇岛金海宾馆有限公司", "private", "H"), _e("秦皇岛市粮油购销公司", "state", "F"),
             _e("秦皇岛燕山纺织有限公司", "collective", "C"), _e("秦皇岛市市政设施维护中心", "public_institution", "N")),
        ),
        DistrictSpec(
            "130303", "130303", 0.07, True, ("130303",), 610,
            (
                UnionSpec("山海关区南关街道工会", "南关街道"),
                UnionSpec("山海关区古城街道工会", "古城街道"),
                UnionSpec("山海关区路南街道工会", "路南街道"),
                UnionSpec("山海关区船舶工业园区联合工会", None, _e("秦皇岛山海重工配套有限公司", "private", "C")),
            ),
            ("西关街道", "船厂路街道", "第一关镇"),
            (_e("山海关古城旅游服务有限公司", "collective", "R"), _e("秦皇岛关城机械加工厂", "collective", "C"),
             _e("山海关区长城食品有限公司", "private", "C"), _e("山海关区环卫服务中心", "public_institution", "N")),
        ),
        DistrictSpec(
            "130304", "130304", 0.05, True, ("130304",), 625,
            (
                UnionSpec("北戴河区西山街道工会", "西山街道"),
                UnionSpec("北戴河区东山街道工会", "东山街道"),
                UnionSpec("北戴河区海滨镇工会", "海滨镇"),
            ),
            ("戴河镇", "牛头崖镇"),
            (_e("北戴河区海景酒店有限公司", "private", "H"), _e("北戴河区园林绿化工程公司", "collective", "N"),
             _e("北戴河区鸽子窝旅游服务有限公司", "private", "R")),
        ),
        DistrictSpec(
            "130306", "130306", 0.10, False, ("130306", "130323"), 560,
            (
                UnionSpec("抚宁区骊城街道工会", "骊城街道"),
                UnionSpec("抚宁区留守营镇工会", "留守营镇"),
                UnionSpec("抚宁区榆关镇工会", "榆关镇"),
                UnionSpec("抚宁区台营镇工会", "台营镇"),
            ),
            ("抚宁镇", "大新寨镇", "茶棚乡"),
            (_e("抚宁区农产品加工有限公司", "private", "C"), _e("抚宁区建材有限公司", "collective", "C"),
             _e("抚宁区骊城物业服务有限公司", "private", "K"), _e("抚宁区汽车运输公司", "collective", "G")),
        ),
        DistrictSpec(
            "130321", "130321", 0.12, False, ("130321",), 475,
            (
                UnionSpec("青龙满族自治县青龙镇工会", "青龙镇"),
                UnionSpec("青龙满族自治县肖营子镇工会", "肖营子镇"),
                UnionSpec("青龙满族自治县木头凳镇工会", "木头凳镇"),
                UnionSpec("青龙满族自治县祖山镇工会", "祖山镇"),
            ),
            ("双山子镇", "马圈子镇", "八道河镇"),
            (_e("青龙满族自治县矿业有限公司", "collective", "B"), _e("青龙满族自治县板栗加工有限公司", "private", "C"),
             _e("青龙满族自治县建筑安装公司", "collective", "E"), _e("青龙满族自治县供销合作社", "collective", "F")),
        ),
        DistrictSpec(
            "130322", "130322", 0.14, False, ("130322",), 535,
            (
                UnionSpec("昌黎县昌黎镇工会", "昌黎镇"),
                UnionSpec("昌黎县靖安镇工会", "靖安镇"),
                UnionSpec("昌黎县泥井镇工会", "泥井镇"),
                UnionSpec("昌黎县碣石山镇工会", "碣石山镇"),
                UnionSpec("昌黎县葡萄酒产业联合工会", None, _e("昌黎县碣石葡萄酿酒有限公司", "private", "C")),
            ),
            ("荒佃庄镇", "新集镇", "龙家店镇"),
            (_e("昌黎县干红酒业有限公司", "private", "C"), _e("昌黎县水产养殖有限公司", "private", "A"),
             _e("昌黎县皮毛加工厂", "individual", "C"), _e("昌黎县城市建设投资公司", "state", "E")),
        ),
        DistrictSpec(
            "130324", "130324", 0.09, False, ("130324",), 500,
            (
                UnionSpec("卢龙县卢龙镇工会", "卢龙镇"),
                UnionSpec("卢龙县燕河营镇工会", "燕河营镇"),
                UnionSpec("卢龙县石门镇工会", "石门镇"),
            ),
            ("潘庄镇", "刘家营乡", "陈官屯乡"),
            (_e("卢龙县粉丝加工厂", "individual", "C"), _e("卢龙县铁矿采选有限公司", "collective", "B"),
             _e("卢龙县甘薯食品有限公司", "private", "C"), _e("卢龙县公交客运公司", "collective", "G")),
        ),
        DistrictSpec(
            "ZONE-ETDZ", "ETDZ", 0.09, True, ("130302",), 640,
            (
                UnionSpec("开发区泰山路街道工会", "泰山路街道"),
                UnionSpec("开发区船厂路街道工会", "船厂路街道"),
                UnionSpec("开发区西区企业联合工会", None, _e("秦皇岛开发区精密铸造有限公司", "foreign", "C")),
                UnionSpec("开发区东区企业联合工会", None, _e("秦皇岛开发区汽车零部件有限公司", "private", "C")),
            ),
            ("珠江道街道", "黄河道街道"),
            (_e("秦皇岛数谷信息服务有限公司", "private", "I"), _e("秦皇岛开发区粮食物流有限公司", "private", "G"),
             _e("秦皇岛开发区保安服务有限公司", "private", "L"), _e("秦皇岛开发区食品工业有限公司", "private", "C")),
        ),
        DistrictSpec(
            "ZONE-BDHNA", "BDHNA", 0.06, True, ("130302",), 590,
            (
                UnionSpec("北戴河新区南戴河街道工会", "南戴河街道"),
                UnionSpec("北戴河新区团林乡工会", "团林乡"),
                UnionSpec("北戴河新区大蒲河镇工会", "大蒲河镇"),
            ),
            ("留守营镇",),
            (_e("北戴河新区旅游度假服务有限公司", "private", "H"), _e("北戴河新区海水养殖有限公司", "private", "A"),
             _e("北戴河新区建设工程有限公司", "private", "E")),
        ),
    )
}

# 产业工会 directly under the city union, each with two 基层工会 in a district.
INDUSTRY_UNIONS: tuple[tuple[str, tuple[tuple[UnionSpec, str], ...]], ...] = (
    ("秦皇岛市教育工会", (
        (UnionSpec("秦皇岛市实验中学工会", None, _e("秦皇岛市实验中学", "public_institution", "P")), "130302"),
        (UnionSpec("山海关区第一中学工会", None, _e("山海关区第一中学", "public_institution", "P")), "130303"),
    )),
    ("秦皇岛市交通运输工会", (
        (UnionSpec("秦皇岛市公共交通集团工会", None, _e("秦皇岛市公共交通集团有限公司", "state", "G")), "130302"),
        (UnionSpec("抚宁区公路养护站工会", None, _e("抚宁区公路养护站", "public_institution", "G")), "130306"),
    )),
)

# Employers of migrant workers and of laid-off workers of restructured state firms (去产能).
MIGRANT_EMPLOYERS = (_e("秦皇岛宏远建筑劳务有限公司", "private", "E"), _e("秦皇岛顺达装卸搬运有限公司", "private", "G"),
                     _e("秦皇岛海鲜餐饮管理有限公司", "private", "H"))
RESTRUCTURED_EMPLOYERS = (_e("秦皇岛市耀光玻璃厂（已改制）", "state", "C"), _e("秦皇岛市第三钢铁厂（已关停）", "state", "C"),
                          _e("秦皇岛市煤炭机械厂（已改制）", "state", "C"))
RESTRUCTURED_NAMES = tuple(e.name for e in RESTRUCTURED_EMPLOYERS)
