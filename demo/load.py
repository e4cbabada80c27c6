"""Loading the demo into a freshly initialised database, in one transaction."""

from __future__ import annotations

import json
import random

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.places import DISTRICTS
from db.actor import system_actor
from db.audit import bump_data_version, record
from db.engine import transaction
from db.errors import ServiceError
from db.models import AidPayment, AssistanceRecord, DibaoLine, Household, IncomeMonth, Measure, Member, Org, Pairing, Visit

from demo.base import Progress
from demo.city import DemoCity
from demo.rows import FLUSH_ROWS, TABLES, Pending, advance_sequences


def load_demo(engine: Engine, households: int = 3500, seed: int = 20171231, progress: Progress | None = None) -> dict:
    """Fill a freshly initialised database with invented demo data for 秦皇岛; returns counts.

    Refuses a database that already has files (or 低保 lines). Everything is written in one
    transaction: on any error nothing is left behind.
    """
    report = progress or (lambda fraction, message: None)
    if households < 1:
        raise ServiceError("示例档案户数至少为 1 户")
    report(0.0, "正在检查数据库……")
    with transaction(engine) as session:
        refuse_unless_empty(session)
        city_org, district_orgs = existing_unions(session)
        first_ids = {model: (session.scalar(select(func.max(model.id))) or 0) + 1 for model in TABLES}
        city = DemoCity(random.Random(seed), Pending(first_ids), city_org, district_orgs)

        report(0.02, "正在生成低保标准（示例）和基层工会……")
        city.dibao_lines()
        city.union_tree()
        plans = city.file_plans(households)
        per_place: dict[str, int] = {}
        for plan in plans:
            per_place[plan.district.code] = per_place.get(plan.district.code, 0) + 1
        city.people_pools(per_place)
        every = max(1, len(plans) // 50)
        for done, plan in enumerate(plans, start=1):
            city.household(plan)
            if city.rows.size() >= FLUSH_ROWS:
                city.rows.write(session)
            if done % every == 0:
                report(0.03 + 0.94 * done / len(plans), f"正在生成并写入困难职工档案（{done}/{len(plans)} 户）……")
        city.rows.write(session)

        written = city.rows.written
        if session.get_bind().dialect.name == "postgresql":
            advance_sequences(session, [m for m in TABLES if written[m]])
        summary = {
            "households": written[Household], "members": written[Member], "income_months": written[IncomeMonth],
            "measures": written[Measure], "payments": written[AidPayment], "pairings": written[Pairing],
            "visits": written[Visit], "dibao_lines": written[DibaoLine], "orgs": written[Org],
            "assistance_records": written[AssistanceRecord],
        }
        record(session, system_actor("demo"), "create", "demo", None,
               new=json.dumps({**summary, "seed": seed}, ensure_ascii=False), reason="载入示例数据（虚构）")
        bump_data_version(session)
        report(0.99, "正在提交……")
    report(1.0, "示例数据载入完成")
    return summary


def refuse_unless_empty(session: Session) -> None:
    if session.scalar(select(func.count()).select_from(Household)):
        raise ServiceError("数据库中已有档案，示例数据只能载入空数据库")
    if session.scalar(select(func.count()).select_from(DibaoLine)):
        # the demo's incomes are drawn against its own invented lines; it must not mix with real ones
        raise ServiceError("数据库中已录入低保标准，示例数据（含虚构的低保标准）只能载入空数据库")


def existing_unions(session: Session) -> tuple[Org, dict[str, Org]]:
    """The city union and the district unions that the reference data created."""
    city = session.scalars(select(Org).where(Org.parent_id.is_(None), Org.kind == "city").order_by(Org.id)).first()
    if city is None:
        raise ServiceError("数据库中没有市总工会，请先初始化数据库（python manage.py init）")
    districts: dict[str, Org] = {}
    for org in session.scalars(select(Org).where(Org.parent_id == city.id, Org.kind == "district").order_by(Org.id)):
        districts.setdefault(org.place_code, org)
    missing = [p.name for p in DISTRICTS if p.code not in districts]
    if missing:
        raise ServiceError(f"数据库中缺少这些区县工会：{'、'.join(missing)}，请先初始化数据库")
    return city, districts
