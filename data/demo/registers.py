"""Registers: property companies, project managers and the compound records (小区档案).

Attributes follow the class of the compound: old (老旧) and 三无 compounds are
older, low-rise, short of parking and often without a company; commercial
housing (商品房) is newer, taller, has lifts and a professional company.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from shapely.geometry import Polygon

from data.demo import names
from data.demo.layout import CLASSES, Layout, assign_grids, place_compounds
from data.demo.places import STREETS, Places
from data.demo.util import cross2, insert_ids, money, rngs, to_wgs
from data.schema import Compound, ProjectManager, PropertyCompany
from data.vocab import MANAGEMENT_MODES

PRO, HUIMIN, STATE, SELF = MANAGEMENT_MODES[:4]
NONE = MANAGEMENT_MODES[-1]
DEMO_MODES = (PRO, HUIMIN, STATE, SELF, NONE)  # the demo draws no 单位自管
# Management mode shares per class (order of MANAGEMENT_MODES).
MODE_P = {0: (0.96, 0.0, 0.01, 0.03, 0.0), 1: (0.45, 0.25, 0.17, 0.06, 0.07),
          2: (0.55, 0.10, 0.33, 0.02, 0.0), 3: (0.0, 0.35, 0.22, 0.03, 0.40)}
OWNERS_P = {0: (0.55, 0.15, 0.10, 0.20), 1: (0.20, 0.30, 0.30, 0.20),
            2: (0.25, 0.30, 0.30, 0.15), 3: (0.0, 0.20, 0.50, 0.30)}
OWNERS_BODIES = ("业主委员会", "物业管理委员会", "居委会代行", "无")
FEE_BANDS = {1: (0.30, 0.55), 2: (0.60, 0.85), 3: (0.90, 1.25), 4: (1.30, 2.00)}
STATE_COMPANIES = ("金乡县城投物业服务有限公司", "金乡县国有资产运营物业管理有限公司",
                   "金乡县城市发展集团物业服务有限公司")
TOWN_HUIMIN = "金乡县镇域惠民物业服务中心"


@dataclass
class Companies:
    ids: list[int]
    names: list[str]
    kind: list[str]  # state / huimin / private
    quality: np.ndarray  # 0..1, drives complaints, scores and credit
    poor: np.ndarray  # bool


@dataclass
class Compounds:
    ids: list[int]
    codes: list[str]
    names: list[str]
    addresses: list[str]
    lay: Layout
    mode: list[str]
    company: np.ndarray  # company index or −1
    households: np.ndarray
    buildings: np.ndarray
    elevators: np.ndarray
    parking: np.ndarray
    cars: np.ndarray  # −1 when not recorded
    year: np.ndarray
    fee_level: np.ndarray  # 0 = none
    fee_price: np.ndarray  # nan = none
    owners_body: list[str]


def _companies(r, rng, n_companies: int) -> tuple[list[dict], list[str], np.ndarray, np.ndarray]:
    huimin = [f"{s}惠民物业服务中心" for s, _, _ in STREETS] + [TOWN_HUIMIN]
    words = list(names.PRIVATE_COMPANY_WORDS)
    r.shuffle(words)
    n_private = max(1, n_companies - len(STATE_COMPANIES) - len(huimin))
    private = []
    for w in words[:n_private]:
        region = r.choices([c for c, _ in names.COMPANY_REGIONS], [k for _, k in names.COMPANY_REGIONS])[0]
        private.append(f"{region}{w}{r.choice(('物业服务有限公司', '物业管理有限公司'))}")
    all_names = list(STATE_COMPANIES) + huimin + private
    kind = ["state"] * len(STATE_COMPANIES) + ["huimin"] * len(huimin) + ["private"] * n_private
    quality = np.concatenate([rng.uniform(0.6, 0.8, len(STATE_COMPANIES)),
                              rng.uniform(0.45, 0.7, len(huimin)),
                              rng.uniform(0.62, 0.97, n_private)])
    poor = np.zeros(len(all_names), bool)
    n_poor = max(2, n_private // 6)
    poor_idx = len(STATE_COMPANIES) + len(huimin) + rng.choice(n_private, n_poor, replace=False)
    poor[poor_idx] = True
    quality[poor_idx] = rng.uniform(0.12, 0.35, n_poor)
    rows = [{"name": nm, "credit_code": names.credit_code(r), "contact": names.person(r),
             "phone": names.landline(r) if r.random() < 0.6 else names.phone(r),
             "state_owned": k == "state"} for nm, k in zip(all_names, kind)]
    return rows, kind, quality, poor


def _fee(r, klass: int, mode: str, year: int, lift: bool, town: bool) -> tuple[int, float]:
    if mode == NONE:
        return 0, math.nan
    if mode == SELF:
        return 0, r.choice((0.20, 0.25, 0.30, 0.35, 0.40))
    if mode in (HUIMIN, STATE):
        level = 2 if r.random() < 0.1 else 1
    elif klass == 0:
        level = (4 if r.random() < 0.35 else 3) if (lift and year >= 2015) else r.choice((2, 3))
        level -= 1 if town and level > 1 and r.random() < 0.5 else 0
    else:
        level = r.choice((1, 2))
    lo, hi = FEE_BANDS[level]
    steps = int(round((hi - lo) / 0.05))
    k = min(r.randint(0, steps), r.randint(0, steps)) if town else r.randint(0, steps)
    return level, round(lo + 0.05 * k, 2)


def build_registers(conn, seed: int, pl: Places, n: int) -> tuple[Companies, Compounds]:
    """Insert companies, managers and ``n`` compounds."""
    r, rng = rngs(seed, 2)
    n_companies = min(40, max(25, 22 + n // 100))
    crow, kind, quality, poor = _companies(r, rng, n_companies)
    comp_ids = insert_ids(conn, PropertyCompany, crow)
    co = Companies(comp_ids, [c["name"] for c in crow], kind, quality, poor)
    state_idx = [i for i, k in enumerate(kind) if k == "state"]
    private_idx = [i for i, k in enumerate(kind) if k == "private"]
    port = 1.0 / (1.0 + rng.permutation(len(private_idx))) ** 0.75  # portfolio sizes, Zipf-like

    lay = place_compounds(pl, n, rng)
    grid = assign_grids(pl, lay.quads, lay.community)
    rows, taken = [], set()
    company = np.full(n, -1)
    out = {k: [] for k in ("mode", "hh", "bldg", "lift", "park", "cars", "year", "lvl", "price", "body", "name", "addr")}
    for i in range(n):
        t, k, town = int(lay.township[i]), int(lay.klass[i]), not bool(lay.urban[i])
        tname = pl.township_names[t]
        year = {0: r.triangular(2002, 2024, 2016) if not town else r.triangular(2008, 2024, 2018),
                1: r.triangular(1985, 2000, 1996), 2: r.triangular(2006, 2023, 2015),
                3: r.triangular(1985, 2005, 1995)}[k]
        year = int(round(year))
        high = (k in (0, 2) and year >= 2010 and r.random() < 0.8)
        far = r.uniform(1.8, 2.8) if high else {0: r.uniform(1.1, 1.6), 1: r.uniform(1.0, 1.5),
                                                  2: r.uniform(1.3, 1.8), 3: r.uniform(0.8, 1.3)}[k]
        unit = {0: r.uniform(95, 140), 1: r.uniform(60, 85), 2: r.uniform(80, 110), 3: r.uniform(55, 75)}[k]
        site = abs(cross2(lay.quads[i][2] - lay.quads[i][0], lay.quads[i][3] - lay.quads[i][1])) / 2
        hh = int(np.clip(site * far * (0.8 if town else 1.0) / unit, 80, 3000))
        floors = r.randint(11, 33) if high else r.randint(5, 7)
        per_bldg = floors * r.randint(2, 4) * r.randint(1, 3) if high else floors * 2 * r.randint(2, 4)
        bldg = max(1, round(hh / per_bldg))
        lifts = bldg * r.randint(1, 2) * (2 if floors > 18 else 1) if high else (
            r.randint(1, 4) if k == 1 and r.random() < 0.06 else 0)
        mode = DEMO_MODES[int(rng.choice(5, p=MODE_P[k]))]
        if mode == PRO:
            company[i] = (private_idx[int(rng.choice(len(private_idx), p=port / port.sum()))]
                          if r.random() < 0.92 else r.choice(state_idx))
        elif mode == STATE:
            company[i] = r.choice(state_idx)
        elif mode == HUIMIN:
            company[i] = kind.index("huimin") + (t if t < len(STREETS) else len(STREETS))
        lvl, price = _fee(r, k, mode, year, lifts > 0, town)
        body = OWNERS_BODIES[int(rng.choice(4, p=OWNERS_P[k]))]
        members = r.choices(range(6), (10, 15, 25, 25, 15, 10))[0] if body in OWNERS_BODIES[:2] else 0
        branch = r.random() < min(0.95, 0.5 + 0.0002 * hh + (0.1 if not town else 0.0))
        ratio = (r.uniform(0.8, 1.3) if year >= 2010 else r.uniform(0.4, 0.8)) if k == 0 else \
            {1: r.uniform(0.08, 0.3), 2: r.uniform(0.3, 0.7), 3: r.uniform(0.0, 0.2)}.get(k, 0.5)
        parking = int(hh * ratio)
        cars = int(hh * (r.uniform(0.4, 0.8) if town else r.uniform(0.55, 0.95))) if r.random() < 0.65 else -1
        smart = r.random() < (0.5 if (k == 0 and mode == PRO and year >= 2012) else 0.04)
        fund = (hh * unit * r.uniform(20, 45) * max(0.05, 1 - (2026 - year) * r.uniform(0.01, 0.04))
                if k in (0, 2) else (r.uniform(1e4, 2e5) if k == 1 and r.random() < 0.3 else 0.0))
        name = names.unique(lambda: names.compound_name(r, CLASSES[k], tname, town), taken)
        if town:
            addr = f"金乡县{tname}{r.choice(names.TOWN_ROADS)}{r.randint(1, 199)}号"
        else:
            addr = f"金乡县{r.choice(names.ROADS)}{r.randint(1, 999)}号"
        alias = None
        if "·" in name:
            alias = name.split("·", 1)[1]
        elif r.random() < 0.15 and not name.endswith("小区"):
            alias = name + "小区"
        rows.append({
            "code": f"JX-XQ-{i + 1:04d}", "name": name, "aliases": alias, "address": addr,
            "township_id": pl.township_ids[t], "community_id": pl.community_ids[int(lay.community[i])],
            "grid_id": pl.grid_ids[int(grid[i])] if grid[i] >= 0 else None,
            "geometry": to_wgs(Polygon(lay.quads[i])),
            "households": hh, "buildings": bldg, "floor_area_m2": money(hh * unit), "year_built": year,
            "compound_class": CLASSES[k], "management_mode": mode,
            "fee_level": lvl or None, "fee_price": None if math.isnan(price) else money(price),
            "owners_body": body, "owners_committee_party_members": members,
            "party_branch": branch, "party_secretary_full_time": branch and r.random() < 0.6,
            "notice_board": r.random() < 0.4 + 0.25 * branch + 0.1 * (company[i] >= 0),
            "smart_property": smart, "elevators": lifts, "parking_spaces": parking,
            "cars": cars if cars >= 0 else None, "maintenance_fund": money(fund),
        })
        for key, v in zip(out, (mode, hh, bldg, lifts, parking, cars, year, lvl, price, body, name, addr)):
            out[key].append(v)

    # Every company runs at least one project: take one from the largest portfolio.
    for j in private_idx:
        if not np.any(company == j):
            cand = [i for i in range(n) if out["mode"][i] == PRO and np.sum(company == company[i]) > 2]
            if cand:
                company[cand[r.randrange(len(cand))]] = j
    mgr_rows, mgr_of = [], np.full(n, -1)
    for j in range(len(comp_ids)):
        proj = np.flatnonzero(company == j)
        n_mgr = max(1, math.ceil(len(proj) / r.randint(2, 4)))
        for m in range(n_mgr):
            mgr_rows.append({"company_id": comp_ids[j], "name": names.person(r), "phone": names.phone(r)})
        mgr_of[proj] = len(mgr_rows) - n_mgr + (np.arange(len(proj)) % n_mgr)
    mgr_ids = insert_ids(conn, ProjectManager, mgr_rows)
    for i, row in enumerate(rows):
        row["company_id"] = comp_ids[company[i]] if company[i] >= 0 else None
        row["manager_id"] = mgr_ids[mgr_of[i]] if company[i] >= 0 else None
    ids = insert_ids(conn, Compound, rows)
    cs = Compounds(ids=ids, codes=[row["code"] for row in rows], names=out["name"], addresses=out["addr"],
                   lay=lay, mode=out["mode"], company=company, households=np.array(out["hh"]), buildings=np.array(out["bldg"]),
                   elevators=np.array(out["lift"]), parking=np.array(out["park"]), cars=np.array(out["cars"]),
                   year=np.array(out["year"]), fee_level=np.array(out["lvl"]),
                   fee_price=np.array(out["price"], float), owners_body=out["body"])
    return co, cs
