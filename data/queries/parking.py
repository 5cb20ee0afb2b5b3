"""错时停车: scoped reads of parking demand and resources, and proposals with their state history.

Demand per compound: recorded cars (``compound.cars``) when known, else
households × ``cars_per_household`` (setting, rounded to whole cars as the
compound record does); supply is ``parking_spaces``; shortage = demand − supply
when positive. Resources are read in the caller's scope; contacts leave this
module masked (a person's name and mobile number are personal data; office
landlines stay as they are).

A proposal stores its parameters and a snapshot of what it assigns
(:func:`proposal_content`), so the document reads the same after the
registers change. States follow ``policy.parking`` (草稿 → 已提交 → 已批准 /
退回 → 已提交 …); every change is a row of history; content can only be
replaced while the proposal is 草稿 or 退回.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data import permissions, settings
from data.privacy import mask_name, mask_phone
from data.queries import _frame, _scoped, in_scope, township_in_scope
from data.schema import (
    Community, Compound, ParkingProposal, ParkingProposalStep, ParkingResource, Township,
)
from data.scope import Scope, ScopeError
from geo.projection import WGS84
from policy import parking as rules

PLANNABLE = ("可用", "待审批")  # 暂停 resources are left out; 待审批 road bays are what a proposal asks for
RESOURCE_STATUSES = ("可用", "待审批", "暂停")

DEMAND_COLUMNS = ["id", "code", "name", "township_id", "township", "community", "households",
                  "parking_spaces", "cars", "cars_estimated", "demand", "shortage", "geometry"]
RESOURCE_COLUMNS = ["id", "name", "owner_kind", "township_id", "township", "capacity", "weekday_opens",
                    "weekday_closes", "weekend_opens", "weekend_closes", "contact", "status", "geometry"]

_MOBILE = re.compile(r"1\d{10}")
_PERSON = re.compile(r"^([\u4e00-\u9fff·]{2,4})(?=\s|$)")


def mask_contact(text: str | None) -> str | None:
    """``王鹤琪 15770351312`` → ``王** 157****1312``; ``办公室 0537-67156611`` stays (a unit's line)."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    s = str(text).strip()
    has_mobile = bool(_MOBILE.search(s))
    s = _MOBILE.sub(lambda m: mask_phone(m.group(0)), s)
    m = _PERSON.match(s)
    if m and (has_mobile or " " in s) and not m.group(1).endswith(("办公室", "局", "中心", "公司", "室", "处", "科")):
        s = mask_name(m.group(1)) + s[m.end():]
    return s


# --------------------------------------------------------------------------- demand and supply
def cars_per_household(engine: Engine) -> Decimal:
    return Decimal(str(settings.get(engine, "cars_per_household")))


def demand(engine: Engine, scope: Scope, *, ids=None) -> gpd.GeoDataFrame:
    """Compounds in the scope with parking demand, supply and shortage (cars), WGS-84.

    ``cars`` is the recorded number (None when unknown), ``cars_estimated`` True
    when demand comes from households × the ``cars_per_household`` setting.
    """
    c = Compound
    stmt = (select(c.id, c.code, c.name, c.township_id, Township.name, Community.name, c.households,
                   c.parking_spaces, c.cars, c.geometry)
            .join(Township, Township.id == c.township_id)
            .join(Community, Community.id == c.community_id)
            .order_by(c.id))
    stmt = _scoped(stmt, c, scope)
    if ids is not None:
        stmt = stmt.where(c.id.in_([int(i) for i in ids]))
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    per = cars_per_household(engine)
    out = []
    for r in rows:
        households, spaces = r[6], r[7]  # None: not reported (未填报), never taken as 0
        recorded = r[8]
        cars = int(recorded) if recorded is not None else (
            None if households is None else int((per * int(households)).to_integral_value()))
        shortage = None if cars is None or spaces is None else max(0, cars - int(spaces))
        out.append((*r[:6], households, spaces, recorded, recorded is None, cars, shortage, r[9]))
    frame = pd.DataFrame(out, columns=DEMAND_COLUMNS)
    for col in ("households", "parking_spaces", "cars", "demand", "shortage"):
        frame[col] = frame[col].astype("Int64")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)


def unknown_inputs(demand_frame: pd.DataFrame, resource_frame: pd.DataFrame) -> dict:
    """What a plan cannot count: compounds whose demand or supply is not reported, and
    plannable resources whose capacity is not reported (names, for the warning)."""
    comp = demand_frame[demand_frame["shortage"].isna()] if len(demand_frame) else demand_frame
    res = resource_frame[resource_frame["status"].isin(PLANNABLE) & resource_frame["capacity"].isna()] \
        if len(resource_frame) else resource_frame
    return {"compounds": [str(n) for n in comp["name"]] if len(comp) else [],
            "resources": [str(n) for n in res["name"]] if len(res) else []}


