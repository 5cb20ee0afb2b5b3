"""Scoped reads: every function takes the caller's :class:`~data.scope.Scope`.

Place registers (townships, communities, grids, compounds) take a scope;
event records (complaints) take a scope and a :class:`~data.scope.Period`.
Aggregations run in SQL (GROUP BY), not in pandas loops, so they stay fast
at province scale. Complainants' names and phones leave this module masked.
"""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine, and_, func, select, true
from sqlalchemy.orm import Session, aliased

from data import aggregates
from data.privacy import mask_name, mask_phone, mask_phones_in_text
from data.schema import (
    Community, Complaint, ComplaintMonth, ComplaintMonthPlace, Compound, County, FeeAdjustment, Grid,
    ProjectManager, PropertyCompany, Region, Township,
)
from data.scope import Period, Scope
from geo.projection import WGS84


def _frame(rows, columns: list[str], *, geometry: bool) -> pd.DataFrame | gpd.GeoDataFrame:
    """Result rows as a frame. SQLAlchemy ``Row`` objects are not tuples, and pandas builds a
    frame from them value by value: 0.55 s for 100,000 rows, against 0.06 s as tuples."""
    df = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    if geometry:
        return gpd.GeoDataFrame(df, geometry="geometry", crs=WGS84)
    return df


def _fetch(engine: Engine, stmt) -> list[tuple]:
    """Rows of a column select as plain tuples, through a Core connection: a Session runs the
    ORM's row loading on every row (a third of the time for 100,000 rows of counts)."""
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(stmt)]


def township_label(engine: Engine, scope: Scope):
    """The name a list of ``scope``'s townships shows: ``Township.name``, or 县名·镇街名 where the
    scope spans several counties (a province has dozens of 城区街道; issue 17). A SQL expression."""
    if scope.county is not None or scope.township_id is not None:
        return Township.name
    counties = select(func.count()).select_from(County)
    if scope.city is not None:
        counties = counties.where(County.city_adcode == scope.city)
    with engine.connect() as c:
        if (c.scalar(counties) or 0) <= 1:
            return Township.name
    county = select(County.name).where(County.adcode == Township.county_adcode).scalar_subquery()
    return func.coalesce(county + "·", "") + Township.name


def in_scope(township_column, scope: Scope, community_column=None):
    """The scope as ONE SQL condition on a township id column (and a community id column, if given).

    The only place a :class:`~data.scope.Scope` becomes SQL: its city (the townships of the
    counties whose ``city_adcode`` it is), county (the townships whose ``county_adcode`` it is),
    township and community constraints, every one that is given. ``true()`` for the whole
    deployment. A row with no township (an unmatched complaint) is inside the whole deployment only.
    """
    conds = []
    if scope.township_id is not None:
        conds.append(township_column == scope.township_id)
    if scope.county is not None:
        conds.append(township_column.in_(select(Township.id).where(Township.county_adcode == scope.county)))
    if scope.city is not None:
        conds.append(township_column.in_(
            select(Township.id).join(County, Township.county_adcode == County.adcode)
            .where(County.city_adcode == scope.city)))
    if scope.community_id is not None and community_column is not None:
        conds.append(community_column == scope.community_id)
    return and_(true(), *conds)


def township_in_scope(session: Session, scope: Scope, township_id, community_id=None) -> bool:
    """Does the township (and community) ``township_id`` lie inside ``scope``? For writes' checks."""
    if township_id is None:
        return scope == Scope()
    if scope.community_id is not None and community_id != scope.community_id:
        return False
    if scope.township_id is not None and int(township_id) != scope.township_id:
        return False
    if scope.county is None and scope.city is None:
        return True  # one county, or a township scope: the ids tell it all
    return session.scalar(select(func.count()).select_from(Township).where(
        Township.id == int(township_id), in_scope(Township.id, scope))) > 0


