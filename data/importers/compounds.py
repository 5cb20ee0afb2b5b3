"""Compound register import (小区档案): one row per compound.

Upsert by 小区编码, else by (community, name). The township and community are
given by name (or code) or, when blank, found from the coordinates (the
community polygon covering the point); the grid likewise, and a blank grid is
recomputed from the geometry. Every spatial decision is reported per row.

A compound given by a point is stored as that point (the map draws a marker);
no polygon is invented. A point inside the compound's stored polygon keeps the
polygon. Property companies are created by name when missing, project
managers per company. A blank cell never changes a stored value.
"""
from __future__ import annotations

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import permissions, vocab
from data.importers.companies import resolve_companies
from data.importers.pipeline import Job, Row
from data.importers.places import (CodeMaker, Matcher, Registry, anchor_point, apply_values, hint,
                                   import_scope, named_parents)
from data.importers.report import ImportReport
from data.schema import Community, Compound, Grid, ProjectManager, PropertyCompany

__all__ = ["import_compounds"]

# Fields copied as parsed onto Compound (name → column of the same name).
_SIMPLE = (
    "name", "code", "aliases", "address", "households", "buildings", "floor_area_m2", "year_built",
    "compound_class", "management_mode", "fee_level", "fee_price", "owners_body",
    "owners_committee_party_members", "party_branch", "party_secretary_full_time", "notice_board",
    "smart_property", "elevators", "parking_spaces", "cars", "maintenance_fund",
)
# 小区类型 is not required: no bureau register has that column; unknown stays NULL (未填报).
_REQUIRED_NEW = ("management_mode",)
_NONE_WORDS = {"无", "/", "-", "—", "暂无", "没有"}


def import_compounds(engine, path, *, crs: str | None = None, encoding: str | None = None,
                     dry_run: bool = False, layer: str | None = None, filename: str | None = None,
                     tolerance_m: float = 1000.0, actor=None, county: str | None = None) -> ImportReport:
    """Import the compound register from a file; validate everything, write all or nothing.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    path : str, Path, bytes or file object
        .xlsx/.csv with 经度/纬度 (or x/y, or a WKT column), or GeoJSON/GeoPackage/shapefile.
    crs, encoding, dry_run, layer, filename, tolerance_m, actor, county
        As for :func:`data.importers.import_boundaries`.

    Returns
    -------
    ImportReport
        ``related`` counts 新建物业企业 and 新建项目经理.
    """
    permissions.authorize(actor, (permissions.IMPORT, permissions.EDIT_REGISTERS))
    job = Job(path, "compounds", crs=crs, encoding=encoding, layer=layer, filename=filename,
              dry_run=dry_run, tolerance_m=tolerance_m, actor=actor,
              scope=import_scope(actor, county) if county else None)
    if not job.read(required=("name",)):
        return job.report
    with Session(engine, autoflush=False) as session:
        job.load_extent(session)
        job.infer_columns(session)
        rows = job.rows()
        _approximate_years(job, rows)
        if job.geometries(rows, polygonal=False):
            _import(job, session, rows)
        return job.finish(session)


