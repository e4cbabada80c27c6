"""Files for the measures, pairing, visit and work-queue tests, put straight into the store."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.identity import id_check_char
from db.actor import Actor
from db.models import AssistanceRecord, Household, HouseholdCause, Org, StatusChange


def actor_of(session, org_name: str = "海港区总工会", role: str = "staff") -> Actor:
    org = session.scalar(select(Org).where(Org.name == org_name))
    return Actor(username=f"{role}@{org.id}", display_name=f"{org.name}{role}", role=role, org_id=org.id, org_path=org.path,
                 org_name=org.name)


def add_file(session, n: int, *, org_name: str = "海港区总工会", status: str = "active", causes=("3",),
             filed_on: dt.date = dt.date(2026, 1, 5), assistance: tuple = (), **fields) -> Household:
    """A filed household with the given causes (the first is the main one); `n` makes its numbers unique.
    `assistance`: (programme, from_on[, to_on]) records of 纳入政府救助体系."""
    org = session.scalar(select(Org).where(Org.name == org_name))
    first17 = f"1303021970{n // 28 % 12 + 1:02d}{n % 28 + 1:02d}{n % 1000:03d}"  # a real birth date, unique for n < 1000
    household = Household(file_no=f"T-{org.place_code}-{n:06d}", org_id=org.id, place_code=org.place_code, status=status,
                          filed_on=filed_on, name=f"户主{n}", id_number=first17 + id_check_char(first17), **fields)
    session.add(household)
    session.flush()
    for index, cause in enumerate(causes):
        session.add(HouseholdCause(household_id=household.id, cause=cause, is_main=index == 0))
    session.add(StatusChange(household_id=household.id, from_status=None, to_status="active", effective_on=filed_on,
                             recorded_by="test"))
    for programme, from_on, *to_on in assistance:
        session.add(AssistanceRecord(household_id=household.id, programme=programme, from_on=from_on,
                                     to_on=to_on[0] if to_on else None, source="manual"))
    session.flush()
    return household