def unknown_message(unknown: dict, *, limit: int = 5) -> str | None:
    """'3 个小区的车位数或户数未填报（甲、乙、丙）；1 处停车资源的可共享车位未填报（丁）', or None."""
    parts = []
    for key, what in (("compounds", "个小区的车位数或户数"), ("resources", "处停车资源的可共享车位")):
        names = unknown.get(key) or []
        if names:
            shown = "、".join(names[:limit]) + ("等" if len(names) > limit else "")
            parts.append(f"{len(names)} {what}未填报（{shown}）")
    return "；".join(parts) or None


def resources(engine: Engine, scope: Scope, *, statuses=None) -> gpd.GeoDataFrame:
    """Parking resources in the scope's township (all of them for the county), contacts masked.

    A community scope sees its township's resources: a resource serves the
    compounds around it, not one community.
    """
    p = ParkingResource
    stmt = (select(p.id, p.name, p.owner_kind, p.township_id, Township.name, p.capacity, p.weekday_opens,
                   p.weekday_closes, p.weekend_opens, p.weekend_closes, p.contact, p.status, p.geometry)
            .outerjoin(Township, Township.id == p.township_id)
            .order_by(p.id))
    stmt = stmt.where(in_scope(p.township_id, scope))
    if statuses is not None:
        stmt = stmt.where(p.status.in_(list(statuses)))
    with Session(engine) as s:
        rows = s.execute(stmt).all()
    frame = _frame(rows, RESOURCE_COLUMNS, geometry=True)
    frame["contact"] = frame["contact"].map(mask_contact)
    return frame


