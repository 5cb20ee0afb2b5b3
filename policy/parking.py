"""错时停车方案: assign compounds' parking shortage to resources that can take cars at night.

金乡 (000 §3(3)) and 沂水 (001 §2(3)3): where a compound's parking demand far
exceeds supply and nearby offices, enterprises, public institutions,
commercial car parks or roads can take cars at night, the township drafts a
staggered-parking proposal; night-time temporary spaces on roads are approved
by 综合执法局.

The rule, solved exactly (:func:`plan`):

- a car goes only to a resource within the walking limit: straight-line
  distance in metres in the Gauss–Krüger zone of the data (``geo.projection``)
  times the detour factor — or, when a road network is given, the distance
  along it;
- only where the resource's opening window covers the residents' night window
  (windows may cross midnight: 18:00–07:30 covers 19:00–07:30, 20:00–07:00
  does not);
- no resource takes more cars than its shared spaces;
- among the assignments that place the most cars, the one with the least
  total walking (cars × metres) — a min-cost maximum flow
  (``networkx.max_flow_min_cost``) on integer decimetres.

:func:`walking_routes` gives the route along the network of each assignment,
so the map draws the walk that was measured, not a straight line.

Day types (:func:`plan_by_day_type`): residents park every night, but a car
park open 18:00–07:30 on weekdays and 08:00–17:00 at weekends takes no car on
weekend nights. A resource may carry ``weekday_opens``/``weekday_closes`` and
``weekend_opens``/``weekend_closes``; where only one window is known it applies
to both. Each day type gets its own plan and coverage, and a resource counts
only on the nights its window covers.

供需矛盾突出: only compounds whose shortage reaches ``min_shortage`` cars are
planned (setting ``parking_shortage_min_cars``). Resources across a township
border may be used; when both frames carry ``township_id`` the assignments
say so (``cross_township``).

Planner controls: exclude resources, lock resources (keep their current
assignment, add nothing), cap the share of one resource any single compound
may take. Proposal states (草稿 → 已提交 → 已批准 / 退回) are at the end.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
import shapely.ops

from geo.projection import WGS84, metric_crs, require_geographic

__all__ = [
    "plan", "PlanResult", "window_covers", "minutes", "hours_label", "NIGHT_DEFAULT", "ROAD_KIND",
    "STATES", "DRAFT", "SUBMITTED", "APPROVED", "RETURNED", "TRANSITIONS", "EDITABLE",
    "check_transition", "StateError", "ASSIGNMENT_COLUMNS", "walking_routes",
    "WEEKDAY", "WEEKEND", "DAY_TYPES", "windows_for", "plan_by_day_type",
]

WEEKDAY, WEEKEND = "weekday", "weekend"
DAY_TYPES = {WEEKDAY: "工作日夜间", WEEKEND: "周末及节假日夜间"}

NIGHT_DEFAULT = ("19:00", "07:30")
ROAD_KIND = "道路夜间临时泊位"  # needs 综合执法局 approval (001 §2(3)3)
ASSIGNMENT_COLUMNS = ["compound_id", "resource_id", "cars", "walk_m"]
DAY = 24 * 60
_SCALE = 10  # walking cost in whole decimetres: exact integer arithmetic for the flow

# reasons a resource takes no car (shown to the planner)
EXCLUDED = "已排除"
LOCKED = "已锁定"
NO_WINDOW = "开放时段不覆盖夜间停车时段"
NO_SPACES = "无可共享车位"
TOO_FAR = "步行距离内没有缺口小区"


# --------------------------------------------------------------------------- opening windows
def minutes(hhmm, *, closing: bool = False) -> int:
    """``"07:30"`` → 450. ``"24:00"`` is the end of the day (1440); as a closing time ``"23:59"``
    means the same (registers write 00:00–23:59 for 全天).

    Raises
    ------
    ValueError
        Not a time of day ``H:MM``/``HH:MM``.
    """
    s = str(hhmm).strip().replace("：", ":")
    try:
        h, m = (int(p) for p in s.split(":"))
    except ValueError:
        raise ValueError(f"不是时间（应为 HH:MM）：{hhmm!r}") from None
    if not (0 <= h <= 24 and 0 <= m <= 59) or (h == 24 and m):
        raise ValueError(f"不是有效的时间：{hhmm!r}")
    value = h * 60 + m
    if closing and value == DAY - 1:
        return DAY
    return value


def _span(opens, closes) -> tuple[int, int]:
    """``(start, length)`` in minutes of a daily window; closing at or before opening crosses midnight.

    Opening equal to closing (or 00:00–24:00) is the whole day.
    """
    o, c = minutes(opens) % DAY, minutes(closes, closing=True)
    length = (c - o) % DAY
    if length == 0:
        length = DAY
    return o, length


def window_covers(opens, closes, night=NIGHT_DEFAULT) -> bool:
    """Does the daily window ``opens``–``closes`` contain the whole ``night`` window?

    Both may cross midnight. Missing hours (None/blank/NaN) never cover.

    >>> window_covers("18:00", "07:30", ("19:00", "07:30"))
    True
    >>> window_covers("20:00", "07:00", ("19:00", "07:30"))
    False
    """
    if any(v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""
           for v in (opens, closes)):
        return False
    o, length = _span(opens, closes)
    n0, night_len = _span(*night)
    if length == DAY:
        return True
    offset = (n0 - o) % DAY  # how long after opening the night starts
    return offset + night_len <= length


def hours_label(opens, closes) -> str:
    """``18:00—次日07:30`` across midnight, ``08:00—20:00`` within a day, ``全天`` all day, ``未填写``."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""
           for v in (opens, closes)):
        return "未填写"
    o, length = _span(opens, closes)
    if length == DAY:
        return "全天"
    end = (o + length) % DAY
    text = "24:00" if o + length == DAY else f"{end // 60:02d}:{end % 60:02d}"
    return f"{o // 60:02d}:{o % 60:02d}—{'次日' if o + length > DAY else ''}{text}"