def _scoped(stmt, model, scope: Scope):
    """Add the scope's constraints for a model with township_id (and community_id) columns."""
    return stmt.where(in_scope(model.township_id, scope, getattr(model, "community_id", None)))


def county(engine: Engine, scope: Scope | None = None) -> gpd.GeoDataFrame:
    """The county outlines (one row in a one-county deployment, none before one is imported).

    With a ``scope`` of a city or county, only that city's counties or that county.
    """
    stmt = select(County.adcode, County.name, County.source, County.geometry).order_by(County.adcode)
    if scope is not None and scope.county is not None:
        stmt = stmt.where(County.adcode == scope.county)
    if scope is not None and scope.city is not None:
        stmt = stmt.where(County.city_adcode == scope.city)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return _frame(rows, ["adcode", "name", "source", "geometry"], geometry=True)


def counties(engine: Engine, scope: Scope) -> pd.DataFrame:
    """县（区、市） of the deployment inside ``scope``: adcode, name, city adcode and name (no geometry)."""
    city = aliased(Region)
    stmt = (select(County.adcode, County.name, County.city_adcode, city.name)
            .outerjoin(city, County.city_adcode == city.adcode).order_by(County.adcode))
    if scope.county is not None:
        stmt = stmt.where(County.adcode == scope.county)
    if scope.city is not None:
        stmt = stmt.where(County.city_adcode == scope.city)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return _frame(rows, ["adcode", "name", "city_adcode", "city"], geometry=False)


def regions(engine: Engine, level: str | None = None) -> gpd.GeoDataFrame:
    """省/市 outlines (``level`` province or city, or both) of a city or province deployment."""
    stmt = select(Region.adcode, Region.name, Region.level, Region.parent_adcode, Region.source,
                  Region.geometry).order_by(Region.adcode)
    if level is not None:
        stmt = stmt.where(Region.level == level)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return _frame(rows, ["adcode", "name", "level", "parent_adcode", "source", "geometry"], geometry=True)


def cities(engine: Engine, scope: Scope) -> gpd.GeoDataFrame:
    """市 outlines of the cities that hold the scope's counties (adcode, name, geometry)."""
    held = select(County.city_adcode).where(County.city_adcode.is_not(None))
    if scope.county is not None:
        held = held.where(County.adcode == scope.county)
    if scope.city is not None:
        held = held.where(County.city_adcode == scope.city)
    stmt = (select(Region.adcode, Region.name, Region.geometry)
            .where(Region.level == "city", Region.adcode.in_(held)).order_by(Region.adcode))
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return _frame(rows, ["adcode", "name", "geometry"], geometry=True)


def townships(engine: Engine, scope: Scope) -> gpd.GeoDataFrame:
    """镇街 polygons in the scope (a community scope still sees its own township)."""
    stmt = select(Township.id, Township.code, Township.name, Township.kind,
                  Township.synthetic, Township.county_adcode, Township.geometry).order_by(Township.code)
    stmt = stmt.where(in_scope(Township.id, scope))
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return _frame(rows, ["id", "code", "name", "kind", "synthetic", "county_adcode", "geometry"], geometry=True)


def communities(engine: Engine, scope: Scope) -> gpd.GeoDataFrame:
    stmt = select(Community.id, Community.code, Community.name, Community.township_id,
                  Township.name, Community.geometry).join(Township).order_by(Community.code)
    stmt = _scoped(stmt, Community, scope)
    if scope.community_id is not None:
        stmt = stmt.where(Community.id == scope.community_id)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return _frame(rows, ["id", "code", "name", "township_id", "township", "geometry"], geometry=True)


def grids(engine: Engine, scope: Scope) -> gpd.GeoDataFrame:
    stmt = select(Grid.id, Grid.code, Grid.name, Grid.township_id, Grid.community_id,
                  Grid.worker, Grid.geometry).order_by(Grid.code)
    stmt = _scoped(stmt, Grid, scope)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return _frame(rows, ["id", "code", "name", "township_id", "community_id", "worker", "geometry"],
                  geometry=True)