def planning_inputs(demand_frame: gpd.GeoDataFrame, resource_frame: gpd.GeoDataFrame, *,
                    compound_ids=None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The frames :func:`policy.parking.plan` takes: compounds with shortage > 0, plannable resources.

    Resources carry both day types' windows (``weekday_*``, ``weekend_*``; ``opens``/``closes``
    are the weekday window, for the single-window call) and ``township_id`` on both frames, so
    :func:`policy.parking.plan_by_day_type` / :func:`policy.parking.windows_for` pick the night's
    window and the plan marks resources across a township border.
    """
    # Unknown shortage or capacity (未填报) is left out: a plan never counts what was not reported.
    comp = demand_frame[(demand_frame["shortage"].fillna(0) > 0).astype(bool) & demand_frame.geometry.notna()]
    if compound_ids is not None:
        comp = comp[comp["id"].isin(list(compound_ids))]
    res = resource_frame[resource_frame["status"].isin(PLANNABLE) & resource_frame.geometry.notna()
                         & resource_frame["capacity"].notna()]
    compounds = gpd.GeoDataFrame({"compound_id": comp["id"].to_numpy(), "shortage": comp["shortage"].to_numpy(),
                                  "township_id": comp["township_id"].to_numpy()},
                                 geometry=comp.geometry.to_numpy(), crs=WGS84)
    resources_ = gpd.GeoDataFrame({"resource_id": res["id"].to_numpy(), "capacity": res["capacity"].to_numpy(),
                                   "opens": res["weekday_opens"].to_numpy(),
                                   "closes": res["weekday_closes"].to_numpy(),
                                   "weekday_opens": res["weekday_opens"].to_numpy(),
                                   "weekday_closes": res["weekday_closes"].to_numpy(),
                                   "weekend_opens": res["weekend_opens"].to_numpy(),
                                   "weekend_closes": res["weekend_closes"].to_numpy(),
                                   "township_id": res["township_id"].to_numpy()},
                                  geometry=res.geometry.to_numpy(), crs=WGS84)
    return compounds, resources_


def update_compound_parking(engine: Engine, scope: Scope, compound_id: int, *, parking_spaces: int | None = None,
                            cars: int | None = None, clear_cars: bool = False, actor=None) -> None:
    """Edit a compound's parking spaces and recorded cars (``clear_cars``: back to the estimate).

    A signed-in ``actor`` needs ``edit_parking`` (the township) or ``edit_registers`` (the housing bureau).
    """
    permissions.authorize(actor, (permissions.EDIT_PARKING, permissions.EDIT_REGISTERS), scope)
    with Session(engine) as s, s.begin():
        comp = s.get(Compound, int(compound_id))
        if comp is None or not township_in_scope(s, scope, comp.township_id, comp.community_id):
            raise ScopeError("该小区不存在或不在您的管辖范围内")
        for name, value in (("车位数", parking_spaces), ("车辆数", cars)):
            if value is not None and int(value) < 0:
                raise ValueError(f"{name}不能为负数")
        if parking_spaces is not None:
            comp.parking_spaces = int(parking_spaces)
        if clear_cars:
            comp.cars = None
        elif cars is not None:
            comp.cars = int(cars)


def _hhmm(value, *, closing: bool) -> str:
    """Validated ``HH:MM`` as the registers store it (a closing ``24:00`` as ``23:59``, like the importer)."""
    total = rules.minutes(value, closing=closing)
    if total == rules.DAY:
        return "23:59"
    return f"{total // 60:02d}:{total % 60:02d}"


def update_resource(engine: Engine, scope: Scope, resource_id: int, *, capacity: int | None = None,
                    weekday: tuple[str, str] | None = None, weekend: tuple[str, str] | None = None,
                    status: str | None = None, actor=None) -> None:
    """Edit a resource's shared spaces, opening windows (``(opens, closes)``, HH:MM; both blank: none)
    and status, in scope; a signed-in ``actor`` needs ``edit_parking``."""
    permissions.authorize(actor, permissions.EDIT_PARKING, scope)
    with Session(engine) as s, s.begin():
        obj = s.get(ParkingResource, int(resource_id))
        if obj is None or not township_in_scope(s, scope, obj.township_id, scope.community_id):
            raise ScopeError("该停车资源不存在或不在您的管辖范围内")
        if capacity is not None:
            if int(capacity) < 0:
                raise ValueError("可共享车位不能为负数")
            obj.capacity = int(capacity)
        for prefix, window in (("weekday", weekday), ("weekend", weekend)):
            if window is None:
                continue
            blank = [v is None or (isinstance(v, float) and pd.isna(v)) or not str(v).strip() for v in window]
            if any(blank) and not all(blank):
                raise ValueError("开放时段须同时填写开始和结束时间")
            setattr(obj, f"{prefix}_opens", None if blank[0] else _hhmm(window[0], closing=False))
            setattr(obj, f"{prefix}_closes", None if blank[1] else _hhmm(window[1], closing=True))
        if status is not None:
            if status not in RESOURCE_STATUSES:
                raise ValueError(f"状态应为：{'、'.join(RESOURCE_STATUSES)}")
            obj.status = status


# --------------------------------------------------------------------------- proposal content
def _plain(value):
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    return value


def proposal_content(township: str, demand_frame: pd.DataFrame, resource_frame: pd.DataFrame,
                     result: rules.PlanResult) -> dict:
    """The snapshot a proposal stores: compounds, assignments, resources used, road bays, totals."""
    comp = demand_frame.set_index("id")
    res = resource_frame.set_index("id")
    placed = result.assignments.groupby("compound_id")["cars"].sum()
    compounds = []
    for cid, short in result.shortage.items():
        row = comp.loc[cid]
        compounds.append({"compound_id": _plain(cid), "name": row["name"], "community": row["community"],
                          "households": _int_or_none(row["households"]),
                          "parking_spaces": _int_or_none(row["parking_spaces"]),
                          "demand": int(row["demand"]), "cars_estimated": bool(row["cars_estimated"]),
                          "shortage": int(short), "placed": int(placed.get(cid, 0)),
                          "unplaced": int(result.unplaced.loc[cid])})
    assignments = []
    for a in result.assignments.itertuples(index=False):
        r = res.loc[a.resource_id]
        assignments.append({
            "compound_id": _plain(a.compound_id), "compound": comp.loc[a.compound_id, "name"],
            "resource_id": _plain(a.resource_id), "resource": r["name"], "owner_kind": r["owner_kind"],
            "resource_township": r["township"], "cross_township": bool(r["township"] != township),
            "hours": rules.hours_label(r["weekday_opens"], r["weekday_closes"]),
            "weekend_hours": rules.hours_label(r["weekend_opens"], r["weekend_closes"]),
            "cars": int(a.cars), "walk_m": None if pd.isna(a.walk_m) else float(a.walk_m),
            "locked": bool(a.locked)})
    used = result.assignments.groupby("resource_id")["cars"].sum()
    resources_ = []
    for rid, cars in used.items():
        r = res.loc[rid]
        road = r["owner_kind"] == rules.ROAD_KIND
        resources_.append({
            "resource_id": _plain(rid), "name": r["name"], "owner_kind": r["owner_kind"],
            "township": r["township"], "cross_township": bool(r["township"] != township),  # 跨镇街资源
            "capacity": int(r["capacity"]), "cars": int(cars),
            "hours": rules.hours_label(r["weekday_opens"], r["weekday_closes"]),
            "weekend_hours": rules.hours_label(r["weekend_opens"], r["weekend_closes"]),
            "contact": r["contact"], "status": r["status"],
            "approval": ("已批准施划" if r["status"] == "可用" else "待县综合执法局审批") if road else None})
    resources_.sort(key=lambda x: (rules.ROAD_KIND == x["owner_kind"], -x["cars"], str(x["name"])))
    share = result.share_met
    mean = result.mean_walk_m
    totals = {"compounds": len(compounds), "resources": len(resources_), "shortage": result.total_shortage,
              "placed": result.placed, "unplaced": int(result.unplaced.sum()),
              "share_met": None if share is None else f"{share.numerator}/{share.denominator}",
              "share_met_pct": None if share is None else round(float(share) * 100, 1),
              "mean_walk_m": None if mean is None else round(mean, 1),
              "road_spaces": int(sum(r["cars"] for r in resources_ if r["approval"])),
              "road_pending": int(sum(1 for r in resources_ if r["approval"] == "待县综合执法局审批"))}
    params = {k: _plain(v) if not isinstance(v, list) else [_plain(x) for x in v]
              for k, v in result.params.items()}
    unknown = unknown_inputs(demand_frame, resource_frame)
    totals["unknown_compounds"] = len(unknown["compounds"])
    totals["unknown_resources"] = len(unknown["resources"])
    return _json({"township": township, "compounds": compounds, "assignments": assignments,
                  "resources": resources_, "roads": [r for r in resources_ if r["approval"]],
                  "totals": totals, "params": params, "unknown": unknown,
                  "warning": unknown_message(unknown)})


def _int_or_none(value):
    return None if value is None or pd.isna(value) else int(value)


def _json(value):
    """Plain JSON values all the way down: no NaN (PostgreSQL's json refuses it), no numpy scalars."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return _plain(value)


# --------------------------------------------------------------------------- proposals
def _now(at: datetime | None) -> datetime:
    return (at or datetime.now()).replace(microsecond=0)


def _check_township(s: Session, scope: Scope, township_id: int) -> None:
    if not township_in_scope(s, scope, township_id, scope.community_id):
        raise ScopeError("该方案不存在或不在您的管辖范围内")


def _get(s: Session, scope: Scope, proposal_id: int) -> ParkingProposal:
    obj = s.get(ParkingProposal, int(proposal_id))
    if obj is None:
        raise ScopeError("该方案不存在或不在您的管辖范围内")
    _check_township(s, scope, obj.township_id)
    return obj


def save_proposal(engine: Engine, scope: Scope, township_id: int, content: dict, *, actor=None,
                  title: str | None = None, proposal_id: int | None = None,
                  at: datetime | None = None) -> int:
    """Create a proposal (草稿, with its first history row) or replace a 草稿/退回 one's content; its id.

    A signed-in ``actor`` needs ``edit_parking``: the township drafts its own proposals.
    """
    actor = permissions.authorize(actor, permissions.EDIT_PARKING, scope).name
    now = _now(at)
    totals = content.get("totals", {})
    with Session(engine) as s, s.begin():
        _check_township(s, scope, township_id)
        if proposal_id is None:
            name = s.scalar(select(Township.name).where(Township.id == int(township_id)))
            if name is None:
                raise ValueError("镇街不存在")
            obj = ParkingProposal(township_id=int(township_id), status=rules.DRAFT, created_at=now,
                                  updated_at=now, created_by=(actor or None) and actor[:50],
                                  title=(title or f"{name}错时停车方案（{now:%Y-%m-%d}）")[:200],
                                  params=content.get("params", {}), content=content)
            s.add(obj)
            s.flush()
            s.add(ParkingProposalStep(proposal_id=obj.id, at=now, actor=(actor or None) and actor[:50],
                                      from_status=None, to_status=rules.DRAFT, note="新建方案"))
        else:
            obj = _get(s, scope, proposal_id)
            if obj.status not in rules.EDITABLE:
                raise rules.StateError(f"“{obj.status}”的方案不能修改；只有草稿或退回的方案可以修改")
            if int(obj.township_id) != int(township_id):
                raise ValueError("不能把方案改到其他镇街")
            if title:
                obj.title = title[:200]
        obj.params = content.get("params", {})
        obj.content = content
        obj.shortage = int(totals.get("shortage", 0))
        obj.placed = int(totals.get("placed", 0))
        obj.updated_at = now
        s.flush()
        return int(obj.id)


def change_state(engine: Engine, scope: Scope, proposal_id: int, target: str, *, actor=None,
                 note: str | None = None, at: datetime | None = None) -> str:
    """Move a proposal to ``target`` (checked by ``policy.parking.check_transition``) and record it.

    Submitting is the township's (``edit_parking``); approving or returning is the county's
    (``approve_parking``): nobody approves their own proposal.
    """
    needed = permissions.APPROVE_PARKING if target in (rules.APPROVED, rules.RETURNED) else permissions.EDIT_PARKING
    now = _now(at)
    with Session(engine) as s, s.begin():
        obj = _get(s, scope, proposal_id)
        rules.check_transition(obj.status, target)  # the procedure's own message first, then the role
        actor = permissions.authorize(actor, needed, scope).name
        if target == rules.SUBMITTED:
            _refuse_unknowns(s, obj)
        if target == rules.RETURNED and not (note or "").strip():
            raise ValueError("退回方案须写明退回理由")
        s.add(ParkingProposalStep(proposal_id=obj.id, at=now, actor=(actor or None) and actor[:50],
                                  from_status=obj.status, to_status=target, note=(note or None) and note[:300]))
        obj.status = target
        obj.updated_at = now
    return target


def _refuse_unknowns(s: Session, obj: ParkingProposal) -> None:
    """A proposal states the township's shortage and the spaces it finds: it cannot be submitted
    while a compound's spaces or demand, or a resource's capacity, in its township is not reported."""
    c, p = Compound, ParkingResource
    compounds = s.execute(select(c.name).where(c.township_id == obj.township_id)
                          .where((c.parking_spaces.is_(None)) | (c.cars.is_(None) & c.households.is_(None)))
                          .order_by(c.id)).scalars().all()
    resources_ = s.execute(select(p.name).where(p.township_id == obj.township_id, p.capacity.is_(None),
                                                p.status.in_(PLANNABLE)).order_by(p.id)).scalars().all()
    message = unknown_message({"compounds": list(compounds), "resources": list(resources_)})
    if message:
        raise ValueError(f"方案不能提交：{message}。缺口和可安排车位不能按未填报的数字计算，请先补填后再提交")


PROPOSAL_COLUMNS = ["id", "title", "township_id", "township", "status", "shortage", "placed", "created_by",
                    "created_at", "updated_at"]


def proposals(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Proposals of the scope's township (all for the county), newest first."""
    p = ParkingProposal
    stmt = (select(p.id, p.title, p.township_id, Township.name, p.status, p.shortage, p.placed, p.created_by,
                   p.created_at, p.updated_at)
            .join(Township, Township.id == p.township_id)
            .order_by(p.updated_at.desc(), p.id.desc()))
    stmt = stmt.where(in_scope(p.township_id, scope))
    with Session(engine) as s:
        return pd.DataFrame(s.execute(stmt).all(), columns=PROPOSAL_COLUMNS)


def proposal(engine: Engine, scope: Scope, proposal_id: int) -> dict:
    """One proposal: its row fields, ``content``, ``params`` and ``history`` (DataFrame, oldest first)."""
    with Session(engine) as s:
        obj = _get(s, scope, proposal_id)
        town = s.scalar(select(Township.name).where(Township.id == obj.township_id))
        steps = s.execute(select(ParkingProposalStep.at, ParkingProposalStep.actor,
                                 ParkingProposalStep.from_status, ParkingProposalStep.to_status,
                                 ParkingProposalStep.note)
                          .where(ParkingProposalStep.proposal_id == obj.id)
                          .order_by(ParkingProposalStep.at, ParkingProposalStep.id)).all()
        return {"id": obj.id, "title": obj.title, "township_id": obj.township_id, "township": town,
                "status": obj.status, "params": dict(obj.params or {}), "content": dict(obj.content or {}),
                "shortage": obj.shortage, "placed": obj.placed, "created_by": obj.created_by,
                "created_at": obj.created_at, "updated_at": obj.updated_at,
                "history": pd.DataFrame(steps, columns=["at", "actor", "from_status", "to_status", "note"])}


def proposal_count(engine: Engine, scope: Scope) -> int:
    stmt = select(func.count()).select_from(ParkingProposal)
    stmt = stmt.where(in_scope(ParkingProposal.township_id, scope))
    with Session(engine) as s:
        return int(s.scalar(stmt) or 0)
