"""The storage schema: one class per domain entity, one English name each.

Places nest county → township → community → grid → compound, but a compound's
grid is a spatial link (grids may cut across compounds in real data), so it
is nullable and recomputed from geometry rather than assumed.

All geometries are WGS-84 (EPSG:4326). Money and prices are ``Numeric`` so
thresholds are exact. Enumerations are stored as their Chinese labels, the
terms the county documents use; the allowed values live in ``data.vocab``.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON, true, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary,
    MetaData, Numeric, String, Text, UniqueConstraint, false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from data.types import Geometry

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --- places -----------------------------------------------------------------

class Region(Base):
    """省/市: a place above the county (issue 17), for a deployment holding a city or a province.

    ``level`` is ``province`` or ``city``; a city's ``parent_adcode`` is its province. A
    deployment of one county needs no row here.
    """

    __tablename__ = "region"
    adcode: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(10))  # province / city
    parent_adcode: Mapped[str | None] = mapped_column(ForeignKey("region.adcode"), index=True)
    geometry = mapped_column(Geometry, nullable=True)
    source: Mapped[str | None] = mapped_column(String(200))


class County(Base):
    """县（区、市）: a county-level unit of the deployment (one by default; a city's or province's all).

    ``city_adcode`` is its city (:class:`Region`), None in a one-county deployment that
    never imported the city.
    """

    __tablename__ = "county"
    adcode: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    geometry = mapped_column(Geometry, nullable=True)
    source: Mapped[str | None] = mapped_column(String(200))
    city_adcode: Mapped[str | None] = mapped_column(ForeignKey("region.adcode"), index=True)


class Township(Base):
    """镇街: a township (镇) or street (街道); its name is unique within its county."""

    __tablename__ = "township"
    # a name is unique within its county (a province has many 城关街道); codes are national
    # 9-digit codes (county adcode + 3 digits), unique in the deployment (migration 0011b)
    __table_args__ = (UniqueConstraint("county_adcode", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(10), default="镇")  # 街道 / 镇 / 乡
    geometry = mapped_column(Geometry, nullable=True)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    # issue 17: the county it belongs to (None only where a deployment's single county is not recorded)
    county_adcode: Mapped[str | None] = mapped_column(ForeignKey("county.adcode"), index=True)


class Community(Base):
    """社区 (or 村): belongs to one township."""

    __tablename__ = "community"
    __table_args__ = (UniqueConstraint("township_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    geometry = mapped_column(Geometry, nullable=True)


class Grid(Base):
    """网格: the unit of grid management, with its grid worker (网格员)."""

    __tablename__ = "grid"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    worker: Mapped[str | None] = mapped_column(String(30))
    worker_phone: Mapped[str | None] = mapped_column(String(20))
    geometry = mapped_column(Geometry, nullable=True)


# --- companies ----------------------------------------------------------------

class PropertyCompany(Base):
    """物业服务企业."""

    __tablename__ = "property_company"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    contact: Mapped[str | None] = mapped_column(String(30))
    phone: Mapped[str | None] = mapped_column(String(20))
    state_owned: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_rep: Mapped[str | None] = mapped_column(String(30))  # 法定代表人
    qualification: Mapped[str | None] = mapped_column(String(50))  # 资质
    aliases: Mapped[str | None] = mapped_column(String(300))  # 、-separated short and merged-in names


class ProjectManager(Base):
    """项目经理: the property company's manager of one or more projects."""

    __tablename__ = "project_manager"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("property_company.id"), index=True)
    name: Mapped[str] = mapped_column(String(30))
    phone: Mapped[str | None] = mapped_column(String(20))


# --- compounds ----------------------------------------------------------------