# --------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class PlanResult:
    """The outcome of :func:`plan`; unpacks as ``assignments, unplaced = plan(...)``.

    Attributes
    ----------
    assignments : DataFrame
        ``compound_id, resource_id, cars, walk_m, locked`` — one row per pair that
        takes at least one car; ``walk_m`` in metres (0.1 m), ``locked`` True for
        rows kept from a locked resource. Sorted by compound, then walk.
    unplaced : Series
        Cars still without a space, indexed by ``compound_id`` (every input compound).
    shortage : Series
        The input shortage, indexed by ``compound_id``.
    eligible : DataFrame
        ``compound_id, resource_id, walk_m``: every pair the rules allow (before capacity).
    reasons : Series
        Indexed by ``resource_id``: why the resource can take no car (已排除, 已锁定,
        开放时段不覆盖夜间停车时段, 无可共享车位, 步行距离内没有缺口小区), else None.
    """

    assignments: pd.DataFrame
    unplaced: pd.Series
    shortage: pd.Series
    eligible: pd.DataFrame
    reasons: pd.Series
    params: dict = field(default_factory=dict)

    def __iter__(self):
        yield self.assignments
        yield self.unplaced

    @property
    def placed(self) -> int:
        return int(self.assignments["cars"].sum())

    @property
    def total_shortage(self) -> int:
        return int(self.shortage.sum())

    @property
    def share_met(self) -> Fraction | None:
        """Cars placed / total shortage, exact; None when there is no shortage."""
        total = self.total_shortage
        return Fraction(self.placed, total) if total else None

    @property
    def total_walk_m(self) -> float:
        a = self.assignments
        return float((a["cars"] * a["walk_m"]).sum())

    @property
    def mean_walk_m(self) -> float | None:
        """Average walk per placed car (metres), None when nothing is placed."""
        return self.total_walk_m / self.placed if self.placed else None


def _ids(values, what: str) -> list:
    ids = list(values)
    if len(set(ids)) != len(ids):
        raise ValueError(f"{what}编号重复")
    return ids


def _counts(values, what: str) -> np.ndarray:
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    if np.isnan(arr).any() or (arr < 0).any() or (arr != np.floor(arr)).any():
        raise ValueError(f"{what}应为非负整数")
    return arr.astype(np.int64)


def _require(frame, columns, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}缺少列：{', '.join(missing)}")
    require_geographic(frame, what=what)


def _share(value) -> Fraction | None:
    if value is None:
        return None
    share = Fraction(str(value)) if not isinstance(value, Fraction) else value
    if not 0 < share <= 1:
        raise ValueError("单个小区占用比例应在 0 到 1 之间（不含 0）")
    return share


