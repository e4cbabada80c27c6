"""Read-only queries the pages need, always filtered to the actor's scope."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core import codes
from core.identity import InvalidIdentifier, mask_id_number, normalise_identifier, parse_id_number
from core.intake import FIELD_LABELS
from core.money import fen_to_yuan
from core.parameters import SPEC_BY_KEY, display_value, value_on
from core.status_engine import month_of_index
from core.typed import search_text
from db import audit, snapshot
from db.actor import Actor
from db.errors import OutOfScope
from db.orgs import org_tree
from db.models import AuditLog, DibaoLine, Household, HouseholdCause, IncomeMonth, Member, Org, Place, PolicyParameter, User
from db.scope import in_scope, org_filter, require_admin, scope_orgs

PAGE_SIZE = 50


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


# --- home page ---------------------------------------------------------------------------------


def _by_status(counts) -> dict[str, int]:
    """Files per status (codes.HOUSEHOLD_STATUS, in its order; 0 for a status nobody has)."""
    return {code: int(counts.get(code, 0)) for code in codes.HOUSEHOLD_STATUS}


def status_counts(session: Session, actor: Actor) -> dict[str, int]:
    stmt = org_filter(select(Household.status, func.count()).group_by(Household.status), actor)
    return _by_status(dict(session.execute(stmt).all()))


# what the home page reads of the snapshot (and its reference tables)
HOME_PARTS = ("files", "incomes")


def home_figures(session: Session, actor: Actor, today: dt.date) -> dict:
    """`home_figures_from` on the actor's files read in this session."""
    return home_figures_from(snapshot.read(session, actor, parts=HOME_PARTS), actor, today)


def home_figures_from(snap: snapshot.Snapshot, actor: Actor, today: dt.date) -> dict:
    """Everything the home page shows, from a snapshot of the actor's scope: files per status, the latest month with
    an income, the districts with no 低保 line this month, and whether demo lines are in use."""
    months = snap.incomes["month_index"]
    return {
        "counts": _by_status(snap.files["status"].value_counts()),
        "latest": month_of_index(int(months.max())) if len(months) else None,
        "missing": missing_lines(snap.reference, actor, first_of_month(today)),
        "demo": demo_lines_in_use(snap.reference),
    }


def latest_income_month(session: Session, actor: Actor) -> dt.date | None:
    stmt = select(func.max(IncomeMonth.month)).join(Household, Household.id == IncomeMonth.household_id)
    return session.scalar(org_filter(stmt, actor))


def missing_lines(reference: snapshot.Reference, actor: Actor, month: dt.date) -> list[str]:
    """Districts in scope with no 低保 line in force in `month` (a problem, never silently filled), in code order."""
    orgs = reference.orgs
    if not actor.sees_everything:
        orgs = orgs[orgs["path"].str.startswith(actor.org_path, na=False)]
    mine = set(orgs["place_code"])
    lines = reference.lines
    have = set(lines.loc[[day <= month for day in lines["effective_from"]], "place_code"])
    return [reference.place_names[code] for code, kind in sorted(reference.place_kinds.items())
            if kind != "city" and (actor.sees_everything or code in mine) and code not in have]


def demo_lines_in_use(reference: snapshot.Reference) -> bool:
    return bool(reference.lines["is_demo"].astype(bool).any())


# --- parameters --------------------------------------------------------------------------------


def parameter_history(session: Session, key: str) -> list[tuple[dt.date, str]]:
    """Every dated row of one parameter: (effective_from, value text)."""
    return [tuple(r) for r in session.execute(
        select(PolicyParameter.effective_from, PolicyParameter.value).where(PolicyParameter.key == key)).all()]


def parameter_on(session: Session, key: str, on: dt.date):
    return value_on(parameter_history(session, key), key, on)


def parameters_table(session: Session) -> pd.DataFrame:
    rows = session.scalars(select(PolicyParameter).order_by(PolicyParameter.key, PolicyParameter.effective_from)).all()
    return pd.DataFrame(
        [
            {
                "参数": SPEC_BY_KEY[r.key].label if r.key in SPEC_BY_KEY else r.key,
                "生效日期": r.effective_from,
                "取值": display_value(r.key, r.value),
                "说明": r.note or "",
            }
            for r in rows
        ],
        columns=["参数", "生效日期", "取值", "说明"],
    )


def dibao_lines(session: Session) -> pd.DataFrame:
    """Every district's lines, in fen, with the date each stops being in force (None: still in force)."""
    rows = session.execute(
        select(Place.code, Place.name, DibaoLine.effective_from, DibaoLine.amount_fen, DibaoLine.is_demo, DibaoLine.note)
        .join(Place, Place.code == DibaoLine.place_code)
        .order_by(Place.code, DibaoLine.effective_from)
    ).all()
    frame = pd.DataFrame(rows, columns=["place_code", "place_name", "effective_from", "amount_fen", "is_demo", "note"])
    frame["effective_to"] = frame.groupby("place_code")["effective_from"].shift(-1)
    return frame


