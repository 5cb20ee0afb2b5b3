"""Boundary imports: county outline, townships, communities, grids.

Natural keys (the upsert rule): township by code, else by name; community by
code, else (township, name); grid by code, else (community, name). A row
without a code that matches nothing gets a generated code ``<parent code>-001``
(said in a note). A parent (所属镇街, 所属社区) is found by name or code, or,
when the cell is blank, by the polygon that covers the boundary's inner point.
"""
from __future__ import annotations

import re

import shapely
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data import permissions
from data.importers.geometry import Extent
from data.importers.pipeline import Job, Row
from data.importers.places import (CodeMaker, Matcher, Registry, apply_values, import_scope, match_place,
                                   named_parents, without_office_suffix)
from data.importers.report import ImportReport
from data.schema import Community, County, Grid, Township

__all__ = ["import_boundaries", "LEVELS"]

LEVELS = ("county", "township", "community", "grid")
_ADCODE = re.compile(r"^\d{6}$")
_LONG_CODE = re.compile(r"^\d{6}(\d{3}|\d{6})$")


def import_boundaries(engine, path, *, level: str, crs: str | None = None, encoding: str | None = None,
                      dry_run: bool = False, name: str | None = None, adcode: str | None = None,
                      layer: str | None = None, filename: str | None = None,
                      tolerance_m: float = 1000.0, actor=None, county: str | None = None) -> ImportReport:
    """Import boundaries of one ``level`` from a file; validate everything, write all or nothing.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    path : str, Path, bytes or file object
        GeoJSON, GeoPackage, shapefile (.shp or .zip), or .xlsx/.csv with a WKT column.
        For bytes or a file object give ``filename`` (its extension names the format).
    level : {"county", "township", "community", "grid"}
    crs : str, optional
        Source CRS: "wgs84", "cgcs2000", "gcj02", "bd09" or "EPSG:nnnn"; default: from the file.
    encoding : str, optional
        Text encoding of a CSV or shapefile; default: detected.
    dry_run : bool
        Validate and count only; nothing is written.
    name, adcode : str, optional
        County level: the county's name and 6-digit code when the file has no such columns
        (or to pick one feature of a file with several counties).
    layer : str, optional
        Layer of a GeoPackage or shapefile of a zip holding several.
    tolerance_m : float
        How far (metres) a boundary may reach beyond the stored county outline.
    actor : Account or str, optional
        Who imports: a signed-in Account needs ``import``; the import is audited with its write.
    county : str, optional
        6-digit adcode of the county the file belongs to (a deployment of several counties):
        its names mean that county's places and new townships are that county's. A county
        user's own county is the default; another county is refused.

    Returns
    -------
    ImportReport
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    permissions.authorize(actor, (permissions.IMPORT, permissions.EDIT_REGISTERS))
    job = Job(path, level, crs=crs, encoding=encoding, layer=layer, filename=filename, dry_run=dry_run,
              tolerance_m=tolerance_m, actor=actor, scope=import_scope(actor, county) if county else None)
    if not job.read(required=() if level == "county" else ("name",)):
        return job.report
    # A community list (民政局名单: 社区名称, 所属镇街, 社区代码) may come without polygons.
    listing = level == "community" and not (job.table.vector or "wkt" in job.cmap.columns)
    if not (job.table.vector or "wkt" in job.cmap.columns) and not listing:
        job.report.error(None, "", None, "文件中没有边界几何：请用 GeoJSON、GeoPackage、shapefile，"
                                         "或在 Excel/CSV 中提供 WKT 列")
        return job.report
    if listing:
        job.report.note("文件中没有边界几何：按社区名单导入（无边界），小区按所填的所属社区归属；"
                        "已有社区的边界保持不变")
    with Session(engine, autoflush=False) as session:
        if level == "county":
            job.extent = Extent(None)  # a new outline is checked against China, not the old one
        else:
            job.load_extent(session)
        if listing:
            job.infer_columns(session, keys=("township",))
        rows = job.rows()
        if listing or job.geometries(rows, polygonal=True):
            for row in rows:
                if row.geometry is None and not row.bad and not listing:
                    job.error(row, job.geometry_key(), "为空（缺少边界）", value=None)
            if level == "county":
                _county(job, session, rows, name=name, adcode=adcode)
            else:
                {"township": _townships, "community": _communities, "grid": _grids}[level](job, session, rows)
        return job.finish(session)


def _count(job: Job, created: bool, changed: bool) -> None:
    if created:
        job.report.created += 1
    elif changed:
        job.report.updated += 1
    else:
        job.report.unchanged += 1


def _store(job: Job, reg: Registry, row: Row, obj, model, values: dict, new_code, prefix: str,
           code_word: str = "编码") -> None:
    """Update ``obj`` with ``values``, or add a new ``model`` (with a generated code when the row has none)."""
    if obj is not None:
        _count(job, False, apply_values(obj, values))
        return
    if "code" not in values:
        values["code"] = new_code(prefix)
        job.note(row, "code", f"未填写{code_word}，已生成 {values['code']}")
    reg.add(model(**values))
    _count(job, True, False)


def _require_name(job: Job, rows: list[Row]) -> list[Row]:
    for row in rows:
        if "name" not in row.values and not row.bad:
            job.error(row, "name", "为空", value=None)
        elif job.level in ("township", "community") and not row.bad:
            # the place, not its office: 卧龙山街道办事处 → 卧龙山街道, 城东社区居民委员会 → 城东社区
            name = row.values["name"]
            key = without_office_suffix(name)
            if key != name:
                row.values["name"] = key
                job.note(row, "name", f"按地名存为“{key}”（去掉机关名称后缀）", value=name)
    return [r for r in rows if not r.bad]


# --------------------------------------------------------------------------- county
def _county(job: Job, session: Session, rows: list[Row], *, name: str | None, adcode: str | None) -> None:
    if adcode is not None and not _ADCODE.match(str(adcode).strip()):
        job.report.error(None, "adcode", adcode, "行政区划代码应为 6 位数字")
        return
    for row in rows:
        code = row.values.get("adcode")
        if code and _LONG_CODE.match(code):  # 三调 XZQDM 370829000 / 370829000000: the county is the first 6
            row.values["adcode"] = code[:6]
            job.note(row, "adcode", f"{len(code)} 位区划代码取前 6 位：{code[:6]}", value=code)
        elif code and not _ADCODE.match(code):
            job.error(row, "adcode", "行政区划代码应为 6 位数字（9 位、12 位代码取前 6 位）")
    chosen = [r for r in rows if not r.bad]
    if adcode or name:
        picked = [r for r in chosen if (adcode and r.values.get("adcode") == str(adcode).strip())
                  or (name and r.values.get("name") == name)]
        in_file = sorted({f"{r.values.get('name', '')} {r.values.get('adcode', '')}".strip() for r in chosen})
        if picked:
            chosen = picked
        elif (adcode and any("adcode" in r.values for r in chosen)) or \
                (name and not adcode and any("name" in r.values for r in chosen)):
            wanted = " ".join(str(x) for x in (name, adcode) if x)
            job.report.error(None, "", wanted, f"文件中没有这个县（文件中有：{'、'.join(in_file)}）")
            return
    keys = {(r.values.get("adcode"), r.values.get("name")) for r in chosen}
    if len(keys) > 1:
        job.report.error(None, "", None, f"文件含 {len(keys)} 个不同的县：请用 adcode= 或 name= 指定一个")
    if job.report.errors:
        return
    file_code, file_name = keys.pop() if keys else (None, None)
    existing = list(session.scalars(select(County)))
    code = (str(adcode).strip() if adcode else None) or file_code
    if code is None and len(existing) == 1:
        code = existing[0].adcode
        job.report.note(f"文件未给出行政区划代码，沿用数据库中的 {code}")
    if code is None:
        job.report.error(None, "行政区划代码", None, "缺少 6 位行政区划代码：请在文件中提供或用 adcode= 指定")
        return
    others = [c for c in existing if c.adcode != code]
    if others:
        job.report.error(None, "行政区划代码", code,
                         f"与数据库中已有的县（{others[0].name} {others[0].adcode}）不一致：本系统只服务一个县")
        return
    row_obj = session.get(County, code)
    county_name = name or file_name or (row_obj.name if row_obj else None)
    if not county_name:
        job.report.error(None, "名称", None, "缺少县名称：请在文件中提供或用 name= 指定")
        return
    geom = shapely.union_all([r.geometry for r in chosen])
    if len(chosen) > 1:
        job.report.note(f"{len(chosen)} 个要素已合并为一个县域边界")
    source = f"{job.report.source}（{job.report.crs or ''}）"[:200]
    values = {"name": county_name, "geometry": geom, "source": source}
    if row_obj is None:
        session.add(County(adcode=code, **values))
        _count(job, True, False)
    else:
        _count(job, False, apply_values(row_obj, values))
    session.flush()
    # the deployment's one county: townships imported before its outline become its own (issue 17)
    session.execute(update(Township).where(Township.county_adcode.is_(None)).values(county_adcode=code))
    _county_settings(job, session, county_name, code)


def _county_settings(job: Job, session: Session, name: str, code: str) -> None:
    """The county of the data is the county of every title and document: settings follow the outline."""
    from data.schema import Setting

    for key, value in (("county_name", name), ("county_adcode", code)):
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        elif row.value != value:
            row.value = value
        else:
            continue
        job.report.note(f"设置“{'县（市）名称' if key == 'county_name' else '行政区划代码'}”改为 {value}")


# --------------------------------------------------------------------------- townships
def _kind_from_name(name: str) -> str:
    if name.endswith(("街道", "街道办事处", "办事处")):
        return "街道"
    if name.endswith("乡"):
        return "乡"
    return "镇"


def _township_county(job: Job, reg: Registry, row: Row, counties: list) -> tuple[bool, str | None]:
    """``(ok, adcode)``: the county a township row belongs to (issue 17: names are unique per county).

    The import's county (``county=`` or a county user's own), else the county of a national
    9-/12-digit code (its first 6 digits), else the county outline holding the boundary, else
    the deployment's only county, else the county of the one stored township of that name.
    A deployment without any county keeps None, as before.
    """
    scope = reg.scope
    code = str(row.values.get("code") or "")
    by_code = code[:6] if _LONG_CODE.match(code) and any(c.adcode == code[:6] for c in counties) else None
    if scope.county is not None:
        if by_code is not None and by_code != scope.county:
            job.error(row, "code", f"代码前 6 位 {by_code} 是{reg.names.county_name(by_code)}的，"
                                   f"不是本次导入的{reg.names.county_name(scope.county)}")
            return False, None
        return True, scope.county
    if by_code is not None:
        return True, by_code
    if not counties:
        return True, None
    if len(counties) == 1:
        return True, counties[0].adcode
    inside = [c for c in counties if (scope.city is None or c.city_adcode == scope.city)]
    if row.geometry is not None and not row.geometry.is_empty:
        point = row.geometry.representative_point()
        hits = [c for c in inside if c.geometry is not None and c.geometry.covers(point)]
        if len(hits) == 1:
            return True, hits[0].adcode
    stored = [t for t in reg.names.find(row.values["name"]) if t.name == row.values["name"]]
    if len({t.county_adcode for t in stored}) == 1:
        return True, stored[0].county_adcode
    if stored:
        job.error(row, "name", reg.names.ambiguous(row.values["name"], stored))
    else:
        job.error(row, "name", "本系统有多个县（区、市），无法确定该镇街属于哪个县：请填写 9 位镇街代码"
                               "（前 6 位为县级行政区划代码），或选择县（区、市）后再导入")
    return False, None


def _townships(job: Job, session: Session, rows: list[Row]) -> None:
    reg = Registry(session, job.place_scope)
    rows = _require_name(job, rows)
    counties = list(session.scalars(select(County).order_by(County.adcode)))
    county_of: dict[int, str | None] = {}
    for row in rows:
        ok, adcode = _township_county(job, reg, row, counties)
        if ok:
            county_of[id(row)] = adcode
    rows = [r for r in rows if id(r) in county_of]
    file_codes = {r.values["code"] for r in rows if "code" in r.values}
    # the natural key is (county, name): 城关街道 of two counties are two townships
    # (a township stored before its county was recorded is the only county's)
    only = counties[0].adcode if len(counties) == 1 else None
    matcher = Matcher(reg.townships, lambda t: (t.county_adcode or only, t.name), file_codes=file_codes,
                      unique_key=True, what="镇街")
    plans = []
    for row in rows:
        obj, ok = matcher.match(job, row, row.values.get("code"), (county_of[id(row)], row.values["name"]))
        if ok and obj is not None and not reg.names.in_scope(obj):
            job.error(row, "code", f"代码 {obj.code} 是{reg.names.label(obj)}的，不在本次导入的范围内")
            ok = False
        elif ok and obj is not None and None not in (obj.county_adcode, county_of[id(row)]) \
                and obj.county_adcode != county_of[id(row)]:  # a local code (001) another county uses
            job.error(row, "code", f"代码 {obj.code} 已是{reg.names.county_name(obj.county_adcode)}"
                                   f"“{obj.name}”的代码：多县（区、市）部署请使用 9 位统计用区划代码")
            ok = False
        if ok:
            plans.append((row, obj))
    if job.report.errors:
        return
    new_code = CodeMaker(reg.codes(Township), max_len=20)
    for row, obj in plans:
        adcode = county_of[id(row)]
        values = {"name": row.values["name"], "geometry": row.geometry, "synthetic": False}
        if adcode is not None:
            values["county_adcode"] = adcode
        for key in ("code", "kind"):
            if key in row.values:
                values[key] = row.values[key]
        if obj is None:
            values.setdefault("kind", _kind_from_name(values["name"]))
        _store(job, reg, row, obj, Township, values, new_code, f"{adcode or 'T'}-", "代码")


# --------------------------------------------------------------------------- communities
def _parent_township(job: Job, reg: Registry, rows: list[Row]) -> dict[int, Township]:
    """所属镇街 of each row, by name/code or, when blank, by location."""
    found: dict[int, Township] = {}
    blank = []
    for row in rows:
        text = row.values.get("township")
        if text is None:
            blank.append(row)
            continue
        township, why = reg.resolve_township(text)
        if township is None:
            job.error(row, "township", why)
        else:
            found[id(row)] = township
    for row, township in zip(blank, reg.locate(Township, [r.geometry for r in blank])):
        if township is None:
            job.error(row, "township", "为空，且边界不在任何已有镇街范围内" if row.geometry is not None
                      else "为空（名单没有边界，须填写所属镇街）", value=None)
        else:
            found[id(row)] = township
            job.note(row, "township", f"按位置确定为“{township.name}”")
    return found


def _communities(job: Job, session: Session, rows: list[Row]) -> None:
    reg = Registry(session, job.place_scope)
    rows = _require_name(job, rows)
    towns = _parent_township(job, reg, rows)
    rows = [r for r in rows if not r.bad]
    for row in rows:  # 某某社区居委会 is the stored 某某社区: update it, do not add a twin
        township, name = towns[id(row)], row.values["name"]
        pool = [c for c in reg.communities if c.township_id == township.id]
        if "code" not in row.values and not any(c.name == name for c in pool):
            found = match_place(name, pool)
            if len(found) == 1:
                job.note(row, "name", f"按名称（去掉“居委会”等后缀）对应已有社区“{found[0].name}”", value=name)
                row.values["name"] = found[0].name
    file_codes = {r.values["code"] for r in rows if "code" in r.values}
    matcher = Matcher(reg.communities, lambda c: (c.township_id, c.name), file_codes=file_codes,
                      unique_key=True, what="社区")
    plans = []
    for row in rows:
        township = towns[id(row)]
        obj, ok = matcher.match(job, row, row.values.get("code"), (township.id, row.values["name"]))
        if ok:
            plans.append((row, obj, township))
    if job.report.errors:
        return
    new_code = CodeMaker(reg.codes(Community), max_len=20)
    for row, obj, township in plans:
        values = {"name": row.values["name"], "township_id": township.id}
        if row.geometry is not None:  # a list without polygons never erases a stored outline
            values["geometry"] = row.geometry
        if "code" in row.values:
            values["code"] = row.values["code"]
        _store(job, reg, row, obj, Community, values, new_code, f"{township.code}-")


# --------------------------------------------------------------------------- grids
def _grids(job: Job, session: Session, rows: list[Row]) -> None:
    reg = Registry(session, job.place_scope)
    rows = _require_name(job, rows)
    parents: dict[int, tuple[Township | None, Community | None]] = {}
    need_place = []
    for row in rows:
        named = named_parents(job, reg, row)
        if named is None:
            continue
        township, community = named
        parents[id(row)] = (township, community)
        if community is None:
            need_place.append(row)
    located_c = reg.locate(Community, [r.geometry for r in need_place],
                           within=[parents[id(r)][0] for r in need_place])
    for row, community in zip(need_place, located_c):
        township = parents[id(row)][0]
        if community is not None:
            job.note(row, "community", f"按位置确定为“{community.name}”")
            township = township or reg.township_of(community)
        if township is None:
            township = reg.locate(Township, [row.geometry])[0]
            if township is None:
                job.error(row, "township", "为空，且网格不在任何已有镇街范围内", value=None)
                continue
            job.note(row, "township", f"按位置确定为“{township.name}”")
        parents[id(row)] = (township, community)
    rows = [r for r in rows if not r.bad]
    file_codes = {r.values["code"] for r in rows if "code" in r.values}
    matcher = Matcher(reg.grids, lambda g: (g.community_id, g.township_id, g.name), file_codes=file_codes,
                      unique_key=False, what="网格")
    plans = []
    for row in rows:
        township, community = parents[id(row)]
        key = (community.id if community else None, township.id, row.values["name"])
        obj, ok = matcher.match(job, row, row.values.get("code"), key)
        if ok:
            plans.append((row, obj, township, community))
    if job.report.errors:
        return
    new_code = CodeMaker(reg.codes(Grid), max_len=30)
    for row, obj, township, community in plans:
        values = {"name": row.values["name"], "township_id": township.id,
                  "community_id": community.id if community else None, "geometry": row.geometry}
        for key in ("code", "worker", "worker_phone"):
            if key in row.values:
                values[key] = row.values[key]
        _store(job, reg, row, obj, Grid, values, new_code, f"{(community or township).code}-")