class Compound(Base):
    """住宅小区 / 物业项目: the compound record (小区档案)."""

    __tablename__ = "compound"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    aliases: Mapped[str | None] = mapped_column(String(200))  # 、-separated other names
    address: Mapped[str | None] = mapped_column(String(200))
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    geometry = mapped_column(Geometry, nullable=True)
    households: Mapped[int | None] = mapped_column(Integer)  # NULL: not reported (未填报)
    buildings: Mapped[int | None] = mapped_column(Integer)
    floor_area_m2: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    year_built: Mapped[int | None] = mapped_column(Integer)
    compound_class: Mapped[str | None] = mapped_column(String(20))  # vocab.COMPOUND_CLASSES
    management_mode: Mapped[str] = mapped_column(String(30))  # vocab.MANAGEMENT_MODES
    company_id: Mapped[int | None] = mapped_column(ForeignKey("property_company.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("project_manager.id"))
    fee_level: Mapped[int | None] = mapped_column(Integer)  # 政府指导价 一级–四级 → 1–4
    fee_price: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # 元/㎡·月
    owners_body: Mapped[str | None] = mapped_column(String(20))  # vocab.OWNERS_BODIES; NULL: not reported
    owners_committee_party_members: Mapped[int | None] = mapped_column(Integer)
    party_branch: Mapped[bool | None] = mapped_column(Boolean)  # 小区党支部
    party_secretary_full_time: Mapped[bool | None] = mapped_column(Boolean)
    notice_board: Mapped[bool | None] = mapped_column(Boolean)  # 三会三公开
    smart_property: Mapped[bool | None] = mapped_column(Boolean)  # 智慧物业
    elevators: Mapped[int | None] = mapped_column(Integer)
    parking_spaces: Mapped[int | None] = mapped_column(Integer)  # NULL: not reported
    cars: Mapped[int | None] = mapped_column(Integer)  # recorded residents' cars, if known
    maintenance_fund: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 维修资金余额 元

    company: Mapped[PropertyCompany | None] = relationship()
    manager: Mapped[ProjectManager | None] = relationship()


# --- complaints ---------------------------------------------------------------

class Complaint(Base):
    """12345 诉求/投诉. ``order_no`` (工单编号) is the natural key for re-imports.

    ``complainant_name`` and ``complainant_phone`` are personal data: the query
    layer masks them; nothing else reads these columns.
    """

    __tablename__ = "complaint"
    __table_args__ = (
        # order_no identifies a work order (a re-import updates it). SQLite: a plain unique constraint.
        # PostgreSQL partitions the table by month (migration 0011a_partitions): a unique index there
        # must hold the partition key, so (order_no, received_at) is unique per table and the key
        # table ``complaint_order_no`` (PostgreSQL only, kept by triggers) keeps order_no unique overall.
        UniqueConstraint("order_no", name="uq_complaint_order_no").ddl_if(dialect="sqlite"),
        Index("uq_complaint_order_received", "order_no", "received_at", unique=True).ddl_if(dialect="postgresql"),
        Index("ix_complaint_received", "received_at"),
        Index("ix_complaint_compound_received", "compound_id", "received_at"),
        Index("ix_complaint_township_received", "township_id", "received_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    category: Mapped[str] = mapped_column(String(30))
    content: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    match_method: Mapped[str] = mapped_column(String(10), default="未匹配")  # vocab.MATCH_METHODS
    match_confidence: Mapped[float | None]  # 0–1: 坐标 1, 邻近 by distance, 地址 the name score
    compound_name: Mapped[str | None] = mapped_column(String(100))  # 小区名称 as the order wrote it
    department: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(10), default="办理中")
    status_notes: Mapped[str | None] = mapped_column(Text)  # 办理说明: free text (Open311 status_notes)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    satisfaction: Mapped[str | None] = mapped_column(String(10))  # 满意 / 基本满意 / 不满意
    complainant_name: Mapped[str | None] = mapped_column(String(30))
    complainant_phone: Mapped[str | None] = mapped_column(String(20))


class ComplaintMonth(Base):
    """诉求月度汇总: complaints per month × township × community × compound × category.

    The overview's figures (tiles, top list, township ladders, colour modes) are sums
    over this table instead of counts over the raw ``complaint`` rows. A row counts the
    work orders received (受理时间) in ``month`` with exactly these place ids (each as the
    order stores it; null where the order has none, e.g. an unmatched order has no
    compound) and this category. Every write of complaints refreshes the months it
    touched in the same transaction (``data.aggregates``); ``python -m data
    refresh-aggregates`` rebuilds it.
    """

    __tablename__ = "complaint_month"
    __table_args__ = (
        # covering: the readers filter by month range (and township/community) and sum n
        Index("ix_complaint_month_month", "month", "township_id", "community_id", "compound_id", "category", "n"),
        # a city's or a county's months: its townships' rows only (issue 17: a city overview on the full
        # province 2.3 s → 1.1 s, a county's 1.8 s → 0.5 s)
        Index("ix_complaint_month_township", "township_id", "month", "compound_id", "category", "n"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # "YYYY-MM" of received_at
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"))
    category: Mapped[str] = mapped_column(String(30))
    n: Mapped[int] = mapped_column(Integer)


class ComplaintMonthPlace(Base):
    """诉求月度汇总（按地点）: ``complaint_month`` summed over the categories — complaints per
    month × township × community × compound.

    The figures that need no category (the top lists and their 36 months, the township
    ladders, the monthly totals) sum this table: about a quarter of ``complaint_month``'s
    rows (3.6 M → 0.95 M on the full province demo; a city's 全市 list 77 → 40 ms).
    Refreshed with ``complaint_month``, from it, in the same transaction (``data.aggregates``).
    """

    __tablename__ = "complaint_month_place"
    __table_args__ = (
        Index("ix_complaint_month_place_month", "month", "township_id", "community_id", "compound_id", "n"),
        Index("ix_complaint_month_place_township", "township_id", "month", "compound_id", "n"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # "YYYY-MM" of received_at
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"))
    n: Mapped[int] = mapped_column(Integer)


class CompoundAlias(Base):
    """小区别名: another name a compound is known by in work orders (learned from manual matches)."""

    __tablename__ = "compound_alias"
    __table_args__ = (UniqueConstraint("alias", "compound_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    alias: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20), default="手工确认")
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(50))


class CategoryMap(Base):
    """诉求类别对照: a category name as a 12345 system exports it → the product's category (editable)."""

    __tablename__ = "category_map"
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    category: Mapped[str] = mapped_column(String(30))


# --- evaluation, credit, fees -------------------------------------------------

class Evaluation(Base):
    """季度考评: quarterly quantitative evaluation of one project (compound)."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("compound_id", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))  # YYYY-Qn
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    satisfaction: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))  # 业主满意度 %
    evaluator: Mapped[str | None] = mapped_column(String(50))


class CreditGrade(Base):
    """信用等级: a company's credit grade for one quarter."""

    __tablename__ = "credit_grade"
    __table_args__ = (UniqueConstraint("company_id", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("property_company.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))
    grade: Mapped[str] = mapped_column(String(5))
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))


class FeeRecord(Base):
    """收费标准记录: a compound's fee level and price from a date on."""

    __tablename__ = "fee_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    effective_date: Mapped[date] = mapped_column(Date)
    fee_level: Mapped[int | None] = mapped_column(Integer)
    fee_price: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    note: Mapped[str | None] = mapped_column(String(200))
    change_kind: Mapped[str | None] = mapped_column(String(10))  # 调整类型: 首次核定 / 上调 / 下调 / 降费


class FeeAdjustment(Base):
    """调价/降费: one change of a compound's fee-adjustment status (history)."""

    __tablename__ = "fee_adjustment"
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # vocab.FEE_STATUSES
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str | None] = mapped_column(String(50))
    reason: Mapped[str | None] = mapped_column(String(300))
    deadline: Mapped[date | None] = mapped_column(Date)  # 限期整改: rectify by this day (000 §5(2))


# --- parking ------------------------------------------------------------------

class ParkingResource(Base):
    """错时停车资源: spaces a unit or road can share at night."""

    __tablename__ = "parking_resource"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    owner_kind: Mapped[str] = mapped_column(String(20))  # vocab.PARKING_OWNER_KINDS
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), index=True)
    geometry = mapped_column(Geometry, nullable=True)
    capacity: Mapped[int | None] = mapped_column(Integer)  # spaces that can be shared; NULL: not reported
    weekday_opens: Mapped[str | None] = mapped_column(String(5))  # HH:MM, cars may enter from
    weekday_closes: Mapped[str | None] = mapped_column(String(5))  # HH:MM, cars must leave by
    weekend_opens: Mapped[str | None] = mapped_column(String(5))
    weekend_closes: Mapped[str | None] = mapped_column(String(5))
    hours_text: Mapped[str | None] = mapped_column(String(100))  # opening hours as the file wrote them
    contact: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(10), default="可用")


# --- inspections --------------------------------------------------------------

class Inspector(Base):
    """检查人员: drawn at random for spot checks, never in their own township."""

    __tablename__ = "inspector"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    unit: Mapped[str] = mapped_column(String(50))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))
    linked_company_ids: Mapped[list] = mapped_column(JSON, default=list)  # recusal
    cert_no: Mapped[str | None] = mapped_column(String(30), unique=True)  # 执法证号, the natural key
    phone: Mapped[str | None] = mapped_column(String(20))  # personal data: masked when shown
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class SpotCheckDraw(Base):
    """双随机抽查: one reproducible draw (seed and parameters recorded)."""

    __tablename__ = "spot_check_draw"
    id: Mapped[int] = mapped_column(primary_key=True)
    drawn_at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str | None] = mapped_column(String(50))
    seed: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(50))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    input_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 of candidates + params
    inputs: Mapped[dict | None] = mapped_column(JSON)  # policy.inspection.canonical_inputs


class SpotCheckResult(Base):
    """抽查结果: one compound drawn, its inspection team and the outcome."""

    __tablename__ = "spot_check_result"
    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("spot_check_draw.id"), index=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    inspector_ids: Mapped[list] = mapped_column(JSON, default=list)
    checked_at: Mapped[date | None] = mapped_column(Date)
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    findings: Mapped[str | None] = mapped_column(Text)
    rectification_due: Mapped[date | None] = mapped_column(Date)
    rectified_at: Mapped[date | None] = mapped_column(Date)
    verdict: Mapped[str | None] = mapped_column(String(10))  # 合格 / 基本合格 / 不合格
    follow_up: Mapped[str | None] = mapped_column(Text)  # 整改复查


# --- enforcement --------------------------------------------------------------

class EnforcementCase(Base):
    """执法联动案件, with the fields of the case report form (案件呈报表)."""

    __tablename__ = "enforcement_case"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(30), unique=True)
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compound.id"), index=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    department: Mapped[str] = mapped_column(String(50))
    step: Mapped[str] = mapped_column(String(5))  # vocab.CASE_STEPS, the latest one reached
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    location: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    details: Mapped[str | None] = mapped_column(Text)
    reporting_unit: Mapped[str | None] = mapped_column(String(50))
    reporter: Mapped[str | None] = mapped_column(String(30))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    receiving_unit: Mapped[str | None] = mapped_column(String(50))
    receiver: Mapped[str | None] = mapped_column(String(30))
    receiver_phone: Mapped[str | None] = mapped_column(String(20))
    reporting_opinion: Mapped[str | None] = mapped_column(Text)
    receiving_opinion: Mapped[str | None] = mapped_column(Text)
    remarks: Mapped[str | None] = mapped_column(Text)

    steps: Mapped[list[CaseStep]] = relationship(back_populates="case", order_by="CaseStep.at")


