"""The one-household view (一户一档) and its printable sheet: a file's support and its audit trail, assembled from
the services of each part (measures, pairings, visits, assistance records), above all of their write paths.

Each function takes the actor and finds the file through `db.file_access.get_household`, so a file outside the
actor's scope reads as not found.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import String, func, or_, select
from sqlalchemy.orm import Session

from db.actor import Actor
from db.assistance import records_frame, summary
from db.file_access import get_household
from db.measures import measures_frame, payments_frame
from db.models import (AidPayment, AssistanceRecord, AuditLog, ExclusionCheck, Household, HouseholdCause, IncomeMonth, Measure,
                       Member, Pairing, Visit)
from db.pairings import pairing_history
from db.queries import audit_frame
from db.visits import visits_frame


def support_records(session: Session, actor: Actor, household_id: int, today: dt.date | None = None) -> dict[str, pd.DataFrame]:
    """Measures, pairings, visits and payments of a file, as tables with Chinese headings (for the printed sheet)."""
    get_household(session, actor, household_id=household_id)
    today = today or dt.date.today()
    measures = session.scalars(select(Measure).where(Measure.household_id == household_id).order_by(Measure.start_on)).all()
    payments = session.scalars(select(AidPayment).where(AidPayment.household_id == household_id).order_by(AidPayment.paid_on.desc())).all()
    return {
        "measures": measures_frame(list(measures), list(payments), today).drop(columns=["id"]),
        "pairings": pairing_history(session, actor, household_id),
        "visits": visits_frame(session, actor, household_id),
        "payments": payments_frame(list(payments), list(measures), today).drop(columns=["id"]),
        "assistance": records_frame(session, actor, household_id, today).drop(columns=["id", "version"]),
        "assistance_now": summary(session, actor, household_id, today),
    }


CHILD_ENTITIES = {"member": Member, "household_cause": HouseholdCause, "exclusion_check": ExclusionCheck,
                  "income_month": IncomeMonth, "measure": Measure, "assistance_record": AssistanceRecord, "pairing": Pairing, "visit": Visit, "aid_payment": AidPayment}


def file_audit(session: Session, actor: Actor, household: Household, limit: int = 500) -> pd.DataFrame:
    """The audit trail of one file: its own rows and those of everything that belongs to it."""
    household = get_household(session, actor, household_id=household.id)
    # rows written since the audit log kept the file (household_id), and older ones found through their entity ids
    conditions = [AuditLog.household_id == household.id,
                  (AuditLog.entity.in_(("household", "process_step"))) & (AuditLog.entity_id == str(household.id))]
    for entity, model in CHILD_ENTITIES.items():
        ids = select(func.cast(model.id, String)).where(model.household_id == household.id)
        conditions.append((AuditLog.entity == entity) & AuditLog.entity_id.in_(ids))
    rows = session.scalars(select(AuditLog).where(or_(*conditions)).order_by(AuditLog.id.desc()).limit(limit)).all()
    return audit_frame(session, rows)