COMPOUND_COLUMNS = [
    "id", "code", "name", "aliases", "address", "township_id", "township", "community_id",
    "community", "grid_id", "households", "buildings", "floor_area_m2", "year_built",
    "compound_class", "management_mode", "company_id", "company", "manager", "fee_level",
    "fee_price", "owners_body", "owners_committee_party_members", "party_branch",
    "party_secretary_full_time", "notice_board", "smart_property", "elevators",
    "parking_spaces", "cars", "maintenance_fund", "geometry",
]


def compounds(engine: Engine, scope: Scope, *, ids=None) -> gpd.GeoDataFrame:
    """住宅小区 in the scope with their township, community, company and manager names.

    ``ids`` restricts to those compounds (still only the ones inside the scope).
    """
    c = Compound
    stmt = (
        select(c.id, c.code, c.name, c.aliases, c.address, c.township_id, Township.name,
               c.community_id, Community.name, c.grid_id, c.households, c.buildings,
               c.floor_area_m2, c.year_built, c.compound_class, c.management_mode,
               c.company_id, PropertyCompany.name, ProjectManager.name, c.fee_level,
               c.fee_price, c.owners_body, c.owners_committee_party_members, c.party_branch,
               c.party_secretary_full_time, c.notice_board, c.smart_property, c.elevators,
               c.parking_spaces, c.cars, c.maintenance_fund, c.geometry)
        .join(Township, c.township_id == Township.id)
        .join(Community, c.community_id == Community.id)
        .outerjoin(PropertyCompany, c.company_id == PropertyCompany.id)
        .outerjoin(ProjectManager, c.manager_id == ProjectManager.id)
        .order_by(c.id)
    )
    stmt = _scoped(stmt, c, scope)
    if ids is not None:
        stmt = stmt.where(c.id.in_([int(i) for i in ids]))
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return _frame(rows, COMPOUND_COLUMNS, geometry=True)


