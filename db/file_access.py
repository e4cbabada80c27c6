"""Finding one file the actor may work on, and marking it as saved.

Every service that is given a household id (the file's own write paths, its measures, pairings, visits and
assistance records, and the readers of one file) starts here, so this module imports nothing of the services.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from db import audit
from db.actor import Actor
from db.errors import NotFound
from db.models import Household
from db.scope import in_scope


def get_household(session: Session, actor: Actor, *, household_id: int | None = None, file_no: str | None = None) -> Household:
    """One file the actor may see; outside the scope it is reported exactly like a file that does not exist."""
    if household_id is not None:
        household = session.get(Household, household_id)
    else:
        household = session.scalar(select(Household).where(Household.file_no == (file_no or "").strip()))
    if household is None or not in_scope(session, actor, household.org_id) or not actor.can_write_files:
        raise NotFound("找不到该档案，或该档案不在您的管辖范围内")
    return household


def load_children(household: Household) -> Household:
    """Load members and causes now, so that the file can be shown after its session has closed."""
    _ = (household.members, household.causes, household.org)
    return household


def touch_file(session: Session, actor: Actor, household: Household) -> None:
    """Mark the file as saved by this actor; the UPDATE also moves the file's version."""
    household.updated_by = actor.username
    household.updated_at = audit.now()
    flag_modified(household, "updated_at")  # an UPDATE even when the second has not changed
    audit.bump_data_version(session)