# --- household list ----------------------------------------------------------------------------


SORTS = {
    "file_no": ("档案编号", Household.file_no),
    "name": ("户主姓名", Household.name),
    "filed_on": ("建档日期（新→旧）", Household.filed_on.desc()),
    "updated_at": ("最近修改（新→旧）", Household.updated_at.desc()),
}


@dataclass(frozen=True)
class FileFilter:
    text: str = ""
    place_code: str | None = None
    org_id: int | None = None
    status: str | None = None
    category: str | None = None
    cause: str | None = None
    key_group: str | None = None


def search_households(
    session: Session, actor: Actor, filters: FileFilter = FileFilter(), *, sort: str = "file_no",
    page: int = 1, page_size: int = PAGE_SIZE,
) -> tuple[pd.DataFrame, int]:
    """One page of the files in scope matching the filters, with ID numbers masked."""
    if not actor.can_write_files:
        raise OutOfScope("您的角色不能查看个人档案")
    conditions = []
    searched_id = None
    text = search_text(filters.text)
    if text:
        upper = text.upper()
        typed_id = normalise_identifier(text)  # full-width digits, spaces, a lower-case x: the stored form is ASCII
        if len(typed_id) in (15, 18) and re.fullmatch(r"[0-9]{15}([0-9]{2}[0-9X])?", typed_id):  # an ID number: exact, as head or member
            upper = typed_id
            try:  # a legacy 15-digit number is stored in its 18-digit form
                upper = parse_id_number(upper).number
            except InvalidIdentifier:
                pass
            searched_id = upper
            member_of = select(Member.household_id).where(Member.id_number == upper)
            conditions.append(or_(Household.id_number == upper, Household.id.in_(member_of)))
        elif upper.startswith("QHD-") or (re.fullmatch(r"[A-Z0-9-]+", upper) and any(ch.isdigit() for ch in upper)):
            conditions.append(_starts_with(Household.file_no, upper))  # a file number (or its beginning), ours or imported
        else:  # a name, or its beginning (e.g. the surname)
            conditions.append(_starts_with(Household.name, text))
    if filters.place_code:
        conditions.append(Household.place_code == filters.place_code)
    if filters.org_id:
        if not in_scope(session, actor, filters.org_id):  # a union outside the scope is refused, not shown as empty
            raise OutOfScope("所选工会不在您的管辖范围内")
        path = session.scalar(select(Org.path).where(Org.id == filters.org_id)) or "-"
        conditions.append(Household.org_id.in_(select(Org.id).where(Org.path.startswith(path))))
    if filters.status:
        conditions.append(Household.status == filters.status)
    if filters.category:
        conditions.append(Household.category == filters.category)
    if filters.cause:
        conditions.append(select(HouseholdCause.id).where(HouseholdCause.household_id == Household.id, HouseholdCause.cause == filters.cause).exists())
    if filters.key_group:
        conditions.append(Household.key_group == filters.key_group)

    count = org_filter(select(func.count()).select_from(Household), actor)
    main_cause = (
        select(HouseholdCause.cause).where(HouseholdCause.household_id == Household.id, HouseholdCause.is_main)
        .limit(1).scalar_subquery()
    )
    rows = org_filter(
        select(Household.file_no, Household.name, Household.id_number, Place.name, Org.name, Household.status,
               Household.category, main_cause, Household.filed_on)
        .join(Place, Place.code == Household.place_code)
        .join(Org, Org.id == Household.org_id)
        .order_by(SORTS.get(sort, SORTS["file_no"])[1], Household.id),
        actor,
    )
    if conditions:
        count, rows = count.where(and_(*conditions)), rows.where(and_(*conditions))
    total = session.scalar(count) or 0
    if searched_id:  # whom the user looked up by their full ID number is audited
        audit.id_number_searched(session, actor, searched_id, total)
    result = session.execute(rows.limit(page_size).offset((max(1, page) - 1) * page_size)).all()
    frame = pd.DataFrame(
        [
            {
                "档案编号": r[0], "户主姓名": r[1], "身份证号": mask_id_number(r[2]), "区县": r[3], "所属工会": r[4],
                "状态": codes.label(codes.HOUSEHOLD_STATUS, r[5]), "困难类别": codes.label(codes.CATEGORY, r[6]),
                "主要致困原因": codes.label(codes.CAUSE, r[7]), "建档日期": r[8],
            }
            for r in result
        ],
        columns=["档案编号", "户主姓名", "身份证号", "区县", "所属工会", "状态", "困难类别", "主要致困原因", "建档日期"],
    )
    return frame, total