class CaseStep(Base):
    """案件环节: one of 发现 → 拍照 → 制止 → 呈报 → 处理 → 结案, or a transfer."""

    __tablename__ = "case_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    step: Mapped[str] = mapped_column(String(5))
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(Text)
    from_unit: Mapped[str | None] = mapped_column(String(50))  # transfers (移交) only
    to_unit: Mapped[str | None] = mapped_column(String(50))

    case: Mapped[EnforcementCase] = relationship(back_populates="steps")


class CasePhoto(Base):
    """案件照片, attached to a case step."""

    __tablename__ = "case_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("enforcement_case.id"), index=True)
    step_id: Mapped[int | None] = mapped_column(ForeignKey("case_step.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # legacy; files live in var/photos
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # data.photos
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    lon: Mapped[float | None]  # EXIF GPS, WGS-84
    lat: Mapped[float | None]
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- people and accountability --------------------------------------------------

class User(Base):
    """用户: a login with a role and a jurisdiction (whole county, township or community)."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20))  # vocab.ROLES
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    # issue 8: identity-provider login (OpenID Connect email) and the inspector this login is
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("inspector.id"))
    # issue 13: a one-time password (first administrator, reset) must be changed at the next sign-in
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # issue 17: the jurisdiction of a county or city role in a deployment of several counties
    county_adcode: Mapped[str | None] = mapped_column(ForeignKey("county.adcode"))
    city_adcode: Mapped[str | None] = mapped_column(ForeignKey("region.adcode"))


class LoginSession(Base):
    """登录会话: a browser that stays signed in across reloads until it signs out or the session expires.

    Only the SHA-256 of the browser's random token is stored, so a copy of the
    database (or a backup) cannot be used to sign in.
    """

    __tablename__ = "login_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)  # signed out, password changed, disabled


class LoginThrottle(Base):
    """登录限速: failed sign-ins of one username from one client (IP or browser session).

    ``key`` is the SHA-256 of ``username|client``; each failure past the free
    ones doubles ``blocked_until`` for that pair only, so an attacker elsewhere
    never locks the real user out (issue 13).
    """

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime)


class AuditLog(Base):
    """审计日志: append-only record of writes, reveals, exports and logins."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    username: Mapped[str | None] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(30))
    target: Mapped[str | None] = mapped_column(String(200))
    scope: Mapped[str | None] = mapped_column(String(50))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Setting(Base):
    """设置: a stored override of a default from ``data.settings``."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[dict | list | str | int | float | None] = mapped_column(JSON)


class DutyRule(Base):
    """职责分工: the department responsible for a complaint/case category (editable).

    Rows override ``policy.duties.DEFAULT_DUTIES``; one table for complaint
    routing and joint enforcement.
    """

    __tablename__ = "duty_rule"
    category: Mapped[str] = mapped_column(String(30), primary_key=True)
    department: Mapped[str] = mapped_column(String(50))


# --- spot-check checklist and per-item results (issue 7) ------------------------

class CheckItem(Base):
    """检查事项: one item of the spot-check checklist (editable; inactive items are kept)."""

    __tablename__ = "check_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    guidance: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SpotCheckItemResult(Base):
    """检查事项结果: pass/fail and a note for one checklist item of one spot check."""

    __tablename__ = "spot_check_item_result"
    __table_args__ = (UniqueConstraint("result_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("spot_check_result.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("check_item.id"))
    passed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)


class SpotCheckPhoto(Base):
    """抽查照片: a photo of a spot check, stored as a file under var/photos by its sha256."""

    __tablename__ = "spot_check_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("spot_check_result.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("check_item.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(50))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    taken_at: Mapped[datetime | None] = mapped_column(DateTime)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)


# --- staggered-parking proposals (issue 6) --------------------------------------

class ParkingProposal(Base):
    """错时停车方案: a township's proposal — its parameters and a snapshot of compounds and assignments.

    ``content`` keeps what the proposal says at the time it was saved (compounds
    with shortage, each resource with owner kind, hours, cars and walk, totals),
    so the document reads the same after the registers change.
    """

    __tablename__ = "parking_proposal"
    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="草稿")  # policy.parking.STATES
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    content: Mapped[dict] = mapped_column(JSON, default=dict)
    shortage: Mapped[int] = mapped_column(Integer, default=0)
    placed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(50))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ParkingProposalStep(Base):
    """方案流转记录: one change of a proposal's state (who, when, from → to, note)."""

    __tablename__ = "parking_proposal_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("parking_proposal.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str | None] = mapped_column(String(50))
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(300))


