"""The union tree under the district unions, the 一帮一 helpers and staff of each district, and which union
and employer a file belongs to."""

from __future__ import annotations

from core.places import CITY_CODE, DISTRICTS
from db.models import Org

from demo.base import FilePlan, Helper, UnionOrg, pick
from demo.places import (
    DISTRICT_SPECS, INDUSTRY_UNIONS, MIGRANT_EMPLOYERS, RESTRUCTURED_EMPLOYERS, DistrictSpec, Employer, UnionSpec,
)


class UnionParts:
    """The union tree, the helpers and staff, a file's union and employer."""

    # -- the union tree -----------------------------------------------------------------------

    def union_tree(self) -> None:
        for place in DISTRICTS:
            parent = self.district_orgs[place.code]
            self.unions[place.code] = [
                self.add_union(spec.name, "grassroots", parent.id, parent.path, place.code, spec)
                for spec in DISTRICT_SPECS[place.code].unions
            ]
        for name, members in INDUSTRY_UNIONS:
            industry = self.add_union(name, "industry", self.city_org.id, self.city_org.path, CITY_CODE, None)
            industry_path = f"{self.city_org.path}{industry.id}/"
            for spec, place_code in members:
                org = self.add_union(spec.name, "grassroots", industry.id, industry_path, place_code, spec)
                self.unions[place_code].append(org)

    def add_union(self, name: str, kind: str, parent_id: int, parent_path: str, place_code: str,
                  spec: UnionSpec | None) -> UnionOrg:
        org_id = self.rows.new_id(Org)
        # the same path rule as db.reference.add_org: the parent's path, then this id
        self.rows.add(Org, id=org_id, name=name, kind=kind, parent_id=parent_id, place_code=place_code,
                      path=f"{parent_path}{org_id}/", active=True)
        return UnionOrg(org_id, name, spec or UnionSpec(name))

    # -- helpers and staff --------------------------------------------------------------------

    def people_pools(self, households_by_place: dict[str, int]) -> None:
        """8–15 一帮一 helpers and 3 union staff per district; some helpers carry many files."""
        for place in DISTRICTS:
            size = min(15, max(8, round(households_by_place.get(place.code, 0) / 70)))
            units = [u.name for u in self.unions[place.code]] + [self.district_orgs[place.code].name]
            pool = []
            for rank in range(size):
                helper = Helper(self.full_name(self.rng.choice("12")), self.rng.choice(units), self.mobile())
                pool.append((helper, 1.0 / (rank + 1) ** 0.6))
            self.helpers[place.code] = pool
            self.staff[place.code] = [self.full_name(self.rng.choice("12")) for _ in range(3)]

    def choose_union(self, spec: DistrictSpec) -> UnionOrg:
        unions = self.unions[spec.code]
        # street and town unions hold most files; enterprise unions a few each
        return pick(self.rng, [(u, 1.0 if u.spec.town else 0.35) for u in unions])

    def choose_employer(self, plan: FilePlan, spec: DistrictSpec, union: UnionOrg) -> Employer | None:
        if union.spec.employer:
            return union.spec.employer
        roll = self.rng.random()
        if roll < 0.12:
            return self.rng.choice(MIGRANT_EMPLOYERS)
        if roll < 0.22:
            return self.rng.choice(RESTRUCTURED_EMPLOYERS)
        if roll < 0.85:
            return self.rng.choice(spec.employers)
        return None
