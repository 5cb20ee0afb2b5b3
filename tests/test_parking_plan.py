"""policy.parking: windows across midnight, walking limit in metres at 35°N, capacity, and
optimality of the min-cost max-flow against brute force (including cases where greedy loses)."""
from __future__ import annotations

import itertools
import random
from fractions import Fraction

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely.geometry import LineString, Point

from policy import parking as P

GEOD = pyproj.Geod(ellps="WGS84")
LON0, LAT0 = 116.30, 35.40  # 金乡, Shandong
TO_WGS = pyproj.Transformer.from_crs("EPSG:4548", "EPSG:4326", always_xy=True)  # CGCS2000 GK CM 117°E
X0, Y0 = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4548", always_xy=True).transform(LON0, LAT0)


def at(dx: float, dy: float) -> Point:
    """A WGS-84 point ``dx`` m east and ``dy`` m north of the origin, in the planner's own zone."""
    return Point(*TO_WGS.transform(X0 + dx, Y0 + dy))


def compounds(rows) -> gpd.GeoDataFrame:
    """rows: (id, shortage, (dx, dy))."""
    return gpd.GeoDataFrame({"compound_id": [r[0] for r in rows], "shortage": [r[1] for r in rows]},
                            geometry=[at(*r[2]) for r in rows], crs="EPSG:4326")


def resources(rows, opens="18:00", closes="07:30") -> gpd.GeoDataFrame:
    """rows: (id, capacity, (dx, dy)) or (id, capacity, (dx, dy), opens, closes)."""
    o = [r[3] if len(r) > 3 else opens for r in rows]
    c = [r[4] if len(r) > 4 else closes for r in rows]
    return gpd.GeoDataFrame({"resource_id": [r[0] for r in rows], "capacity": [r[1] for r in rows],
                             "opens": o, "closes": c}, geometry=[at(*r[2]) for r in rows], crs="EPSG:4326")


# --------------------------------------------------------------------------- windows
@pytest.mark.parametrize("opens, closes, night, covered", [
    ("18:00", "07:30", ("19:00", "07:30"), True),    # crosses midnight, exactly to 07:30
    ("19:00", "07:30", ("19:00", "07:30"), True),    # exactly the night window
    ("20:00", "07:00", ("19:00", "07:30"), False),   # hospital: opens late, closes early
    ("19:00", "07:29", ("19:00", "07:30"), False),   # one minute short in the morning
    ("19:01", "07:30", ("19:00", "07:30"), False),   # one minute late in the evening
    ("18:30", "08:00", ("19:00", "07:30"), True),
    ("00:00", "23:59", ("19:00", "07:30"), True),    # 全天 as registers write it
    ("00:00", "24:00", ("19:00", "07:30"), True),
    ("08:00", "08:00", ("19:00", "07:30"), True),    # equal ends: open all day
    ("09:00", "22:00", ("19:00", "07:30"), False),   # daytime mall
    ("18:00", "23:59", ("19:00", "07:30"), False),   # until midnight only
    ("00:00", "08:00", ("19:00", "07:30"), False),   # after midnight only
    ("17:00", "23:00", ("18:00", "22:00"), True),    # neither crosses midnight
    ("22:00", "06:00", ("23:00", "05:00"), True),
    ("06:00", "22:00", ("23:00", "05:00"), False),   # complement of the night
    (None, "07:30", ("19:00", "07:30"), False),
    ("", "07:30", ("19:00", "07:30"), False),
])
def test_window_covers(opens, closes, night, covered):
    assert P.window_covers(opens, closes, night) is covered


@pytest.mark.parametrize("bad", ["25:00", "7.30", "abc", "24:30", "12:60"])
def test_bad_times_are_refused(bad):
    with pytest.raises(ValueError):
        P.minutes(bad)


def test_window_constraint_in_the_plan():
    c = compounds([(1, 30, (0, 0))])
    r = resources([("hospital", 50, (100, 0), "20:00", "07:00"), ("office", 10, (300, 0), "18:00", "07:30"),
                   ("mall", 100, (50, 0), "09:00", "22:00")])
    result = P.plan(c, r)
    assert result.assignments[["resource_id", "cars"]].values.tolist() == [["office", 10]]
    assert result.unplaced.loc[1] == 20
    assert result.reasons.loc["hospital"] == P.NO_WINDOW and result.reasons.loc["mall"] == P.NO_WINDOW
    # a later night (20:00–07:00) lets the hospital in
    later = P.plan(c, r, night=("20:00", "07:00"))
    assert later.assignments[["resource_id", "cars"]].values.tolist() == [["hospital", 30]]


