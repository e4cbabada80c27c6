"""Reference data every database has: places, the city and district unions, default parameters.

Idempotent: run after every migration; it adds what is missing and never changes what users edited.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.parameters import SEED_DATE, SPECS
from core.places import CITY_CODE, DISTRICTS, PLACES
from db.models import DataVersion, Org, Place, PolicyParameter

CITY_UNION = "秦皇岛市总工会"


def district_union_name(place_name: str) -> str:
    return f"{place_name}总工会"


def ensure_reference_data(session: Session) -> None:
    known = set(session.scalars(select(Place.code)))
    for place in PLACES:  # parents come first in PLACES
        if place.code not in known:
            session.add(Place(code=place.code, name=place.name, kind=place.kind, parent_code=place.parent))
            session.flush()

    if session.get(DataVersion, 1) is None:
        session.add(DataVersion(id=1, version=0))

    have = set(session.scalars(select(PolicyParameter.key)))
    for spec in SPECS:
        if spec.key not in have:
            session.add(PolicyParameter(key=spec.key, effective_from=SEED_DATE, value=spec.default, note="系统默认值（依据秦工字〔2017〕53号）"))

    if session.scalar(select(Org.id).limit(1)) is None:
        city = add_org(session, CITY_UNION, "city", None, CITY_CODE)
        for place in DISTRICTS:
            add_org(session, district_union_name(place.name), "district", city, place.code)
    session.flush()


def add_org(session: Session, name: str, kind: str, parent: Org | None, place_code: str) -> Org:
    """Insert an organisation and give it its subtree path ('/<parent ids>/<id>/')."""
    org = Org(name=name, kind=kind, parent_id=parent.id if parent else None, place_code=place_code, path="")
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    session.flush()
    return org


def city_org(session: Session) -> Org:
    return session.scalars(select(Org).where(Org.parent_id.is_(None)).order_by(Org.id)).first()