def _import(job: Job, session: Session, rows: list[Row]) -> None:
    for row in rows:
        if "name" not in row.values and not row.bad:
            job.error(row, "name", "为空", value=None)
        for key in ("company", "manager"):
            if row.values.get(key) in _NONE_WORDS:
                del row.values[key]
        if row.values.get("management_mode") == vocab.NO_PROPERTY_SERVICE and "company" in row.values:
            job.error(row, "company", f"管理模式为“{vocab.NO_PROPERTY_SERVICE}”，不应填写物业企业")
    reg = Registry(session, job.place_scope)
    existing = list(session.scalars(select(Compound)))
    places = _places(job, reg, [r for r in rows if "name" in r.values], {c.code: c for c in existing})
    rows = [r for r in rows if not r.bad]
    file_codes = {r.values["code"] for r in rows if "code" in r.values}
    matcher = Matcher(existing, lambda c: (c.community_id, c.name), file_codes=file_codes, unique_key=False,
                      what="小区")
    plans = []
    for row in rows:
        township, community, grid = places[id(row)]
        obj, ok = matcher.match(job, row, row.values.get("code"), (community.id, row.values["name"]))
        if ok and _consistent(job, row, obj):
            plans.append((row, obj, township, community, grid))
    if job.report.errors:
        return
    companies = resolve_companies(job, session, plans)  # normalised names: 鸿运物业 = 嘉祥县鸿运物业服务有限公司
    managers = _managers(job, session, plans, companies) if companies is not None else None
    if managers is None:
        return
    new_code = CodeMaker({c.code for c in existing}, max_len=30)
    for row, obj, township, community, grid in plans:
        values = {k: row.values[k] for k in _SIMPLE if k in row.values}
        values["township_id"], values["community_id"] = township.id, community.id
        if grid is not False:
            values["grid_id"] = grid.id if grid is not None else None
        geometry = _geometry(job, row, obj)
        if geometry is not None:
            values["geometry"] = geometry
        company = companies.get(row.values.get("company"))
        if company is not None:
            values["company_id"] = company.id
        if "manager" in row.values:
            values["manager_id"] = managers[(company or obj.company).id, row.values["manager"]].id
        if obj is None:
            if "code" not in values:
                values["code"] = new_code(f"{community.code}-")
                job.note(row, "code", f"未填写编码，已生成 {values['code']}")
            session.add(Compound(**values))
            job.report.created += 1
        elif apply_values(obj, values):
            job.report.updated += 1
        else:
            job.report.unchanged += 1
    missing = sum(1 for row, *_ in plans if row.geometry is None)
    if missing:
        job.report.note(f"{missing} 个小区没有坐标，地图上不显示")


def _approximate_years(job: Job, rows: list[Row]) -> None:
    """'90年代' is stored as 1990: say so, row by row and in one line of the report."""
    from data.importers import values as V

    n = 0
    for row in rows:
        raw = row.raw.get("year_built")
        if "year_built" in row.values and V.year_is_approximate(raw):
            job.note(row, "year_built", f"按约数 {row.values['year_built']} 年存储（原文“{raw}”）", value=raw)
            n += 1
    if n:
        job.report.approximate.append(f"建成年份 {n} 个为约数（如“90年代”按 1990 年）")
        job.report.note(f"建成年份：{n} 个小区填写的是年代或约数，已按首年存储（近似值）")


def _places(job: Job, reg: Registry, rows: list[Row], stored_by_code: dict[str, Compound]) -> dict[int, tuple]:
    """(township, community, grid or None or False = leave as is) for each row without errors."""
    found: dict[int, list] = {}
    need_community = []
    for row in rows:
        named = named_parents(job, reg, row)
        if named is None:
            continue
        township, community = named
        if community is not None and row.geometry is not None and community.geometry is not None:
            lon, lat = anchor_point(row.geometry)
            if not shapely.dwithin(community.geometry, shapely.Point(lon, lat), 1e-4):
                job.note(row, "community", f"坐标不在“{community.name}”范围内，请核对")
        stored = stored_by_code.get(row.values.get("code"))
        if community is None and row.geometry is None and stored is not None \
                and (township is None or township.id == stored.township_id):
            # Updating a known compound without place or coordinates: it stays where it is.
            community = next(c for c in reg.communities if c.id == stored.community_id)
            township = reg.township_of(community)
        found[id(row)] = [township, community]
        if community is None:
            need_community.append(row)
    located = reg.locate(Community, [r.geometry for r in need_community],
                         within=[found[id(r)][0] for r in need_community])
    spatial_c = spatial_g = 0
    for row, community in zip(need_community, located):
        township = found[id(row)][0]
        if community is None:
            where = f"“{township.name}”的" if township else ""
            reason = ("为空，且没有坐标，无法确定所属社区" if row.geometry is None
                      else f"为空，且坐标不在{where}任何已有社区范围内")
            job.error(row, "community", reason, value=None)
            continue
        found[id(row)] = [township or reg.township_of(community), community]
        job.note(row, "community", f"按坐标确定为“{community.name}”")
        spatial_c += 1
    out = {}
    rows = [r for r in rows if not r.bad]
    blank_grid = [r for r in rows if "grid" not in r.values and r.geometry is not None]
    grids = dict(zip(map(id, blank_grid), reg.locate(Grid, [r.geometry for r in blank_grid])))
    for row in rows:
        township, community = found[id(row)]
        grid = False
        if "grid" in row.values:
            matches = reg.grids_named(row.values["grid"], township, community)
            if len(matches) != 1:
                names = (g.name for g in reg.grids if g.township_id == township.id)
                job.error(row, "grid", "不唯一，请填写网格编码" if matches else "不存在" + hint(row.values["grid"], names))
                continue
            grid = matches[0]
        elif id(row) in grids:
            grid = grids[id(row)]
            if grid is not None:
                job.note(row, "grid", f"按坐标确定为“{grid.name}”")
                spatial_g += 1
        out[id(row)] = (township, community, grid)
    if spatial_c:
        job.report.note(f"所属社区（及镇街）按坐标确定：{spatial_c} 个小区")
    if spatial_g:
        job.report.note(f"所属网格按坐标确定：{spatial_g} 个小区")
    return out