# --------------------------------------------------------------------------- walking limit in metres
@pytest.mark.parametrize("azimuth", [0, 90, 45])  # north, east (1° lon ≈ 91 km at 35°N), north-east
@pytest.mark.parametrize("metres, eligible", [(380.0, True), (384.0, True), (386.0, False), (420.0, False)])
def test_walking_limit_in_metres_at_shandong_latitude(azimuth, metres, eligible):
    lon, lat, _ = GEOD.fwd(LON0, LAT0, azimuth, metres)
    c = gpd.GeoDataFrame({"compound_id": [1], "shortage": [5]}, geometry=[Point(LON0, LAT0)], crs="EPSG:4326")
    r = gpd.GeoDataFrame({"resource_id": [7], "capacity": [9], "opens": ["18:00"], "closes": ["07:30"]},
                         geometry=[Point(lon, lat)], crs="EPSG:4326")
    result = P.plan(c, r, walk_limit_m=500, detour=1.3)  # 500 / 1.3 = 384.6 m straight
    assert (result.placed == 5) is eligible
    if eligible:
        assert result.assignments["walk_m"].iloc[0] == pytest.approx(1.3 * metres, abs=0.3)
    else:
        assert result.reasons.loc[7] == P.TOO_FAR


def test_walk_limit_is_inclusive_and_detour_scales():
    c = compounds([(1, 4, (0, 0))])
    r = resources([(1, 9, (400, 0))])
    assert P.plan(c, r, walk_limit_m=400, detour=1).placed == 4
    assert P.plan(c, r, walk_limit_m=399.9, detour=1).placed == 0
    assert P.plan(c, r, walk_limit_m=500, detour=1.3).placed == 0  # 520 m


def test_distance_is_measured_to_a_road_line_and_from_a_compound_centroid():
    poly = gpd.GeoSeries([Point(X0, Y0).buffer(50, quad_segs=16)], crs="EPSG:4548").to_crs("EPSG:4326")
    c = gpd.GeoDataFrame({"compound_id": [1], "shortage": [3]}, geometry=poly.values, crs="EPSG:4326")
    road = LineString([TO_WGS.transform(X0 + 300, Y0 - 200), TO_WGS.transform(X0 + 300, Y0 + 200)])
    r = gpd.GeoDataFrame({"resource_id": [1], "capacity": [10], "opens": ["19:00"], "closes": ["07:30"]},
                         geometry=[road], crs="EPSG:4326")
    result = P.plan(c, r, detour=1.0)
    assert result.assignments["walk_m"].iloc[0] == pytest.approx(300, abs=0.2)


# --------------------------------------------------------------------------- capacity and controls
def test_capacity_is_never_exceeded_and_shortage_never_overfilled():
    rng = random.Random(5)
    c = compounds([(i, rng.randint(0, 60), (rng.uniform(-400, 400), rng.uniform(-400, 400))) for i in range(12)])
    r = resources([(j, rng.randint(0, 40), (rng.uniform(-400, 400), rng.uniform(-400, 400))) for j in range(8)])
    result = P.plan(c, r)
    by_r = result.assignments.groupby("resource_id")["cars"].sum()
    cap = r.set_index("resource_id")["capacity"]
    assert (by_r <= cap.loc[by_r.index]).all()
    by_c = result.assignments.groupby("compound_id")["cars"].sum()
    short = c.set_index("compound_id")["shortage"]
    assert (by_c <= short.loc[by_c.index]).all()
    assert (result.unplaced >= 0).all()
    assert result.placed + int(result.unplaced.sum()) == int(short.sum())
    assert (result.assignments["walk_m"] <= 500).all()