class DocumentNumber(Base):
    """发文字号: the serial number given to one document (e.g. 金住建〔2026〕3号).

    Numbers run per issuing office, kind of document and year. ``subject``
    names what was numbered (``parking:12``, ``briefing:2026-10:county``), so
    making the same document again keeps its number instead of taking the next.
    """

    __tablename__ = "document_number"
    __table_args__ = (UniqueConstraint("office", "kind", "year", "serial"),
                      UniqueConstraint("kind", "subject"))
    id: Mapped[int] = mapped_column(primary_key=True)
    office: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    issued_by: Mapped[str | None] = mapped_column(String(100))


# --- accountability register, assessment scores, monthly checks (issue 14) -----

class AssessmentScore(Base):
    """考核成绩: a township's or department's quarterly assessment score (001 §3(6)).

    ``unit_kind`` is 镇街 or 部门; a township row also carries ``township_id``.
    One score per unit and quarter (re-imports update it).
    """

    __tablename__ = "assessment_score"
    __table_args__ = (UniqueConstraint("unit_kind", "unit_name", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_kind: Mapped[str] = mapped_column(String(10))        # 镇街 / 部门
    unit_name: Mapped[str] = mapped_column(String(50))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))           # "2026-Q3"
    score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str | None] = mapped_column(String(50))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime)


