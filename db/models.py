"""The schema: SQLAlchemy 2.0 typed models.

Conventions kept by every table:
- money is integer fen (`*_fen` columns, BigInteger);
- code-list columns hold codes from `core.codes` (String), never labels;
- every row users can change carries `version`, used by SQLAlchemy for optimistic locking
  (an UPDATE that finds another version raises StaleDataError) and compared by the services
  with the version the user's form was loaded with;
- nothing about a household is ever deleted: files close with a status change, and the
  audit log is append-only.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

# Named constraints so that Alembic migrations are stable on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def now() -> dt.datetime:
    """Local time to the second: every timestamp the app writes comes from here (not the database's
    clock, which is UTC on SQLite), so the audit log and the records agree."""
    return dt.datetime.now().replace(microsecond=0)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Versioned:
    """Mixin for mutable rows: a version counter used for optimistic locking."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


# --- places and the union tree ---------------------------------------------------------------


class Place(Base):
    """A district, county or management zone (GB/T 2260 code, or ZONE-* for the zones)."""

    __tablename__ = "place"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("place.code"))


class Org(Versioned, Base):
    """A union: 市总工会 → 区县/产业工会 → 基层工会. `path` is '/1/4/17/' for subtree queries."""

    __tablename__ = "org"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"))
    place_code: Mapped[str] = mapped_column(ForeignKey("place.code"), nullable=False)
    path: Mapped[str] = mapped_column(String(255), nullable=False, default="", index=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)



class User(Versioned, Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(64), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(128), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, server_default=func.now(), default=now)
    # logins (sessions and cookies) from before this moment are no longer accepted
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    org: Mapped[Org] = relationship(lazy="joined")

    __table_args__ = (
        CheckConstraint("role IN ('admin','staff','viewer','analyst')", name="role"),
    )



class LoginSession(Base):
    """One login: its id travels in the signed cookie, and the store can revoke it (logout, reset, deactivation)."""

    __tablename__ = "login_session"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, unguessable
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), nullable=False, index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class LoginFailure(Base):
    """Failed logins counted per client and name tried (name "*": every name from that client), one row per window."""

    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(64), nullable=False)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)

    __table_args__ = (UniqueConstraint("client", "username", name="uq_login_failure_client_username"),)


# --- the household file (一户一档) -------------------------------------------------------------


class Household(Versioned, Base):
    """One file per household; the head of household's own data lives on this row."""

    __tablename__ = "household"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)  # created by an import
    file_no: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)  # 档案编号
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), nullable=False, index=True)
    place_code: Mapped[str] = mapped_column(ForeignKey("place.code"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="applying", index=True)
    filed_on: Mapped[dt.date | None] = mapped_column(Date)  # 建档日期 (entered 在档)
    category: Mapped[str | None] = mapped_column(String(16))  # 困难类别
    category_rule_set: Mapped[str | None] = mapped_column(String(32))
    category_assessed_on: Mapped[dt.date | None] = mapped_column(Date)
    category_explanation: Mapped[str | None] = mapped_column(Text)  # why, in plain Chinese
    key_group: Mapped[str | None] = mapped_column(String(32))  # 五类重点群体
    hard_to_exit: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 难以脱困
    casualty: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 成员在灾害/意外中伤亡
    visit_interval_months: Mapped[int | None] = mapped_column(Integer)  # this file's 走访间隔; empty: the parameter's
    # 导入的历史档案: came in 在档 from another system by a workbook, without this system's filing steps
    historical_import: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # the head of household (户主)
    worker_no: Mapped[str | None] = mapped_column(String(32))  # 职工编号
    name: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    ethnicity: Mapped[str | None] = mapped_column(String(4))
    sex: Mapped[str | None] = mapped_column(String(1))
    political_status: Mapped[str | None] = mapped_column(String(4))
    id_number: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    health: Mapped[str | None] = mapped_column(String(16))
    disability_kind: Mapped[str | None] = mapped_column(String(16))
    disability_grade: Mapped[str | None] = mapped_column(String(2))
    work_status: Mapped[str | None] = mapped_column(String(16))
    model_worker: Mapped[str | None] = mapped_column(String(16))
    housing: Mapped[str | None] = mapped_column(String(16))
    floor_area_dm2: Mapped[int | None] = mapped_column(Integer)  # 建筑面积, in 0.01 m²
    mobile: Mapped[str | None] = mapped_column(String(11))
    employer: Mapped[str | None] = mapped_column(String(128))
    employer_kind: Mapped[str | None] = mapped_column(String(32))
    employer_uscc: Mapped[str | None] = mapped_column(String(18))
    industry: Mapped[str | None] = mapped_column(String(4))
    marital: Mapped[str | None] = mapped_column(String(16))
    hukou: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(255))
    hukou_division: Mapped[str | None] = mapped_column(String(16))
    medical_insurance: Mapped[str | None] = mapped_column(String(16))
    single_parent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    zero_employment: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    self_help_ability: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    union_member_since: Mapped[dt.date | None] = mapped_column(Date)
    labour_relation_since: Mapped[dt.date | None] = mapped_column(Date)  # 农民工: ≥ 1 year
    bank_name: Mapped[str | None] = mapped_column(String(64))
    bank_account: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, server_default=func.now(), default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, nullable=False, server_default=func.now(), default=now, onupdate=now
    )
    updated_by: Mapped[str | None] = mapped_column(String(64))  # who saved the file last (for conflict messages)

    org: Mapped[Org] = relationship(lazy="joined")
    members: Mapped[list[Member]] = relationship(back_populates="household", order_by="Member.id")
    causes: Mapped[list[HouseholdCause]] = relationship(back_populates="household", order_by="HouseholdCause.id")

    __table_args__ = (
        CheckConstraint(
            "status IN ('applying','active','exited','relieved','withdrawn')", name="status"
        ),
        Index("ix_household_org_status", "org_id", "status"),
        # one open file per head's ID number, kept by the database too (members are checked by the service)
        Index("uq_household_open_id_number", "id_number", unique=True,
              sqlite_where=text("status IN ('applying', 'active')"),
              postgresql_where=text("status IN ('applying', 'active')")),
        Index("ix_household_place_status", "place_code", "status"),
        Index("ix_household_category", "category"),
    )



