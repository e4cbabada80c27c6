"""Places of Qinhuangdao (GB/T 2260) and the two management zones with unions of their own.

The zones have no administrative-division code; they get a code of our own that can never be
mistaken for one (it is not six digits). The store seeds its place table from this list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    kind: str  # see codes.PLACE_KIND
    parent: str | None


CITY_CODE = "130300"

PLACES: tuple[Place, ...] = (
    Place("130300", "秦皇岛市", "city", None),
    Place("130302", "海港区", "district", "130300"),
    Place("130303", "山海关区", "district", "130300"),
    Place("130304", "北戴河区", "district", "130300"),
    Place("130306", "抚宁区", "district", "130300"),
    Place("130321", "青龙满族自治县", "district", "130300"),
    Place("130322", "昌黎县", "district", "130300"),
    Place("130324", "卢龙县", "district", "130300"),
    Place("ZONE-ETDZ", "秦皇岛经济技术开发区", "zone", "130300"),
    Place("ZONE-BDHNA", "北戴河新区", "zone", "130300"),
)

# Division codes no longer in force that still appear in ID numbers.
HISTORIC_DIVISIONS: dict[str, str] = {
    "130323": "抚宁县（2015年撤县设区，现抚宁区）",
}

PLACE_BY_CODE: dict[str, Place] = {p.code: p for p in PLACES}
DISTRICTS: tuple[Place, ...] = tuple(p for p in PLACES if p.kind != "city")