class AccountabilityItem(Base):
    """问责台账: one consequence a ladder or list triggered, and whether it was carried out.

    ``trigger_key`` (rule|action|subject|period) is unique: re-running a month never
    duplicates an item. States: 待落实 / 已落实 / 逾期 / 已撤销 (with ``reason``).
    """

    __tablename__ = "accountability_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    trigger_key: Mapped[str] = mapped_column(String(200), unique=True)
    rule: Mapped[str] = mapped_column(String(30))             # township_ladder, complaint_ladder, …
    action: Mapped[str] = mapped_column(String(30))           # policy.ladders / policy.ratings action code
    subject_kind: Mapped[str] = mapped_column(String(20))     # compound / company / township / department
    subject_id: Mapped[int | None] = mapped_column(Integer)
    subject_name: Mapped[str] = mapped_column(String(100))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id"), index=True)
    period: Mapped[str] = mapped_column(String(10), index=True)  # "2026-10" or "2026-Q3"
    figures: Mapped[dict | None] = mapped_column(JSON)
    responsible_unit: Mapped[str] = mapped_column(String(100))
    due_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default="待落实")
    reason: Mapped[str | None] = mapped_column(Text)
    evidence_note: Mapped[str | None] = mapped_column(Text)
    evidence_file: Mapped[str | None] = mapped_column(String(200))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(50))