def latest_fee_status(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Each compound's current fee-adjustment status (the latest change by date), 无 if none.

    By date, then id: imported history (past adjustments) may be written after later changes.
    """
    ranked = select(FeeAdjustment.id, func.row_number().over(
        partition_by=FeeAdjustment.compound_id,
        order_by=(FeeAdjustment.changed_at.desc(), FeeAdjustment.id.desc())).label("rank")).subquery()
    stmt = (select(FeeAdjustment.compound_id, FeeAdjustment.status, FeeAdjustment.changed_at)
            .join(ranked, (FeeAdjustment.id == ranked.c.id) & (ranked.c.rank == 1))
            .join(Compound, Compound.id == FeeAdjustment.compound_id))
    stmt = _scoped(stmt, Compound, scope)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    return _frame(rows, ["compound_id", "status", "changed_at"], geometry=False)


def _complaint_window(stmt, scope: Scope, period: Period):
    stmt = stmt.where(Complaint.received_at >= period.start_dt, Complaint.received_at < period.end_dt)
    return _scoped(stmt, Complaint, scope)


def _month(engine: Engine, column):
    if engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


GROUPINGS = ("compound", "township", "community", "category", "month")


def complaint_counts(engine: Engine, scope: Scope, period: Period, *, by: str | tuple[str, ...]
                     ) -> pd.DataFrame:
    """Complaint counts grouped in SQL by one or more of :data:`GROUPINGS`.

    Returns columns named after the groupings (ids for compound/township/
    community, ``YYYY-MM`` for month) plus ``count``. Unmatched complaints
    have a null compound id.
    """
    keys = (by,) if isinstance(by, str) else tuple(by)
    df = _frame(_fetch(engine, counts_statement(engine, scope, period, keys)), [*keys, "count"], geometry=False)
    df["count"] = df["count"].astype("int64")
    return df


def counts_statement(engine: Engine, scope: Scope, period: Period, keys: tuple[str, ...]):
    """The SELECT behind :func:`complaint_counts`: ``keys`` and ``count``, grouped and ordered by the
    keys; sums over the monthly aggregates for whole months (``complaint_month_place`` when no
    category is asked for, a quarter of the rows), counts of raw rows otherwise."""
    unknown = set(keys) - set(GROUPINGS)
    if unknown:
        raise ValueError(f"unknown grouping {sorted(unknown)}; choose from {GROUPINGS}")
    window = aggregates.aggregated_period(period) if aggregates.use_aggregates() else None
    if window is not None:  # whole months: sums over the monthly aggregates (data.aggregates)
        a = ComplaintMonth if "category" in keys else ComplaintMonthPlace
        columns = {"compound": a.compound_id, "township": a.township_id, "community": a.community_id,
                   "category": getattr(a, "category", None), "month": a.month}
        exprs = [columns[k].label(k) for k in keys]
        stmt = _aggregate_window(select(*exprs, func.sum(a.n).label("count")), scope, window, a)
    else:
        columns = {"compound": Complaint.compound_id, "township": Complaint.township_id,
                   "community": Complaint.community_id, "category": Complaint.category,
                   "month": _month(engine, Complaint.received_at)}
        exprs = [columns[k].label(k) for k in keys]
        stmt = _complaint_window(select(*exprs, func.count().label("count")), scope, period)
    return stmt.group_by(*exprs).order_by(*exprs)


def _aggregate_window(stmt, scope: Scope, window: tuple[str, str], model=ComplaintMonth):
    """Aggregate rows (``complaint_month``, or ``model``) of the months ``window`` (first, last) inside the scope."""
    stmt = stmt.where(model.month >= window[0], model.month <= window[1])
    return _scoped(stmt, model, scope)


COMPLAINT_COLUMNS = [
    "order_no", "received_at", "category", "content", "address", "lon", "lat",
    "compound_id", "township_id", "community_id", "match_method", "department", "status",
    "closed_at", "satisfaction", "complainant_name", "complainant_phone",
]


def complaints(engine: Engine, scope: Scope, period: Period, *, compound_id: int | None = None,
               limit: int | None = None) -> pd.DataFrame:
    """Complaint records in the scope and period, newest first, personal fields masked."""
    c = Complaint
    stmt = select(c.order_no, c.received_at, c.category, c.content, c.address, c.lon, c.lat,
                  c.compound_id, c.township_id, c.community_id, c.match_method, c.department,
                  c.status, c.closed_at, c.satisfaction, c.complainant_name,
                  c.complainant_phone)
    stmt = _complaint_window(stmt, scope, period).order_by(c.received_at.desc(), c.order_no)
    if compound_id is not None:
        stmt = stmt.where(c.compound_id == compound_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    df = _frame(rows, COMPLAINT_COLUMNS, geometry=False)
    # typed even when empty: a compound without complaints in the period is an ordinary case
    for col in ("received_at", "closed_at"):
        df[col] = pd.to_datetime(df[col])
    df["complainant_name"] = df["complainant_name"].map(mask_name)
    df["complainant_phone"] = df["complainant_phone"].map(mask_phone)
    for col in ("content", "address"):  # phones inside free text, masked like the phone column (issue 13)
        df[col] = df[col].map(mask_phones_in_text)
    return df


def complaint_months(engine: Engine) -> list[str]:
    """The ``YYYY-MM`` months that have complaints, oldest first (for period pickers)."""
    with Session(engine) as s:
        if aggregates.use_aggregates():
            first, last = s.execute(select(func.min(ComplaintMonth.month), func.max(ComplaintMonth.month))).one()
            first, last = (None, None) if first is None else (Period.months(first).start, Period.months(last).start)
        else:
            first, last = s.execute(select(func.min(Complaint.received_at),
                                           func.max(Complaint.received_at))).one()
    if first is None:
        return []
    months, (y, m) = [], (first.year, first.month)
    while (y, m) <= (last.year, last.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


# methods whose coordinates located the compound: those orders are drawn where they were reported
LOCATED_BY_POINT = ("坐标", "邻近")


def heat_statements(scope: Scope, period: Period, *, where=None, cell_deg: float = 0.0005):
    """The two selects behind :func:`heat_counts` (also binned in SQL by ``data.spatial.heat_hexes``).

    ``at_point``: ``gx``, ``gy`` (lattice indexes: degrees / ``cell_deg``, rounded) and ``n`` of the
    complaints located by their coordinates; ``at_compound``: ``compound_id`` and ``n`` of the other
    matched complaints."""
    where = where or (lambda stmt: stmt)
    c = Complaint
    gx = func.round(c.lon / cell_deg).label("gx")
    gy = func.round(c.lat / cell_deg).label("gy")
    located = (c.compound_id.is_not(None) & c.match_method.in_(LOCATED_BY_POINT)
               & c.lon.is_not(None) & c.lat.is_not(None))
    at_point = where(_complaint_window(select(gx, gy, func.count().label("n")).where(located), scope, period)
                     ).group_by(gx, gy)
    at_compound = where(_complaint_window(
        select(c.compound_id, func.count().label("n")).where(c.compound_id.is_not(None), ~located), scope, period)
    ).group_by(c.compound_id)
    return at_point, at_compound


def heat_counts(engine: Engine, scope: Scope, period: Period, *, where=None,
                cell_deg: float = 0.0005) -> pd.DataFrame:
    """Matched complaints counted per ``cell_deg`` lattice cell (~50 m): the heat map's points.

    The heat map and the compound colours count the same complaints, those matched to a
    compound: an order whose coordinates located it (坐标 / 邻近) is placed at its
    coordinates, one matched by name or by hand (or without usable coordinates) at its
    compound's centroid (a point compound's point). Unmatched orders are in neither; they
    wait in the unmatched queue. ``where``: a function adding page filters to a statement.

    Returns ``lon``, ``lat`` (cell centres, WGS-84) and ``count``, bounded by the area.
    """
    at_point, at_compound = heat_statements(scope, period, where=where, cell_deg=cell_deg)
    with Session(engine) as s:
        points = pd.DataFrame([tuple(r) for r in s.execute(at_point)], columns=["gx", "gy", "count"])
        by_compound = dict(tuple(r) for r in s.execute(at_compound))
        geoms = s.execute(select(Compound.id, Compound.geometry)
                          .where(Compound.id.in_(list(by_compound)), Compound.geometry.is_not(None))).all() \
            if by_compound else []
    extra = []
    for cid, geom in geoms:
        if geom is None or geom.is_empty:
            continue  # a compound with no place on the map cannot be drawn anywhere
        p = geom if geom.geom_type == "Point" else geom.centroid
        extra.append((round(p.x / cell_deg), round(p.y / cell_deg), int(by_compound[cid])))
    if extra:
        points = pd.concat([points, pd.DataFrame(extra, columns=["gx", "gy", "count"])], ignore_index=True)
        points = points.groupby(["gx", "gy"], as_index=False)["count"].sum()
    return pd.DataFrame({"lon": points["gx"].astype(float) * cell_deg,
                         "lat": points["gy"].astype(float) * cell_deg,
                         "count": points["count"].astype(int)})


def complaint_point_counts(engine: Engine, scope: Scope, period: Period, *,
                           categories: tuple[str, ...] | None = None,
                           cell_deg: float = 0.0005) -> pd.DataFrame:
    """The heat map's cells (:func:`heat_counts`), optionally for some categories only.

    Returns ``lon``, ``lat`` (cell centres, WGS-84) and ``count``. The result is
    bounded by the area, not by the number of complaints, so heat layers built
    from it (``geo.binning.hex_bins`` with ``weights=count``) stay small.
    """
    where = (lambda stmt: stmt.where(Complaint.category.in_(categories))) if categories else None
    return heat_counts(engine, scope, period, where=where, cell_deg=cell_deg)