def test_exclude_lock_and_share_cap():
    c = compounds([(1, 10, (0, 0)), (2, 10, (200, 0))])
    r = resources([("a", 10, (50, 0)), ("b", 10, (150, 0)), ("c", 10, (350, 0))])
    first = P.plan(c, r)
    assert first.placed == 20
    none_a = P.plan(c, r, exclude=["a"])
    assert "a" not in set(none_a.assignments["resource_id"]) and none_a.reasons.loc["a"] == P.EXCLUDED
    assert none_a.placed == 20  # b and c still take everything

    capped = P.plan(c, r, max_share="1/2")
    per_pair = capped.assignments.groupby(["compound_id", "resource_id"])["cars"].sum()
    assert (per_pair <= 5).all()
    assert capped.params["max_share"] == "1/2"

    # lock b as it is now, then exclude a: b keeps exactly its rows, nothing new goes to it
    kept = first.assignments[first.assignments["resource_id"] == "b"]
    again = P.plan(c, r, exclude=["a"], lock=["b"], previous=first.assignments)
    now_b = again.assignments[again.assignments["resource_id"] == "b"]
    assert now_b[["compound_id", "cars"]].values.tolist() == kept[["compound_id", "cars"]].values.tolist()
    assert now_b["locked"].all() and not again.assignments.loc[again.assignments["resource_id"] != "b",
                                                              "locked"].any()
    assert again.reasons.loc["b"] == P.LOCKED
    # a locked resource with no cars stays empty
    empty = P.plan(c, r, lock=["c"], previous=first.assignments.iloc[0:0])
    assert "c" not in set(empty.assignments["resource_id"])


def test_locking_more_than_the_shortage_is_refused():
    c = compounds([(1, 3, (0, 0))])
    r = resources([("a", 10, (50, 0))])
    previous = pd.DataFrame({"compound_id": [1], "resource_id": ["a"], "cars": [5], "walk_m": [65.0]})
    with pytest.raises(ValueError, match="缺口"):
        P.plan(c, r, lock=["a"], previous=previous)


def test_bad_inputs():
    c, r = compounds([(1, 3, (0, 0))]), resources([("a", 10, (50, 0))])
    with pytest.raises(ValueError, match="缺少列"):
        P.plan(c.drop(columns="shortage"), r)
    with pytest.raises(ValueError, match="非负整数"):
        P.plan(c.assign(shortage=[1.5]), r)
    with pytest.raises(ValueError, match="重复"):
        P.plan(pd.concat([c, c]).pipe(gpd.GeoDataFrame, crs="EPSG:4326"), r)
    with pytest.raises(ValueError, match="WGS-84|EPSG"):
        P.plan(c.to_crs("EPSG:4548"), r)
    with pytest.raises(ValueError):
        P.plan(c, r, max_share=0)


def test_empty_inputs_give_an_empty_plan():
    c, r = compounds([(1, 3, (0, 0))]), resources([("a", 10, (50, 0))])
    assert P.plan(c, r.iloc[0:0]).placed == 0
    result = P.plan(c.iloc[0:0], r)
    assert result.placed == 0 and result.share_met is None and result.mean_walk_m is None
    assignments, unplaced = P.plan(c, r)  # unpacks as the (assignments, unplaced)
    assert list(assignments.columns[:4]) == P.ASSIGNMENT_COLUMNS and unplaced.loc[1] == 0


# --------------------------------------------------------------------------- optimality
def brute_force(shortage, capacity, walks, limit=500.0):
    """(most cars, least cars × metres) over every integer assignment."""
    n, m = len(shortage), len(capacity)
    pairs = [(i, j) for i in range(n) for j in range(m) if walks[i][j] <= limit]
    best = (0, 0.0)
    ranges = [range(min(shortage[i], capacity[j]) + 1) for i, j in pairs]
    for xs in itertools.product(*ranges):
        rows, cols = [0] * n, [0] * m
        for (i, j), x in zip(pairs, xs):
            rows[i] += x
            cols[j] += x
        if any(rows[i] > shortage[i] for i in range(n)) or any(cols[j] > capacity[j] for j in range(m)):
            continue
        placed = sum(xs)
        walk = sum(x * walks[i][j] for (i, j), x in zip(pairs, xs))
        if placed > best[0] or (placed == best[0] and walk < best[1] - 1e-9):
            best = (placed, walk)
    return best


def _check_optimal(c, r):
    result = P.plan(c, r)
    walks = np.full((len(c), len(r)), np.inf)
    ci = {v: i for i, v in enumerate(c["compound_id"])}
    rj = {v: j for j, v in enumerate(r["resource_id"])}
    for row in result.eligible.itertuples():
        walks[ci[row.compound_id], rj[row.resource_id]] = row.walk_m
    best = brute_force(list(c["shortage"]), list(r["capacity"]), walks.tolist())
    assert result.placed == best[0]
    assert result.total_walk_m == pytest.approx(best[1], abs=1e-6)
    return result