class Member(Versioned, Base):
    """A household member other than the head (家庭成员)."""

    __tablename__ = "member"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)  # created by an import
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    relation: Mapped[str] = mapped_column(String(16), nullable=False)
    sex: Mapped[str | None] = mapped_column(String(1))
    id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    health: Mapped[str | None] = mapped_column(String(16))
    monthly_income_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    identity: Mapped[str | None] = mapped_column(String(16))  # 身份
    able_to_work: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    medical_insurance: Mapped[str | None] = mapped_column(String(16))
    school_or_employer: Mapped[str | None] = mapped_column(String(128))
    household: Mapped[Household] = relationship(back_populates="members")

    __table_args__ = (CheckConstraint("monthly_income_fen >= 0", name="income_non_negative"),)



class HouseholdCause(Versioned, Base):
    """A cause of hardship (致困原因) on a file: exactly one main, up to three secondary."""

    __tablename__ = "household_cause"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)  # created by an import
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    cause: Mapped[str] = mapped_column(String(4), nullable=False)
    is_main: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    removed_on: Mapped[dt.date | None] = mapped_column(Date)  # 已消除 on this date
    household: Mapped[Household] = relationship(back_populates="causes")

    __table_args__ = (
        UniqueConstraint("household_id", "cause", name="uq_household_cause_household_cause"),
        # one main cause per household, enforced by the database on SQLite and PostgreSQL alike
        Index(
            "uq_household_cause_one_main",
            "household_id",
            unique=True,
            sqlite_where=text("is_main"),
            postgresql_where=text("is_main"),
        ),
    )



class ExclusionCheck(Versioned, Base):
    """An exclusion rule checked for a file: a recorded yes/no with its source (DOMAIN.md)."""

    __tablename__ = "exclusion_check"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    exclusion: Mapped[str] = mapped_column(String(32), nullable=False)
    applies: Mapped[bool] = mapped_column(Boolean, nullable=False)
    source: Mapped[str] = mapped_column(String(255), nullable=False)
    checked_on: Mapped[dt.date] = mapped_column(Date, nullable=False)

    __table_args__ = (UniqueConstraint("household_id", "exclusion", name="uq_exclusion_check_household_exclusion"),)



class ProcessStep(Base):
    """A step of the filing process (申请 → 入户调查 → 公示 → 审核 → 在档), with who and when."""

    __tablename__ = "process_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    step: Mapped[str] = mapped_column(String(16), nullable=False)
    done_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    done_by: Mapped[str] = mapped_column(String(64), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)


class StatusChange(Base):
    """The status history of a file; the status on any date is rebuilt from it (as-of views)."""

    __tablename__ = "status_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16), nullable=False)
    effective_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    reason: Mapped[str | None] = mapped_column(String(32))  # codes.WITHDRAW_REASON, or 返困 etc.
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, server_default=func.now(), default=now)