def _starts_with(column, prefix: str):
    """A prefix match as a range, so the column's index serves it (LIKE 'x%' cannot on SQLite)."""
    return and_(column >= prefix, column < prefix + "\U0010ffff")


def orgs_in_scope(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Unions the actor may see, indented as a tree (for filters and for choosing a file's union)."""
    return [(o.id, "　" * (o.path.count("/") - 2) + o.name) for o in org_tree(session)
            if o.active and (actor.sees_everything or o.path.startswith(actor.org_path))]


def places_in_scope(session: Session, actor: Actor) -> list[tuple[str, str]]:
    stmt = select(Place.code, Place.name).where(Place.kind != "city").order_by(Place.code)
    if not actor.sees_everything:
        stmt = stmt.where(Place.code.in_(select(Org.place_code).where(Org.id.in_(scope_orgs(actor)))))
    return [tuple(r) for r in session.execute(stmt).all()]


# --- organisations, users, audit ----------------------------------------------------------------


def org_choices(session: Session) -> list[tuple[int, str]]:
    """Active organisations as (id, indented name), in tree order."""
    return [(o.id, "　" * (o.path.count("/") - 2) + o.name) for o in org_tree(session) if o.active]


def users_table(users: list[User]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"用户名": u.username, "姓名": u.display_name, "角色": codes.ROLE[u.role], "所属工会": u.org.name,
             "状态": "启用" if u.active else "停用", "创建时间": u.created_at}
            for u in users
        ],
        columns=["用户名", "姓名", "角色", "所属工会", "状态", "创建时间"],
    )


ENTITY_LABELS = codes.AUDIT_ENTITY
ACTION_LABELS = codes.AUDIT_ACTION
AUDIT_FIELDS = FIELD_LABELS | {
    "username": "用户名", "display_name": "姓名", "role": "角色", "org_id": "所属工会", "active": "启用",
    "password_hash": "密码", "password_changed_at": "密码修改时间", "status": "状态", "file_no": "档案编号",
    "category": "困难类别", "category_rule_set": "认定规则", "category_assessed_on": "认定日期", "category_explanation": "类别说明",
    "floor_area_dm2": "建筑面积", "monthly_income_fen": "月收入（元）", "income_fen": "家庭月收入（元）", "persons": "家庭人口",
    "transfer_fen": "转移性收入（元）", "special_spending_fen": "刚性支出（元）", "accident_spending_fen": "意外支出（元）",
    "month": "月份", "cause": "致困原因", "is_main": "主要原因", "removed_on": "消除日期", "exclusion": "排除情形",
    "applies": "是否存在", "source": "来源", "checked_on": "核查日期", "filed_on": "建档日期", "place_code": "区县",
    "amount_fen": "金额（元）", "effective_from": "生效日期", "is_demo": "示例数据", "kind": "类型", "path": "层级", "parent_id": "上级",
    "household_id": "档案", "relation": "关系", "updated_by": "最后修改人", "survey": "入户调查", "publicity": "公示", "review": "审核", "filed": "在档",
    "track": "措施类别", "programme": "帮扶项目", "content": "帮扶内容", "start_on": "开始日期", "end_on": "结束日期",
    "responsible": "责任人", "fund_source": "资金来源", "pay_every": "发放方式", "first_pay_on": "首次发放日期", "pay_count": "发放次数",
    "measure_id": "所属措施", "paid_on": "发放日期", "note": "说明", "helper_name": "帮扶责任人", "helper_unit": "结对单位",
    "helper_phone": "联系电话", "visited_on": "走访日期", "visitor": "走访人", "notes": "情况记录", "needs": "发现的需求",
    "visit_interval_months": "本户走访间隔（月）",
    "from_on": "起始日期", "to_on": "截止日期",
    # the demo loader's summary (demo/load.py)
    "households": "档案", "members": "家庭成员", "income_months": "月收入记录", "measures": "帮扶措施", "payments": "资金发放",
    "pairings": "结对帮扶", "visits": "走访", "dibao_lines": "低保标准", "orgs": "工会组织", "assistance_records": "救助记录",
    "seed": "随机种子",
}
# the jobs that write as system:<job> (db.actor.system_actor), as the log names them
SYSTEM_JOBS = {"setup": "首次设置", "demo": "载入示例数据", "restore": "恢复备份", "evaluate": "评估", "id-duplicates": "身份证号查重",
               "manage.py": "命令行"}


def user_names(session: Session, usernames) -> dict[str, str]:
    """Username → the person's name, for the usernames given (records name their writer by username)."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    return dict(session.execute(select(User.username, User.display_name).where(User.username.in_(wanted))).all())


def actor_label(actor: str, people: dict[str, str]) -> str:
    """Who did it, as the log shows it: a person's name (and username), or 系统（the job）."""
    if actor in people:
        return f"{people[actor]}（{actor}）"
    if actor.startswith("system:"):
        job = actor.removeprefix("system:")
        base, _, flag = job.partition(" --")
        name = SYSTEM_JOBS.get(base, base)
        return f"系统（{name}{'，命令行以系统身份' if flag else ''}）"
    return actor