class _WalkNetwork:
    """Footways/roads as a graph in metres: vertices within 0.1 m are one node (shared vertices join lines).

    A place (a compound's centroid, a resource) joins the network at its nearest
    node; that short leg is straight × the detour factor.
    """

    def __init__(self, lines: np.ndarray, detour: float):
        self.detour = detour
        self.graph = nx.Graph()
        for line in shapely.get_parts(lines):
            if line is None or line.is_empty or line.geom_type != "LineString":
                continue
            xy = np.round(shapely.get_coordinates(line), 1)
            for a, b in zip(map(tuple, xy[:-1]), map(tuple, xy[1:])):
                if a != b:
                    length = math.dist(a, b)
                    if not self.graph.has_edge(a, b) or self.graph.edges[a, b]["length"] > length:
                        self.graph.add_edge(a, b, length=length)
        self.nodes = list(self.graph.nodes)
        self._points = shapely.points(np.array(self.nodes)) if self.nodes else np.array([])
        self._tree = shapely.STRtree(self._points) if self.nodes else None

    def join(self, places: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each place: the index of its nearest node, and the leg's walking metres."""
        nearest = self._tree.nearest(places)
        return nearest, shapely.distance(places, self._points[nearest]) * self.detour

    def walks(self, points: np.ndarray, targets: np.ndarray, limit_m: float) -> np.ndarray:
        """Walking metres from every point to every target, ``inf`` beyond ``limit_m``."""
        out = np.full((len(points), len(targets)), np.inf)
        if not self.nodes:
            return out
        c_node, c_leg = self.join(points)
        r_node, r_leg = self.join(targets)
        for i, ni in enumerate(c_node):
            budget = limit_m - c_leg[i]
            if budget < 0:
                continue
            reach = nx.single_source_dijkstra_path_length(self.graph, self.nodes[ni], cutoff=budget,
                                                          weight="length")
            for j, nj in enumerate(r_node):
                d = reach.get(self.nodes[nj])
                if d is not None:
                    out[i, j] = c_leg[i] + d + r_leg[j]
        return out

    def route(self, start, target) -> shapely.LineString:
        """The walk drawn: start → its node → shortest path → the target's node → the target's nearest point."""
        (ni,), _ = self.join(np.array([start]))
        (nj,), _ = self.join(np.array([target]))
        path = nx.shortest_path(self.graph, self.nodes[ni], self.nodes[nj], weight="length")
        end = shapely.ops.nearest_points(self._points[nj], target)[1]
        coords = [(start.x, start.y), *path, (end.x, end.y)]
        return shapely.LineString([c for k, c in enumerate(coords) if k == 0 or c != coords[k - 1]] or coords)


def _metric_crs(*frames):
    bounds = [f.total_bounds for f in frames if len(f) and np.isfinite(f.total_bounds).all()]
    return metric_crs(float(np.mean([(b[0] + b[2]) / 2 for b in bounds]))) if bounds else None


def walking_routes(compounds: gpd.GeoDataFrame, resources: gpd.GeoDataFrame, assignments: pd.DataFrame,
                   network: gpd.GeoDataFrame | gpd.GeoSeries, *, detour: float = 1.3) -> gpd.GeoSeries:
    """The route along ``network`` of each assignment, as :func:`plan` measured it (WGS-84 lines).

    ``compounds``/``resources`` as for :func:`plan` (``compound_id``/``resource_id``);
    indexed by ``(compound_id, resource_id)``. Pairs the network does not connect
    are left out (the map then draws them straight).
    """
    require_geographic(compounds, what="小区")
    lines = network.geometry if isinstance(network, gpd.GeoDataFrame) else network
    require_geographic(lines, what="路网")
    index = pd.MultiIndex.from_arrays([[], []], names=["compound_id", "resource_id"])
    crs = _metric_crs(compounds, resources)
    if crs is None or assignments.empty:
        return gpd.GeoSeries([], index=index, crs=WGS84)
    graph = _WalkNetwork(lines.to_crs(crs).to_numpy(), detour)
    if not graph.nodes:
        return gpd.GeoSeries([], index=index, crs=WGS84)
    comp = gpd.GeoSeries(compounds.geometry.to_numpy(), index=compounds["compound_id"], crs=compounds.crs).to_crs(crs)
    res = gpd.GeoSeries(resources.geometry.to_numpy(), index=resources["resource_id"], crs=resources.crs).to_crs(crs)
    keys, routes = [], []
    for c, r in zip(assignments["compound_id"], assignments["resource_id"]):
        if c not in comp.index or r not in res.index:
            continue
        try:
            routes.append(graph.route(comp.loc[c].centroid, res.loc[r]))
        except nx.NetworkXNoPath:
            continue
        keys.append((c, r))
    index = pd.MultiIndex.from_tuples(keys, names=["compound_id", "resource_id"]) if keys else index
    return gpd.GeoSeries(routes, index=index, crs=crs).to_crs(WGS84)


def plan(compounds: gpd.GeoDataFrame, resources: gpd.GeoDataFrame, *, walk_limit_m: float = 500,
         detour: float = 1.3, night: tuple[str, str] = NIGHT_DEFAULT, exclude: Iterable = (),
         lock: Iterable = (), previous: pd.DataFrame | None = None, max_share=None,
         network: gpd.GeoDataFrame | gpd.GeoSeries | None = None, min_shortage: int = 1) -> PlanResult:
    """Assign each compound's shortage to night-time parking resources, exactly.

    Parameters
    ----------
    compounds : GeoDataFrame, WGS-84
        ``compound_id``, ``shortage`` (cars without a space, integer ≥ 0), geometry
        (polygon or point; walking is measured from its centroid).
    resources : GeoDataFrame, WGS-84
        ``resource_id``, ``capacity`` (shared spaces, integer ≥ 0), ``opens``,
        ``closes`` (``HH:MM``, the window cars may stay; may cross midnight),
        geometry (point, polygon or road line; walking is measured to its nearest point).
    walk_limit_m : float, keyword-only
        Longest walk in metres (inclusive).
    detour : float, keyword-only
        Straight-line metres × ``detour`` = walking metres (ignored along a network,
        except for the short legs to the nearest network node).
    night : (str, str), keyword-only
        The residents' night window ``(from, until)``.
    exclude : iterable, keyword-only
        Resource ids left out entirely.
    lock, previous : keyword-only
        Resource ids whose assignment in ``previous`` (an earlier ``assignments``
        frame) is kept as it is; nothing else goes to them.
    max_share : number or str, keyword-only
        At most ``floor(capacity × max_share)`` of one resource to one compound
        (e.g. ``"1/2"``); None for no cap.
    network : GeoDataFrame or GeoSeries of lines, WGS-84, optional
        Footways/roads: walking is measured along it (shortest path, networkx).
    min_shortage : int, keyword-only
        供需矛盾突出: a compound is planned only when its shortage is at least this
        many cars (1: any shortage); smaller shortages are left out (shortage 0).

    Returns
    -------
    PlanResult
        ``assignments`` (``compound_id, resource_id, cars, walk_m, locked``) and
        ``unplaced`` per compound, plus ``shortage``, ``eligible`` and ``reasons``.
        Among all assignments placing the most cars, total cars × walking metres
        is least (distances rounded to 0.1 m before optimising).

    Raises
    ------
    ValueError
        Missing columns, non-geographic CRS, duplicate ids, negative or fractional
        counts, a bad time or share, or locked cars beyond a shortage or capacity.
    """
    _require(compounds, ("compound_id", "shortage"), "小区")
    _require(resources, ("resource_id", "capacity", "opens", "closes"), "停车资源")
    if not walk_limit_m > 0 or not detour > 0:
        raise ValueError("步行距离上限和绕行系数应为正数")
    share = _share(max_share)
    c_ids = _ids(compounds["compound_id"], "小区")
    r_ids = _ids(resources["resource_id"], "停车资源")
    shortage = _counts(compounds["shortage"], "小区缺口")
    shortage = np.where(shortage >= max(1, int(min_shortage)), shortage, 0)
    capacity = _counts(resources["capacity"], "可共享车位")
    night = (str(night[0]), str(night[1]))
    minutes(night[0]), minutes(night[1], closing=True)  # validate early
    excluded, locked = set(exclude), set(lock)
    params = {"walk_limit_m": walk_limit_m, "detour": detour, "night": list(night),
              "exclude": sorted(excluded, key=str), "lock": sorted(locked, key=str),
              "max_share": None if share is None else str(share), "network": network is not None,
              "min_shortage": int(min_shortage)}

    # --- distances in metres, in one Gauss–Krüger zone for both layers
    both = pd.concat([compounds.geometry, resources.geometry], ignore_index=True)
    crs = _metric_crs(compounds, resources)
    n_c, n_r = len(c_ids), len(r_ids)
    walks = np.full((n_c, n_r), np.inf)
    if n_c and n_r and crs is not None:
        metric = gpd.GeoSeries(both.to_numpy(), crs=compounds.crs).to_crs(crs).to_numpy()
        points = shapely.centroid(metric[:n_c])
        targets = metric[n_c:]
        if network is not None:
            lines = network.geometry if isinstance(network, gpd.GeoDataFrame) else network
            require_geographic(lines, what="路网")
            walks = _WalkNetwork(lines.to_crs(crs).to_numpy(), float(detour)).walks(points, targets,
                                                                                  float(walk_limit_m))
        else:
            walks = shapely.distance(points[:, None], targets[None, :]) * float(detour)
        walks = np.where(np.isnan(walks), np.inf, walks)

    covers = np.array([window_covers(o, c, night) for o, c in zip(resources["opens"], resources["closes"])],
                      dtype=bool)
    near = walks <= walk_limit_m + 1e-9
    r_index = {r: j for j, r in enumerate(r_ids)}
    c_index = {c: i for i, c in enumerate(c_ids)}

    # --- locked rows: kept as they are, taken off the shortage and the resources
    remaining = shortage.copy()
    kept = pd.DataFrame(columns=["compound_id", "resource_id", "cars"])
    if locked and previous is not None and len(previous):
        kept = previous.loc[previous["resource_id"].isin(locked), ["compound_id", "resource_id", "cars"]]
        kept = kept[kept["cars"] > 0]
    used = np.zeros(n_r, dtype=np.int64)
    for row in kept.itertuples(index=False):
        if row.compound_id not in c_index or row.resource_id not in r_index:
            raise ValueError(f"锁定的分配指向不在本次规划中的小区或停车资源：{row.compound_id} → {row.resource_id}")
        i, j = c_index[row.compound_id], r_index[row.resource_id]
        remaining[i] -= int(row.cars)
        used[j] += int(row.cars)
        if remaining[i] < 0:
            raise ValueError(f"锁定的分配超过小区 {row.compound_id} 的停车缺口")
        if used[j] > capacity[j]:
            raise ValueError(f"锁定的分配超过停车资源 {row.resource_id} 的可共享车位")

    usable = np.array([r not in excluded and r not in locked for r in r_ids], dtype=bool) & covers & (capacity > 0)
    allowed = near & usable[None, :] & (shortage[:, None] > 0)
    pair_cap = np.minimum(remaining[:, None], capacity[None, :])
    if share is not None:
        per = np.array([math.floor(int(c) * share) for c in capacity], dtype=np.int64)
        pair_cap = np.minimum(pair_cap, per[None, :])

    # --- min-cost maximum flow: source → compound → resource → sink
    graph = nx.DiGraph()
    graph.add_node("s")
    graph.add_node("t")
    ii, jj = np.nonzero(allowed & (pair_cap > 0))
    for i in sorted(set(ii.tolist())):
        graph.add_edge("s", ("c", i), capacity=int(remaining[i]), weight=0)
    for j in sorted(set(jj.tolist())):
        graph.add_edge(("r", j), "t", capacity=int(capacity[j] - used[j]), weight=0)
    for i, j in zip(ii.tolist(), jj.tolist()):
        graph.add_edge(("c", i), ("r", j), capacity=int(pair_cap[i, j]),
                       weight=int(round(walks[i, j] * _SCALE)))
    flow = nx.max_flow_min_cost(graph, "s", "t") if len(ii) else {}

    rows = []
    for i, j in zip(ii.tolist(), jj.tolist()):
        cars = int(flow.get(("c", i), {}).get(("r", j), 0))
        if cars:
            rows.append((c_ids[i], r_ids[j], cars, round(float(walks[i, j]), 1), False))
    for row in kept.itertuples(index=False):
        i, j = c_index[row.compound_id], r_index[row.resource_id]
        walk = float(walks[i, j]) if np.isfinite(walks[i, j]) else float("nan")
        rows.append((row.compound_id, row.resource_id, int(row.cars), round(walk, 1), True))
    assignments = pd.DataFrame(rows, columns=[*ASSIGNMENT_COLUMNS, "locked"])
    assignments = assignments.astype({"cars": "int64", "walk_m": "float64", "locked": "bool"})
    assignments = assignments.sort_values(["compound_id", "walk_m", "resource_id"], kind="stable",
                                          ignore_index=True)
    if "township_id" in compounds.columns and "township_id" in resources.columns:
        town_c = dict(zip(c_ids, compounds["township_id"]))
        town_r = dict(zip(r_ids, resources["township_id"]))
        assignments["cross_township"] = [
            bool(pd.notna(town_r.get(r)) and pd.notna(town_c.get(c)) and town_r.get(r) != town_c.get(c))
            for c, r in zip(assignments["compound_id"], assignments["resource_id"])]

    placed = assignments.groupby("compound_id")["cars"].sum()
    short = pd.Series(shortage, index=pd.Index(c_ids, name="compound_id"), name="shortage")
    unplaced = (short - short.index.map(placed).fillna(0).astype("int64")).rename("unplaced")

    ei, ej = np.nonzero(near & usable[None, :])
    eligible = pd.DataFrame({"compound_id": [c_ids[i] for i in ei], "resource_id": [r_ids[j] for j in ej],
                             "walk_m": np.round(walks[ei, ej], 1)})
    reasons = []
    wanted = near & (shortage[:, None] > 0)
    for j, r in enumerate(r_ids):
        if r in excluded:
            reasons.append(EXCLUDED)
        elif r in locked:
            reasons.append(LOCKED)
        elif not covers[j]:
            reasons.append(NO_WINDOW)
        elif capacity[j] <= 0:
            reasons.append(NO_SPACES)
        elif not wanted[:, j].any():
            reasons.append(TOO_FAR)
        else:
            reasons.append(None)
    return PlanResult(assignments, unplaced, short,
                      eligible, pd.Series(reasons, index=pd.Index(r_ids, name="resource_id"),
                                          name="reason", dtype=object), params)


# --------------------------------------------------------------------------- day types
def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""


def windows_for(resources: pd.DataFrame, day_type: str) -> pd.DataFrame:
    """``resources`` with ``opens``/``closes`` set to the window of ``day_type``.

    Reads ``<day_type>_opens``/``<day_type>_closes`` where given; a resource with
    only one known window (the other day type's, or plain ``opens``/``closes``)
    uses it for both day types (own window first, then the plain one, then the other day type's).
    """
    if day_type not in DAY_TYPES:
        raise ValueError(f"未知的日期类型：{day_type}（应为 {'、'.join(DAY_TYPES)}）")
    other = WEEKEND if day_type == WEEKDAY else WEEKDAY
    out = resources.copy()
    opens, closes = [], []
    for _, r in resources.iterrows():
        for prefix in (f"{day_type}_", "", f"{other}_"):
            o, c = r.get(f"{prefix}opens"), r.get(f"{prefix}closes")
            if not _blank(o) and not _blank(c):
                break
        opens.append(o)
        closes.append(c)
    out["opens"], out["closes"] = opens, closes
    return out


def plan_by_day_type(compounds: gpd.GeoDataFrame, resources: gpd.GeoDataFrame, *,
                     nights: dict | None = None, **options) -> dict[str, PlanResult]:
    """One plan per day type (工作日夜间, 周末及节假日夜间), each with its coverage.

    ``nights``: ``{"weekday": (from, until), "weekend": (from, until)}`` (default:
    the ``night`` option, else :data:`NIGHT_DEFAULT`, for both). Other options go to
    :func:`plan`. A resource counts for a day type only where that day's window
    covers the night.
    """
    night = options.pop("night", NIGHT_DEFAULT)
    nights = {WEEKDAY: night, WEEKEND: night} | dict(nights or {})
    return {d: plan(compounds, windows_for(resources, d), night=nights[d], **options) for d in DAY_TYPES}


# --------------------------------------------------------------------------- proposal states
DRAFT, SUBMITTED, APPROVED, RETURNED = "草稿", "已提交", "已批准", "退回"
STATES = (DRAFT, SUBMITTED, APPROVED, RETURNED)
TRANSITIONS = {DRAFT: (SUBMITTED,), SUBMITTED: (APPROVED, RETURNED), RETURNED: (SUBMITTED,), APPROVED: ()}
EDITABLE = (DRAFT, RETURNED)  # a returned proposal is revised, then submitted again


class StateError(ValueError):
    """A state change the proposal procedure does not allow (Chinese message)."""


def check_transition(current: str, target: str) -> str:
    """Validate ``current → target`` (草稿 → 已提交 → 已批准 / 退回; 退回 → 已提交); return ``target``."""
    if current not in STATES or target not in STATES:
        raise StateError(f"未知状态：{current if current not in STATES else target}")
    if target not in TRANSITIONS[current]:
        allowed = "、".join(TRANSITIONS[current]) or "无（已批准的方案不再变更）"
        raise StateError(f"方案状态不能从“{current}”变为“{target}”；可变为：{allowed}")
    return target