class IncomeMonth(Versioned, Base):
    """One month of household income: the total, the persons it feeds, and transfers within it."""

    __tablename__ = "income_month"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)  # created by an import
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False)
    month: Mapped[dt.date] = mapped_column(Date, nullable=False)  # first day of the month
    income_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    persons: Mapped[int] = mapped_column(Integer, nullable=False)
    transfer_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # 转移性收入
    special_spending_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # 病/学/残 刚性支出
    accident_spending_fen: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # 灾害/意外支出

    __table_args__ = (
        UniqueConstraint("household_id", "month", name="uq_income_month_household_month"),
        CheckConstraint("income_fen >= 0", name="income_non_negative"),
        CheckConstraint("persons >= 1", name="persons_positive"),
        CheckConstraint("transfer_fen >= 0 AND transfer_fen <= income_fen", name="transfer_within_income"),
        CheckConstraint("special_spending_fen >= 0 AND accident_spending_fen >= 0", name="spending_non_negative"),
    )



# --- dated policy parameters -------------------------------------------------------------------


class DibaoLine(Versioned, Base):
    """The 低保 line of a district from a date on (yuan per person per month, stored in fen)."""

    __tablename__ = "dibao_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)  # created by an import
    place_code: Mapped[str] = mapped_column(ForeignKey("place.code"), nullable=False)
    effective_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 示例数据, not official
    note: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        UniqueConstraint("place_code", "effective_from", name="uq_dibao_line_place_from"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )



class PolicyParameter(Versioned, Base):
    """A dated policy parameter (exit months, 公示 days, baseline date, targets, …).

    `value` is text; `core.parameters` knows each key's type and default.
    """

    __tablename__ = "policy_parameter"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    effective_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    value: Mapped[str] = mapped_column(String(255), nullable=False)
    note: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (UniqueConstraint("key", "effective_from", name="uq_policy_parameter_key_from"),)



class PolicyScenario(Versioned, Base):
    """政策模拟方案: a named set of dated overrides (core.scenario), identified by the hash of its content.

    The content never changes (a changed set is a new scenario); only the name does. A scenario holds no personal
    data and never touches the real parameters until an administrator adopts it."""

    __tablename__ = "policy_scenario"
    id: Mapped[int] = mapped_column(primary_key=True)
    hash: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)  # core.scenario.content_hash
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), nullable=False, index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), nullable=False)  # the author's union when it was saved
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, server_default=func.now(), default=now)
    overrides: Mapped[str] = mapped_column(Text, nullable=False)  # core.scenario.to_json: canonical, hashed
    author: Mapped[User] = relationship(lazy="joined")


class OfficialCalendarYear(Versioned, Base):
    """A year of the official calendar entered by an administrator (法定节假日和调休), for a year the
    chinese-calendar package does not know yet. Dates are ISO days separated by commas."""

    __tablename__ = "official_calendar_year"
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    holidays: Mapped[str] = mapped_column(Text, nullable=False)  # 放假日期
    workdays: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 调休上班日期 (weekend days)
    source: Mapped[str | None] = mapped_column(String(255))  # e.g. the 国务院办公厅 notice


# --- measures, pairing, visits, payments ------------------------------------------------------


class Measure(Versioned, Base):
    """A measure of the plan (一户一计划): one track, the cause it addresses, a status."""

    __tablename__ = "measure"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)  # created by an import
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    track: Mapped[str] = mapped_column(String(16), nullable=False)
    programme: Mapped[str | None] = mapped_column(String(32))
    cause: Mapped[str | None] = mapped_column(String(4))
    content: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="planned")
    start_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    responsible: Mapped[str | None] = mapped_column(String(64))
    # money: the amount of each payment, its fund, and the schedule that produced the payment rows
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    fund_source: Mapped[str | None] = mapped_column(String(16))
    pay_every: Mapped[str | None] = mapped_column(String(16))  # codes.PAY_EVERY
    first_pay_on: Mapped[dt.date | None] = mapped_column(Date)
    pay_count: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="amount_non_negative"),)



class MeasureStatusChange(Base):
    """The status history of a measure (计划 → 实施中 → 已完成): what it was on any past day (core.measure_history)."""

    __tablename__ = "measure_status_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id"), nullable=False, index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)  # the file's trail, scope
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16), nullable=False)
    effective_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, server_default=func.now(), default=now)