def _consistent(job: Job, row: Row, obj: Compound | None) -> bool:
    """Cross-field rules; False (with errors) when the row contradicts itself."""
    ok = True
    if obj is None:
        for key in _REQUIRED_NEW:
            if key not in row.values:
                job.error(row, key, "新建小区时必须填写", value=None)
                ok = False
    elif "company" in row.values and "management_mode" not in row.values \
            and obj.management_mode == vocab.NO_PROPERTY_SERVICE:
        job.error(row, "company", f"小区管理模式为“{vocab.NO_PROPERTY_SERVICE}”，不应填写物业企业（请同时修改管理模式）")
        ok = False
    if "manager" in row.values and "company" not in row.values and (obj is None or obj.company_id is None):
        job.error(row, "manager", "填写了项目经理，但没有物业企业")
        ok = False
    return ok


def _geometry(job: Job, row: Row, obj: Compound | None):
    """The geometry to store: the row's, except a point inside the stored polygon keeps the polygon."""
    geom = row.geometry
    old = obj.geometry if obj is not None else None
    if geom is None or old is None or geom.geom_type != "Point" or old.geom_type == "Point":
        return geom
    if old.covers(geom):
        job.note(row, job.geometry_key(), "坐标在已有小区范围（面）内，保留原范围")
        return old
    job.note(row, job.geometry_key(), "坐标不在已有小区范围（面）内，已改存为点位")
    return geom


def _companies(job: Job, session: Session, plans) -> dict[str, PropertyCompany] | None:
    """Companies named in the file by name, created when missing (flushed for their ids)."""
    wanted = {row.values["company"] for row, *_ in plans if "company" in row.values}
    if not wanted:
        return {}
    companies = {c.name: c for c in session.scalars(select(PropertyCompany).where(PropertyCompany.name.in_(wanted)))}
    for name in sorted(wanted - companies.keys()):
        companies[name] = PropertyCompany(name=name)
        session.add(companies[name])
        job.report.count("新建物业企业")
    return companies if job.flush(session) else None


def _managers(job: Job, session: Session, plans, companies: dict) -> dict | None:
    """Project managers by (company id, name), created when missing; phones updated when given."""
    managers = {(m.company_id, m.name): m for m in session.scalars(select(ProjectManager))}
    for row, obj, *_ in plans:
        if "manager" not in row.values:
            continue
        company = companies.get(row.values.get("company")) or obj.company
        key = (company.id, row.values["manager"])
        phone = row.values.get("manager_phone")
        if key not in managers:
            managers[key] = ProjectManager(company_id=company.id, name=key[1], phone=phone)
            session.add(managers[key])
            job.report.count("新建项目经理")
        elif phone is not None:
            apply_values(managers[key], {"phone": phone})
    return managers if job.flush(session) else None