# code lists by field; lists that share a field name (a file's and a measure's status, an org's and a visit's kind) have no code in common
AUDIT_CODES = {"role": codes.ROLE, "status": codes.HOUSEHOLD_STATUS | codes.MEASURE_STATUS, "kind": codes.ORG_KIND | codes.VISIT_KIND,
               "cause": codes.CAUSE, "category": codes.CATEGORY, "relation": codes.RELATION, "exclusion": codes.EXCLUSION,
               "sex": codes.SEX, "track": codes.TRACK, "programme": codes.PROGRAMME | codes.ASSISTANCE_PROGRAMME, "fund_source": codes.FUND_SOURCE,
               "pay_every": codes.PAY_EVERY, "source": codes.ASSISTANCE_SOURCE}
HIDDEN_IN_SNAPSHOT = {"id", "path", "version", "created_at", "updated_at", "household_id", "password_changed_at"}


def _audit_value(field: str | None, value: str | None) -> str:
    """A stored old/new value as a person reads it: a create's JSON snapshot becomes 标签：值；…"""
    if not value:
        return ""
    if field is None and value.startswith("{"):
        try:
            data = json.loads(value)
        except ValueError:
            return value
        return "；".join(f"{AUDIT_FIELDS.get(k, k)}：{_audit_value(k, v)}" for k, v in data.items() if k not in HIDDEN_IN_SNAPSHOT)
    if field is None and value.startswith("[{"):  # the rows an import's undo deleted, one snapshot each
        try:
            data = json.loads(value)
        except ValueError:
            return value
        return " | ".join(_audit_value(None, json.dumps(row, ensure_ascii=False)) for row in data)
    if field and field.endswith("_fen") and value.lstrip("-").isdigit():
        return fen_to_yuan(int(value))  # money is kept in fen, read in yuan
    return AUDIT_CODES.get(field or "", {}).get(value, value)


def _record_names(session: Session, rows: list[AuditLog]) -> dict[tuple[str, str], str]:
    """Users by username and files by file number, instead of bare ids."""
    ids = {entity: [int(r.entity_id) for r in rows if r.entity == entity and (r.entity_id or "").isdigit()]
           for entity in ("app_user", "household", "org")}
    names = {}
    for entity, model, column in (("app_user", User, User.username), ("household", Household, Household.file_no), ("org", Org, Org.name)):
        if ids[entity]:
            for rid, name in session.execute(select(model.id, column).where(model.id.in_(ids[entity]))).all():
                names[(entity, str(rid))] = name
    return names


def audit_page(
    session: Session, actor: Actor, *, entity: str | None = None, who: str = "", since: dt.date | None = None,
    page: int = 1, page_size: int = 100,
) -> tuple[pd.DataFrame, int]:
    require_admin(actor, "查看操作日志")
    stmt = select(AuditLog)
    if entity:
        stmt = stmt.where(AuditLog.entity == entity)
    who = search_text(who)  # as the file search: no typed text can make the database refuse the query
    if who:  # a username, or part of a person's name
        named = select(User.username).where(User.display_name.like(f"%{who}%"))
        stmt = stmt.where(or_(AuditLog.actor.like(f"%{who.lower()}%"), AuditLog.actor.in_(named)))
    if since:
        stmt = stmt.where(AuditLog.at >= dt.datetime.combine(since, dt.time()))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(AuditLog.id.desc()).limit(page_size).offset((max(1, page) - 1) * page_size)).all()
    return audit_frame(session, rows), total


def audit_frame(session: Session, rows: list[AuditLog]) -> pd.DataFrame:
    """Audit rows as a person reads them: names instead of ids, Chinese field names, readable values."""
    names = _record_names(session, rows)
    people = dict(session.execute(select(User.username, User.display_name)).all())
    return pd.DataFrame(
        [
            {"时间": r.at, "操作人": actor_label(r.actor, people),
             "操作": ACTION_LABELS.get(r.action, r.action), "对象": ENTITY_LABELS.get(r.entity, r.entity),
             "记录": names.get((r.entity, r.entity_id), r.entity_id or ""), "字段": AUDIT_FIELDS.get(r.field, r.field or ""),
             "原值": _audit_value(r.field, r.old_value), "新值": _audit_value(r.field, r.new_value), "原因": r.reason or ""}
            for r in rows
        ],
        columns=["时间", "操作人", "操作", "对象", "记录", "字段", "原值", "新值", "原因"],
    )