def greedy(c, r, result) -> tuple[int, float]:
    """Nearest pair first: what a plain greedy pass would do."""
    short = dict(zip(c["compound_id"], c["shortage"]))
    cap = dict(zip(r["resource_id"], r["capacity"]))
    placed, walk = 0, 0.0
    for row in result.eligible.sort_values("walk_m").itertuples():
        x = min(short[row.compound_id], cap[row.resource_id])
        short[row.compound_id] -= x
        cap[row.resource_id] -= x
        placed, walk = placed + x, walk + x * row.walk_m
    return placed, walk


def test_greedy_loses_cars_the_flow_places():
    # A is nearest to R1, but B can only reach R1: greedy strands B, the flow sends A to R2
    c = compounds([("A", 1, (0, 0)), ("B", 1, (-200, 0))])
    r = resources([("R1", 1, (-60, 0)), ("R2", 1, (250, 0))])
    result = _check_optimal(c, r)
    assert result.placed == 2 and greedy(c, r, result)[0] == 1


def test_greedy_walks_further_than_the_flow():
    # both reach both; greedy takes the single shortest pair and forces the other the long way
    c = compounds([("A", 1, (0, 0)), ("B", 1, (260, 210))])
    r = resources([("R1", 1, (180, 280)), ("R2", 1, (160, 180))])
    result = _check_optimal(c, r)
    g_placed, g_walk = greedy(c, r, result)
    assert g_placed == result.placed == 2
    assert result.total_walk_m < g_walk - 100


@pytest.mark.parametrize("seed", range(25))
def test_optimal_against_brute_force_on_random_small_cases(seed):
    rng = random.Random(seed)
    n, m = rng.choice([(2, 3), (3, 2), (2, 2)])
    c = compounds([(i, rng.randint(0, 3), (rng.uniform(-350, 350), rng.uniform(-350, 350))) for i in range(n)])
    r = resources([(j, rng.randint(0, 3), (rng.uniform(-350, 350), rng.uniform(-350, 350))) for j in range(m)])
    _check_optimal(c, r)


def test_share_met_is_exact():
    c = compounds([(1, 3, (0, 0))])
    r = resources([("a", 1, (50, 0))])
    result = P.plan(c, r)
    assert result.share_met == Fraction(1, 3)


# --------------------------------------------------------------------------- along a road network
def test_walking_along_a_network():
    # an L-shaped street: 300 m east then 300 m north; straight line ≈ 424 m, along the street 600 m
    c = compounds([(1, 5, (0, 0))])
    r = resources([("corner", 5, (300, 300))])
    street = gpd.GeoSeries([LineString([TO_WGS.transform(X0, Y0), TO_WGS.transform(X0 + 300, Y0)]),
                            LineString([TO_WGS.transform(X0 + 300, Y0), TO_WGS.transform(X0 + 300, Y0 + 300)])],
                           crs="EPSG:4326")
    straight = P.plan(c, r, detour=1.0, walk_limit_m=500)
    assert straight.placed == 5
    along = P.plan(c, r, detour=1.0, walk_limit_m=500, network=street)
    assert along.placed == 0
    wide = P.plan(c, r, detour=1.0, walk_limit_m=650, network=street)
    assert wide.assignments["walk_m"].iloc[0] == pytest.approx(600, abs=0.5)


def _l_street():
    return gpd.GeoSeries([LineString([TO_WGS.transform(X0, Y0), TO_WGS.transform(X0 + 300, Y0)]),
                          LineString([TO_WGS.transform(X0 + 300, Y0), TO_WGS.transform(X0 + 300, Y0 + 300)])],
                         crs="EPSG:4326")


def _metres(line) -> float:
    return gpd.GeoSeries([line], crs="EPSG:4326").to_crs("EPSG:4548").length.iloc[0]