class AidPayment(Versioned, Base):
    """Money paid to a household (资金台账): from a measure, or a 送温暖 payment of its own."""

    __tablename__ = "aid_payment"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)  # created by an import
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measure.id"), index=True)
    track: Mapped[str] = mapped_column(String(16), nullable=False)
    programme: Mapped[str | None] = mapped_column(String(32))
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    fund_source: Mapped[str] = mapped_column(String(16), nullable=False)
    paid_on: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    note: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)



class Pairing(Versioned, Base):
    """一帮一: the responsible person and pairing unit of a file over a period (history kept)."""

    __tablename__ = "pairing"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    helper_name: Mapped[str] = mapped_column(String(64), nullable=False)
    helper_unit: Mapped[str] = mapped_column(String(128), nullable=False)
    helper_phone: Mapped[str | None] = mapped_column(String(11))
    start_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    end_on: Mapped[dt.date | None] = mapped_column(Date)

    # the caseload and bulk reassignment look helpers up by name among current pairings;
    # one current pairing per file, kept by the database (two people assigning a helper at once: one wins)
    __table_args__ = (Index("ix_pairing_helper_current", "helper_name", "end_on"),
                      Index("uq_pairing_current", "household_id", unique=True,
                            sqlite_where=text("end_on IS NULL"), postgresql_where=text("end_on IS NULL")))


class IdentityLock(Base):
    """One row per ID number that an open file holds or has held: a service adding a person to an open file locks
    the person's row first (SELECT ... FOR UPDATE), so two files saved at once cannot both take one person."""

    __tablename__ = "identity_lock"
    id_number: Mapped[str] = mapped_column(String(18), primary_key=True)



class AssistanceRecord(Versioned, Base):
    """纳入政府救助体系: the household in one government programme (低保, 特困供养, 临时救助 …) over a period,
    and where that is known from. Ended by a `to_on`, corrected with a reason; history kept in the audit log."""

    __tablename__ = "assistance_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)  # created by an import
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    programme: Mapped[str] = mapped_column(String(16), nullable=False)  # codes.ASSISTANCE_PROGRAMME
    from_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    to_on: Mapped[dt.date | None] = mapped_column(Date)  # empty: still in force
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # codes.ASSISTANCE_SOURCE
    note: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (CheckConstraint("to_on IS NULL OR to_on >= from_on", name="period"),)


class Visit(Versioned, Base):
    """走访记录: a home visit, phone follow-up or 送温暖 visit."""

    __tablename__ = "visit"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)  # created by an import
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), nullable=False, index=True)
    visited_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    visitor: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)
    needs: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_visit_household_on", "household_id", "visited_on"),)



# --- imports ---------------------------------------------------------------------------------


class ImportBatch(Versioned, Base):
    """One import (who, when, which file, how many rows); it can be undone as a whole."""

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    org_path: Mapped[str] = mapped_column(String(255), nullable=False)  # the scope it was imported in
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    counts: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: sheet → {created, updated, unchanged}
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    undone_by: Mapped[str | None] = mapped_column(String(64))


class ImportChange(Base):
    """A row an import changed (rows it created carry import_batch_id instead): its values before, to undo."""

    __tablename__ = "import_change"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), nullable=False, index=True)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[int] = mapped_column(Integer, nullable=False)
    before: Mapped[str] = mapped_column(Text, nullable=False)  # JSON of the changed fields
    version_after: Mapped[int] = mapped_column(Integer, nullable=False)


# --- audit, data version, settings ------------------------------------------------------------


class AuditLog(Base):
    """Append-only: who changed which record, which field, old → new, and why."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor: Mapped[str] = mapped_column(String(64), nullable=False)  # username, or system:…
    action: Mapped[str] = mapped_column(String(16), nullable=False)  # create / update / close / login …
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[str | None] = mapped_column(String(32))
    field: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    # the file a row belongs to (household, member, measure, visit …), so a file's trail keeps its deleted rows
    household_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # tamper evidence (db/audit.py): the row's place in the chain, the previous row's hash, and this row's hash of
    # the previous hash and its own content; UPDATE and DELETE are refused by triggers (migration 0012)
    chain_seq: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),
                      Index("uq_audit_log_chain_seq", "chain_seq", unique=True),
                      Index("ix_audit_log_actor_action_at", "actor", "action", "at"))  # a user's reads and refusals today


class DataVersion(Base):
    """A single counter bumped by every write; caches of derived figures are keyed on it."""

    __tablename__ = "data_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class AppSetting(Base):
    """Settings the app generates once and keeps in the store (e.g. the login cookie key)."""

    __tablename__ = "app_setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
