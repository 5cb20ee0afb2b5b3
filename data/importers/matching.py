"""Work orders → compounds (诉求匹配小区): three stages, each match with its method and confidence.

Every order goes through the stages in order until one matches:

1. **坐标** — its point lies inside a compound polygon (``geo.assign``; confidence 1);
2. **邻近** — the nearest compound stored as a point only (no polygon) within the
   setting ``match_nearest_m`` [150 m], measured in metres in the county's
   Gauss–Krüger projection with a shapely STRtree (confidence 1 at 0 m falling
   to 0.5 at the limit);
3. **地址** — a compound's name, alias (stored or learned) or address found in
   the order's 小区名称, 事发地址 or 诉求内容: exact after normalising (NFKC,
   spaces and punctuation out, county / township prefixes off, 小区 and other
   generic suffixes tried off), else fuzzy (rapidfuzz) at or above the setting
   ``match_name_threshold`` [75] and clearly ahead of the runner-up; the
   confidence is the score / 100.

A tie between different compounds is never decided silently: the order stays
未匹配 with its best candidates, which the unmatched queue offers for one-click
confirmation.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from rapidfuzz import fuzz, process

from geo.projection import metric_crs

__all__ = ["Candidate", "Match", "CompoundMatcher", "normalise", "name_variants", "POLYGON", "NEAREST",
           "NAME", "UNMATCHED"]

POLYGON, NEAREST, NAME, UNMATCHED = "坐标", "邻近", "地址", "未匹配"

# generic endings of compound names, longest first: "金城花园小区" is also "金城花园"; the bare
# core ("金城") is tried only when it stays at least two characters long and is not generic itself
_SUFFIXES = ("住宅小区", "居住小区", "生活小区", "小区", "家属院", "家属楼", "宿舍")
_SOFT_SUFFIXES = ("花园", "家园", "公寓", "新村", "新城", "苑", "园", "府", "庭", "居")
_PUNCT = re.compile(r"[\s\u3000·・,，.。、;；:：'\"“”‘’()（）\[\]【】<>《》{}\-—_/\\|!！?？#＃]+")
_TOWN_SUFFIX = re.compile(r"(街道办事处|办事处|人民政府|镇政府|街道|镇|乡)$")


def normalise(text: str | None) -> str:
    """NFKC (full-width → half-width), lower case, spaces and punctuation removed."""
    if not text:
        return ""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", str(text))).lower()


def name_variants(name: str) -> list[str]:
    """The normalised name and its forms without a generic suffix, most specific first."""
    base = normalise(name)
    out = [base] if base else []
    for suffix in _SUFFIXES:
        if base.endswith(suffix) and len(base) - len(suffix) >= 2:
            out.append(base[: -len(suffix)])
            break
    core = out[-1] if out else ""
    for suffix in _SOFT_SUFFIXES:
        if core.endswith(suffix):
            if len(core) - len(suffix) >= 3:
                out.append(core[: -len(suffix)])
            break
    return list(dict.fromkeys(v for v in out if len(v) >= 2))


@dataclass(frozen=True)
class Candidate:
    compound_id: int
    name: str
    score: float  # 0–100


@dataclass
class Match:
    compound_id: int | None = None
    method: str = UNMATCHED
    confidence: float | None = None
    candidates: list[Candidate] = field(default_factory=list)
    note: str | None = None


@dataclass(frozen=True)
class _Compound:
    id: int
    name: str
    township_id: int | None
    address: str | None
    geometry: object | None


class CompoundMatcher:
    """Matches points and texts to compounds; build once per import.

    Parameters
    ----------
    compounds : iterable of objects with ``id``, ``name``, ``township_id``, ``address``, ``geometry``
        (WGS-84 shapely geometries or None).
    aliases : iterable of (compound_id, alias)
        Stored aliases (the compound's own 别名 column and learned ones).
    prefixes : iterable of str
        Place names to strip from the start of a name (county, townships; 办事处/镇/街道 forms too).
    nearest_m : float
        Stage 2 limit, metres.
    threshold : float
        Stage 3 fuzzy score (0–100) at or above which a name matches.
    """

    def __init__(self, compounds: Iterable, *, aliases: Iterable[tuple[int, str]] = (),
                 prefixes: Iterable[str] = (), nearest_m: float = 150.0, threshold: float = 75.0,
                 margin: float = 5.0):
        self.compounds = {int(c.id): _Compound(int(c.id), c.name, c.township_id, c.address, c.geometry)
                          for c in compounds}
        self.nearest_m, self.threshold, self.margin = float(nearest_m), float(threshold), float(margin)
        pre = set()
        for p in prefixes:
            p = normalise(p)
            if len(p) >= 2:
                pre.add(p)
                core = _TOWN_SUFFIX.sub("", p)
                if len(core) >= 2:
                    pre.add(core)
                    # the forms offices write: 卧龙山街道办事处, 纸坊镇人民政府, 纸坊镇政府
                    pre.update(core + s for s in ("街道办事处", "办事处", "镇人民政府", "镇政府", "乡人民政府"))
        self.prefixes = sorted(pre, key=len, reverse=True)
        # by first character, longest first as above: a province holds ~12,000 place names, and
        # scanning them all for each of 50,000 compounds took minutes (bench_places, issue 17)
        self._prefixes_by_char: dict[str, list[str]] = {}
        for p in self.prefixes:
            self._prefixes_by_char.setdefault(p[0], []).append(p)
        # normalised key → compound ids, with the key's base score (100 full name, 95 variant, 90 address)
        self.keys: dict[str, dict[int, float]] = {}
        self.short: dict[str, dict[int, float]] = {}
        self._address_keys: set[str] = set()  # exact only: 金山街1号 must not fuzzily match 金山街2号
        for c in self.compounds.values():
            self._add_name(c.id, c.name)
            addr = self.strip_prefixes(normalise(c.address))
            if len(addr) >= 4:
                self.keys.setdefault(addr, {}).setdefault(c.id, 90.0)
                self._address_keys.add(addr)
        for cid, alias in aliases:
            if int(cid) in self.compounds:
                self._add_name(int(cid), alias)
        self.lengths = sorted({len(k) for k in self.keys}, reverse=True)
        # fuzzy only from four characters on: with three, one wrong character is a third of the name,
        # and rapidfuzz's partial alignment scores any two shared leading characters at 80
        self._fuzzy_keys = [k for k in self.keys if len(k) >= 4 and k not in self._address_keys]
        # character → fuzzy keys holding it: a text is only compared with keys it shares enough
        # characters with (a work order naming nothing would otherwise be scored against every key)
        self._by_char: dict[str, list[int]] = {}
        for i, k in enumerate(self._fuzzy_keys):
            for ch in set(k):
                self._by_char.setdefault(ch, []).append(i)
        self._build_points()

    # ------------------------------------------------------------------ names

    def _add_name(self, cid: int, name: str | None) -> None:
        for i, v in enumerate(name_variants(self.strip_prefixes(normalise(name)))):
            score = 100.0 if i == 0 else 95.0
            # a two-character core (建设小区 → 建设) is also a street or a word: it only counts as
            # the whole 小区名称, never inside an address or a text
            ids = (self.keys if i == 0 or len(v) >= 3 else self.short).setdefault(v, {})
            ids[cid] = max(ids.get(cid, 0.0), score)

    def strip_prefixes(self, text: str) -> str:
        """``text`` without leading place names (county, township; repeatedly: 金乡县金乡街道…)."""
        changed = True
        while changed and text:
            changed = False
            for p in self._prefixes_by_char.get(text[0], ()):
                if text.startswith(p) and len(text) - len(p) >= 2:
                    text, changed = text[len(p):], True
                    break
        return text

    # ------------------------------------------------------------------ points

    def _build_points(self) -> None:
        polys, points = [], []
        for c in self.compounds.values():
            g = c.geometry
            if g is None or g.is_empty:
                continue
            (polys if g.geom_type in ("Polygon", "MultiPolygon") else points).append(c)
        self.polygon_ids = np.array([c.id for c in polys], dtype=np.int64)
        self.polygons = np.array([c.geometry for c in polys], dtype=object)
        self.point_ids = np.array([c.id for c in points], dtype=np.int64)
        pts = [c.geometry if c.geometry.geom_type == "Point" else c.geometry.centroid for c in points]
        every = [c.geometry for c in polys] + pts
        self._crs = None
        if every:
            lon = float(np.median([g.centroid.x for g in every]))
            self._crs = metric_crs(lon)
            from pyproj import Transformer

            self._to_metric = Transformer.from_crs("EPSG:4326", self._crs, always_xy=True)
        if pts:
            x, y = self._to_metric.transform([p.x for p in pts], [p.y for p in pts])
            self.point_tree = shapely.STRtree(shapely.points(x, y))
        else:
            self.point_tree = None
        self.polygon_tree = shapely.STRtree(self.polygons) if len(polys) else None

    def by_points(self, lon: Sequence[float], lat: Sequence[float]) -> list[Match]:
        """Stages 1 and 2 for many points (WGS-84 degrees); an empty Match where neither applies."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        out = [Match() for _ in range(lon.size)]
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            return out
        idx = np.flatnonzero(ok)
        pts = shapely.points(lon[idx], lat[idx])
        if self.polygon_tree is not None:
            hit_pt, hit_poly = self.polygon_tree.query(pts, predicate="intersects")
            best: dict[int, int] = {}
            for p, g in zip(hit_pt.tolist(), hit_poly.tolist()):  # on a shared edge the smaller id wins
                cid = int(self.polygon_ids[g])
                if p not in best or cid < best[p]:
                    best[p] = cid
            for p, cid in best.items():
                out[idx[p]] = Match(cid, POLYGON, 1.0)
        if self.point_tree is not None:
            rest = [k for k in range(idx.size) if out[idx[k]].compound_id is None]
            if rest:
                x, y = self._to_metric.transform(lon[idx[rest]], lat[idx[rest]])
                q = shapely.points(x, y)
                (hit, tree_i), dist = self.point_tree.query_nearest(q, max_distance=self.nearest_m,
                                                                    return_distance=True, all_matches=False)
                for h, t, d in zip(hit.tolist(), tree_i.tolist(), dist.tolist()):
                    conf = round(1.0 - 0.5 * d / self.nearest_m, 3) if self.nearest_m > 0 else 1.0
                    out[idx[rest[h]]] = Match(int(self.point_ids[t]), NEAREST, conf,
                                              note=f"距最近小区 {d:.0f} 米")
        return out

    def nearby(self, lon: float, lat: float, *, max_m: float = 500.0, limit: int = 3) -> list[tuple[int, float]]:
        """(compound id, metres) of the compounds (polygon or point) within ``max_m`` of a point, nearest
        first: candidates for an order whose point fell between compounds."""
        if self._crs is None or not (np.isfinite(lon) and np.isfinite(lat)):
            return []
        if getattr(self, "_all_tree", None) is None:
            ids, geoms = [], []
            for c in self.compounds.values():
                if c.geometry is not None and not c.geometry.is_empty:
                    ids.append(c.id)
                    geoms.append(shapely.transform(c.geometry, lambda xy: np.column_stack(
                        self._to_metric.transform(xy[:, 0], xy[:, 1]))))
            self._all_ids, self._all_tree = np.array(ids, dtype=np.int64), shapely.STRtree(geoms)
        x, y = self._to_metric.transform(lon, lat)
        here = shapely.Point(x, y)
        found = self._all_tree.query(here.buffer(max_m), predicate="intersects")
        pairs = sorted((float(shapely.distance(self._all_tree.geometries[i], here)), int(self._all_ids[i]))
                       for i in found)
        return [(cid, d) for d, cid in pairs if d <= max_m][:limit]

    # ------------------------------------------------------------------ texts

    def _exact(self, text: str) -> dict[int, float]:
        """Compounds whose key occurs in ``text``: longest keys first, with their base scores."""
        for n in self.lengths:
            if n > len(text):
                continue
            found: dict[int, float] = {}
            for i in range(len(text) - n + 1):
                for cid, score in self.keys.get(text[i:i + n], {}).items():
                    found[cid] = max(found.get(cid, 0.0), score)
            if found:
                return found
        return {}

    def _scores(self, texts: Sequence[str | None], township_id: int | None, *,
                cutoff: float | None = None) -> list[tuple[int, float]]:
        """(compound id, raw score) best first; the order's own township adds ``margin``."""
        scores: dict[int, float] = {}
        for rank, raw in enumerate(texts):
            text = self.strip_prefixes(normalise(raw))
            if len(text) < 2:
                continue
            penalty = float(rank)  # a 小区名称 column outranks an address, an address the content
            exact = self._exact(text)
            if rank == 0:
                for cid, sc in self.short.get(text, {}).items():
                    exact[cid] = max(exact.get(cid, 0.0), sc)
            for cid, s in exact.items():
                scores[cid] = max(scores.get(cid, 0.0), s - penalty)
            if exact and max(exact.values()) >= 95:
                continue  # a full name is in the text: no guessing needed
            whole = rank == 0 and len(text) <= 30  # a 小区名称 cell: the name itself, not a sentence
            scorer = fuzz.ratio if whole else fuzz.partial_ratio
            floor = max(self.threshold - 15, 0) if cutoff is None else cutoff
            # a name cell is also compared without its generic ending (翡翠小区 → 翡翠): "小区" alone
            # must not make 康乐小区 as close as 翡翠华庭
            for query in (name_variants(text) if whole else [text]) or [text]:
                pool = self._sharing(query, floor)
                if not pool:
                    continue
                hits = process.extract(query, pool, scorer=scorer, limit=8, score_cutoff=floor)
                if scorer is fuzz.partial_ratio:  # a text shorter than the name is no "name inside the text"
                    hits = [(k, fuzz.ratio(query, k) if len(query) <= len(k) else sc, i) for k, sc, i in hits]
                for key, sc, _ in hits:
                    if sc < floor:
                        continue
                    for cid, base in self.keys[key].items():
                        v = min(sc, base - 1.0) - penalty  # a fuzzy hit never ties an exact one
                        if v > scores.get(cid, 0.0):
                            scores[cid] = v
        if township_id is not None:
            scores = {c: s + (self.margin if self.compounds[c].township_id == township_id else 0.0)
                      for c, s in scores.items()}
        return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))

    def _sharing(self, text: str, floor: float) -> list[str]:
        """Fuzzy keys sharing enough distinct characters with ``text`` to reach ``floor`` at all.

        A key scoring ``floor`` % against some part of the text shares at least about that share
        of its characters with it; keys below 90 % of that share are skipped unscored."""
        counts: dict[int, int] = {}
        for ch in set(text):
            for i in self._by_char.get(ch, ()):
                counts[i] = counts.get(i, 0) + 1
        need = floor / 100.0 * 0.9
        keys = self._fuzzy_keys
        return [keys[i] for i, n in counts.items() if n >= need * len(set(keys[i]))]

    def candidates(self, texts: Sequence[str | None], township_id: int | None = None, *,
                   limit: int = 3, cutoff: float = 40.0) -> list[Candidate]:
        """The best ``limit`` compounds for the texts (小区名称, address, content), best first, score 0–100.

        ``cutoff``: the lowest fuzzy score still offered (the queue shows weak candidates too)."""
        bonus = self.margin if township_id is not None else 0.0
        return [Candidate(c, self.compounds[c].name,
                          round(max(0.0, min(100.0, s - (bonus if self.compounds[c].township_id == township_id
                                                           else 0.0))), 1))
                for c, s in self._scores(texts, township_id, cutoff=cutoff)[:limit]]

    def by_text(self, texts: Sequence[str | None], township_id: int | None = None) -> Match:
        """Stage 3: a name, alias or address in the texts; unmatched (with candidates) when unsure."""
        raw = self._scores(texts, township_id)
        cands = self.candidates(texts, township_id, cutoff=max(self.threshold - 15, 0))
        if not raw:
            return Match()
        (cid, top), runner = raw[0], (raw[1][1] if len(raw) > 1 else None)
        own = cands[0].score
        if own < self.threshold:
            return Match(candidates=cands)
        if runner is not None and top - runner < self.margin:
            names = "、".join(c.name for c in cands[:2])
            return Match(candidates=cands, note=f"可对应多个小区（{names}），未自动匹配")
        return Match(cid, NAME, round(own / 100.0, 3), cands)

    def match(self, lon: float | None, lat: float | None, texts: Sequence[str | None],
              township_id: int | None = None) -> Match:
        """All three stages for one order."""
        if lon is not None and lat is not None:
            got = self.by_points([lon], [lat])[0]
            if got.compound_id is not None:
                return got
        return self.by_text(texts, township_id)