def test_the_route_drawn_is_the_walk_measured():
    c = compounds([(1, 5, (0, 0)), (2, 2, (300, 0))])
    r = resources([("corner", 9, (300, 300))])
    street = _l_street()
    result = P.plan(c, r, detour=1.0, walk_limit_m=650, network=street)
    routes = P.walking_routes(c, r, result.assignments, street, detour=1.0)
    assert set(routes.index) == {(1, "corner"), (2, "corner")}
    assert routes.crs == "EPSG:4326"
    for (cid, rid), line in routes.items():  # along the L, not the 424 m diagonal
        walk = result.assignments.set_index(["compound_id", "resource_id"]).loc[(cid, rid), "walk_m"]
        assert _metres(line) == pytest.approx(walk, abs=0.5)
    corner = Point(TO_WGS.transform(X0 + 300, Y0))
    assert routes.loc[(1, "corner")].distance(corner) < 2e-6  # it turns at the street corner (0.1 m nodes)


def test_a_pair_the_network_does_not_connect_has_no_route():
    c = compounds([(1, 5, (0, 0))])
    r = resources([("far", 5, (2000, 2000))])
    island = gpd.GeoSeries([LineString([TO_WGS.transform(X0, Y0), TO_WGS.transform(X0 + 100, Y0)]),
                            LineString([TO_WGS.transform(X0 + 2000, Y0 + 2000),
                                        TO_WGS.transform(X0 + 2100, Y0 + 2000)])], crs="EPSG:4326")
    assigned = pd.DataFrame({"compound_id": [1], "resource_id": ["far"], "cars": [5], "walk_m": [0.0]})
    assert P.walking_routes(c, r, assigned, island).empty
    assert P.walking_routes(c, r, assigned.iloc[:0], island).empty


# --------------------------------------------------------------------------- states
@pytest.mark.parametrize("current, target, ok", [
    ("草稿", "已提交", True), ("已提交", "已批准", True), ("已提交", "退回", True), ("退回", "已提交", True),
    ("草稿", "已批准", False), ("已批准", "退回", False), ("退回", "已批准", False), ("已提交", "草稿", False),
    ("草稿", "作废", False),
])
def test_transitions(current, target, ok):
    if ok:
        assert P.check_transition(current, target) == target
    else:
        with pytest.raises(P.StateError):
            P.check_transition(current, target)


# --------------------------------------------------------------------------- day types (issue 14 item 6)
def _day_type_world(**windows):
    import geopandas as gpd
    from shapely.geometry import Point

    from policy.parking import plan_by_day_type  # noqa: F401

    comp = gpd.GeoDataFrame({"compound_id": [1], "shortage": [40], "township_id": [1]},
                            geometry=[Point(116.30, 35.07)], crs="EPSG:4326")
    res = gpd.GeoDataFrame({"resource_id": [10], "capacity": [40], "township_id": [2], **windows},
                           geometry=[Point(116.3015, 35.07)], crs="EPSG:4326")
    return comp, res


@pytest.mark.parametrize("windows, weekday, weekend", [
    # the issue: open 18:00–07:30 on weekdays, 08:00–17:00 at weekends → weekday nights only
    ({"weekday_opens": ["18:00"], "weekday_closes": ["07:30"], "weekend_opens": ["08:00"],
      "weekend_closes": ["17:00"]}, 40, 0),
    # only one window known: it applies to both day types
    ({"opens": ["18:00"], "closes": ["07:30"]}, 40, 40),
    ({"weekday_opens": ["18:00"], "weekday_closes": ["07:30"]}, 40, 40),
    ({"weekend_opens": ["00:00"], "weekend_closes": ["24:00"], "opens": ["20:00"], "closes": ["07:00"]}, 0, 40),
])
def test_plans_per_day_type(windows, weekday, weekend):
    from policy.parking import WEEKDAY, WEEKEND, plan_by_day_type

    comp, res = _day_type_world(**windows)
    plans = plan_by_day_type(comp, res, nights={WEEKDAY: ("19:00", "07:30"), WEEKEND: ("19:00", "07:30")})
    assert plans[WEEKDAY].placed == weekday and plans[WEEKEND].placed == weekend


def test_single_window_call_still_works_and_crosses_township_borders():
    from policy.parking import plan

    comp, res = _day_type_world(opens=["18:00"], closes=["07:30"])
    result = plan(comp, res)
    assert result.placed == 40 and result.assignments["cross_township"].tolist() == [True]


@pytest.mark.parametrize("min_shortage, placed", [(1, 40), (40, 40), (41, 0)])
def test_shortage_threshold_is_inclusive(min_shortage, placed):
    from policy.parking import plan

    comp, res = _day_type_world(opens=["18:00"], closes=["07:30"])
    assert plan(comp, res, min_shortage=min_shortage).placed == placed