class AccountabilityEvent(Base):
    """One change of an accountability item: who, when, from which state to which, with a note."""

    __tablename__ = "accountability_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("accountability_item.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    username: Mapped[str | None] = mapped_column(String(50))
    from_state: Mapped[str | None] = mapped_column(String(10))
    to_state: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)


class MonthlyCheck(Base):
    """月检查: a township's monthly check of a compound (002: every compound every month),
    open or unannounced (明查 / 暗访), and whether it was a revisit (回头看)."""

    __tablename__ = "monthly_check"
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    checked_on: Mapped[date] = mapped_column(Date)
    mode: Mapped[str] = mapped_column(String(10), default="明查")   # 明查 / 暗访
    revisit: Mapped[bool] = mapped_column(Boolean, default=False)   # 回头看
    result: Mapped[str | None] = mapped_column(String(20))          # 合格 / 限期整改 / …
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(String(50))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- spatial indexes (keep at the end of the module: it covers every table above) -------------

def _gist_indexes() -> tuple[Index, ...]:
    """A GiST index on every geometry column, on PostgreSQL only (``ix_<table>_<column>``).

    The migrations make them (0001, completed by 0010c_spatial); SQLite stores WKB blobs, which no
    index can search spatially, so none is declared there (``Index.ddl_if``; the autogenerate
    comparison skips them on SQLite through :func:`include_in_autogenerate`)."""
    made = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Geometry):
                made.append(Index(f"ix_{table.name}_{column.name}", column, postgresql_using="gist")
                            .ddl_if(dialect="postgresql"))
    return tuple(made)


GIST_INDEXES = _gist_indexes()
GEOMETRY_TABLES = tuple(sorted({ix.table.name for ix in GIST_INDEXES}))


# PostgreSQL's own tables behind ``complaint`` (migration 0011a_partitions), which no model describes:
# the monthly partitions complaint_pYYYYMM, the DEFAULT partition and the order_no key table
_PG_ONLY_TABLE = re.compile(r"complaint_p(\d{6}|default)|complaint_order_no")


def include_in_autogenerate(dialect_name: str):
    """An Alembic ``include_object`` hook comparing the models with a database of ``dialect_name``.

    Objects declared for another backend only (``ddl_if``: the GiST indexes) are left out, and so is
    PostGIS's own ``spatial_ref_sys`` table, which no model describes."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and reflected and name == "spatial_ref_sys":
            return False
        if type_ == "table" and reflected and dialect_name == "postgresql" and _PG_ONLY_TABLE.fullmatch(name):
            return False  # the complaint partitions and order_no key table (migration 0011a_partitions)
        ddl_if = getattr(obj, "_ddl_if", None)
        if ddl_if is not None and ddl_if.dialect is not None:
            wanted = {ddl_if.dialect} if isinstance(ddl_if.dialect, str) else set(ddl_if.dialect)
            return dialect_name in wanted
        return True
    return include


# complaints written through an ORM Session refresh their monthly aggregates at the flush
import data.aggregates  # noqa: E402,F401  (registers the listener; imports this module, complete by now)
