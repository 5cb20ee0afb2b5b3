"""The stored places an import refers to, and the small rules of upserting.

:class:`Registry` holds the townships, communities and grids of the database
(read once per import, kept current as rows are added) and finds them by name
or code, or spatially (the polygon that covers a point, via ``geo.assign``).
"""
from __future__ import annotations

import difflib
from decimal import Decimal
from typing import Any, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.schema import Community, County, Grid, Township
from data.scope import Scope
from geo.assign import assign_points

__all__ = ["Registry", "TownshipNames", "township_names", "import_scope", "Matcher", "CodeMaker", "hint", "same", "apply_values", "anchor_point", "place_key",
           "place_core", "match_place", "without_office_suffix"]

# Office suffixes of place names → the place's own name (longest first):
# 卧龙山街道办事处 = 卧龙山街道, 胡集镇人民政府 = 胡集镇, 某某社区居委会 = 某某社区.
_SUFFIXES = (
    ("街道办事处", "街道"), ("社区居民委员会", "社区"), ("社区居委会", "社区"), ("村民委员会", "村"),
    ("镇人民政府", "镇"), ("乡人民政府", "乡"), ("居民委员会", "社区"), ("镇政府", "镇"), ("乡政府", "乡"),
    ("人民政府", ""), ("办事处", "街道"), ("村委会", "村"), ("居委会", "社区"), ("委员会", ""),
)
_KINDS = ("街道", "社区", "镇", "乡", "村", "居")


def without_office_suffix(name: str) -> str:
    """The place's own name, text otherwise untouched: '卧龙山街道办事处' → '卧龙山街道',
    '城东社区居民委员会' → '城东社区', '胡集镇人民政府' → '胡集镇' (a bare '…人民政府' is kept)."""
    for suffix, repl in _SUFFIXES:
        if repl and name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + repl
    return name


def place_key(text) -> str:
    """A place name as compared: NFKC, no spaces or brackets, office suffixes reduced
    (``'卧龙山街道办事处'`` → ``'卧龙山街道'``, ``'某某社区居委会'`` → ``'某某社区'``)."""
    import re
    import unicodedata

    s = unicodedata.normalize("NFKC", str(text or ""))
    s = re.sub(r"[\s\u3000\"'“”‘’]", "", s)
    s = re.sub(r"\(.*?\)|（.*?）", "", s)
    for suffix, repl in _SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            s = s[: -len(suffix)] + repl
            break
    return s


def place_core(text) -> str:
    """:func:`place_key` without the kind word: '卧龙山街道' → '卧龙山', '某某社区' → '某某'."""
    s = place_key(text)
    for kind in _KINDS:
        if s.endswith(kind) and len(s) > len(kind) + 1:
            return s[: -len(kind)]
    return s


def match_place(text, candidates: list, name=lambda o: o.name) -> list:
    """Candidates named ``text``: exactly, else by :func:`place_key`, else by a unique :func:`place_core`."""
    exact = [c for c in candidates if name(c) == text]
    if exact:
        return exact
    key = place_key(text)
    by_key = [c for c in candidates if place_key(name(c)) == key]
    if by_key:
        return by_key
    core = place_core(text)
    if core != key:  # the text names its kind (金乡镇): a 金乡街道 is another place
        return []
    by_core = [c for c in candidates if place_core(name(c)) == core]
    return by_core if len(by_core) == 1 else []


def hint(text: str, names: Iterable[str], *, what: str = "", limit: int = 6) -> str:
    """'（现有：金乡街道、鱼山街道…）', close matches to ``text`` first."""
    names = list(dict.fromkeys(n for n in names if n))
    if not names:
        return f"（数据库中还没有{what}，请先导入{what}边界）" if what else ""
    close = difflib.get_close_matches(text, names, n=3, cutoff=0.5)
    ordered = close + [n for n in names if n not in close]
    return "（现有：" + "、".join(ordered[:limit]) + ("…" if len(ordered) > limit else "") + "）"


def same(old: Any, new: Any) -> bool:
    """Equality as stored: geometries to 1e-8° (~1 mm) whatever the ring orientation or
    start vertex (shapefiles reorient rings), numbers by value."""
    if old is None or new is None:
        return old is None and new is None
    if hasattr(old, "geom_type") or hasattr(new, "geom_type"):
        if getattr(old, "geom_type", None) != getattr(new, "geom_type", None):
            return False
        if shapely.equals_exact(old, new, tolerance=1e-8):
            return True
        # Same vertices in another order: equal counts and every vertex within 1e-8° of the other's.
        return (shapely.get_num_coordinates(old) == shapely.get_num_coordinates(new)
                and shapely.hausdorff_distance(old, new) <= 1e-8)
    if isinstance(old, (int, float, Decimal)) and isinstance(new, (int, float, Decimal)) \
            and not isinstance(old, bool) and not isinstance(new, bool):
        return Decimal(str(old)) == Decimal(str(new))
    return old == new


def apply_values(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True when anything changed."""
    changed = False
    for key, value in values.items():
        if not same(getattr(obj, key), value):
            setattr(obj, key, value)
            changed = True
    return changed


class CodeMaker:
    """Generated codes ``<prefix>001``, ``<prefix>002`` … that no record holds yet."""

    def __init__(self, taken: set[str], *, max_len: int, width: int = 3):
        self.taken, self.max_len, self.width = set(taken), max_len, width
        self._last: dict[str, int] = {}

    def __call__(self, prefix: str) -> str:
        n = self._last.get(prefix, 0)
        while True:
            n += 1
            tail = f"{n:0{self.width}d}"
            code = prefix[: self.max_len - len(tail)] + tail
            if code not in self.taken:
                self.taken.add(code)
                self._last[prefix] = n
                return code


def anchor_point(geom) -> tuple[float, float]:
    """(lon, lat) that decides which polygon holds a geometry: the point itself, or a point inside."""
    if geom is None or geom.is_empty:
        return float("nan"), float("nan")
    p = geom if geom.geom_type == "Point" else geom.representative_point()
    return p.x, p.y


def import_scope(actor, county: str | None = None) -> Scope:
    """The places an import may name: the importer's jurisdiction (a county user's county, a city
    user's city), narrowed to ``county`` when given (ScopeError outside it); the whole
    deployment for the CLI and scripts."""
    base = getattr(actor, "scope", None) or Scope()
    return base.narrow(county=county) if county else base


class TownshipNames:
    """镇街 by name or code within a scope (issue 17: a name is unique per county only).

    Inside a county scope a name means that county's township; with a wider scope a name
    held by townships of several counties is an error naming the counties (never a
    silent pick). A county name in front ('金乡县城关街道') narrows to that county.
    ``townships`` is shared with the caller (a :class:`Registry` appends new ones to it).
    """

    def __init__(self, townships: list, counties: dict[str, tuple[str, str | None]], scope: Scope | None = None):
        self.townships, self.counties, self.scope = townships, counties, scope or Scope()

    def in_scope(self, t) -> bool:
        s = self.scope
        if s.township_id is not None and t.id != s.township_id:
            return False
        if s.county is not None and t.county_adcode != s.county:
            return False
        if s.city is not None and (self.counties.get(t.county_adcode) or (None, None))[1] != s.city:
            return False
        return True

    def pool(self) -> list:
        return [t for t in self.townships if self.in_scope(t)]

    def county_name(self, adcode: str | None) -> str:
        return (self.counties.get(adcode) or (adcode or "未记录县（区、市）", None))[0]

    def label(self, t) -> str:
        """The township's name, with its county in front when another county has the same name."""
        twins = [o for o in self.townships if o.name == t.name and o.county_adcode != t.county_adcode]
        return f"{self.county_name(t.county_adcode)}{t.name}" if twins else t.name

    @staticmethod
    def _named(text: str, pool: list) -> list:
        key = text.replace(" ", "")
        by_code = [t for t in pool if t.code == key]
        if by_code:
            return by_code
        exact = [t for t in pool if t.name == text or t.name.replace(" ", "") == key]
        return exact or match_place(text, pool)

    def find(self, text) -> list:
        """Every township of the scope ``text`` may mean (one, none, or several counties' namesakes)."""
        text = str(text or "").strip()
        if not text:
            return []
        pool = self.pool()
        found = self._named(text, pool)
        if not found:  # '金乡县城关街道' / '济宁市金乡县城关街道办事处'
            import re

            rest = re.sub(r"^.{1,8}?[省]", "", text) if re.match(r"^.{1,8}?省", text) else text
            for adcode, (cname, _city) in sorted(self.counties.items(), key=lambda kv: -len(kv[1][0])):
                at = rest.find(cname)
                if at >= 0 and at <= 6 and len(rest) > at + len(cname):
                    found = self._named(rest[at + len(cname):], [t for t in pool if t.county_adcode == adcode])
                    if found:
                        break
        return list({id(t): t for t in found}.values())

    def ambiguous(self, text, found: list) -> str:
        counties = "、".join(dict.fromkeys(self.county_name(t.county_adcode) for t in found))
        example = self.county_name(found[0].county_adcode) + found[0].name
        return (f"镇街“{text}”在多个县（区、市）都有（{counties}），无法确定是哪一个：请写明县（区、市），"
                f"如“{example}”，或填写镇街代码，或选择县（区、市）后再导入")

    def resolve(self, text) -> tuple[Township | None, str | None]:
        """``(township, None)``, or ``(None, reason)`` in Chinese: 不存在… or the counties sharing the name."""
        found = self.find(text)
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            if len({t.county_adcode for t in found}) > 1:
                return None, self.ambiguous(text, found)
            return None, f"有 {len(found)} 个镇街与“{text}”相符（" + "、".join(t.name for t in found) + "），请写全称或填写代码"
        return None, "不存在" + self.hint(str(text or ""))

    def hint(self, text: str) -> str:
        return hint(text, (t.name for t in self.pool()), what="镇街")


def county_table(session: Session) -> dict[str, tuple[str, str | None]]:
    """adcode → (name, city adcode) of the deployment's counties."""
    return {a: (n, c) for a, n, c in session.execute(select(County.adcode, County.name, County.city_adcode))}


def township_names(session: Session, scope: Scope | None = None) -> TownshipNames:
    """A :class:`TownshipNames` of the stored townships (for lookups outside an import's Registry)."""
    towns = list(session.scalars(select(Township).order_by(Township.code)))
    return TownshipNames(towns, county_table(session), scope)


class Registry:
    """Townships, communities and grids of the database, by code, name and place."""

    def __init__(self, session: Session, scope: Scope | None = None):
        """``scope``: the places the import may name (:func:`import_scope`); the whole deployment by default."""
        self.session = session
        self.townships: list[Township] = list(session.scalars(select(Township).order_by(Township.code)))
        self.communities: list[Community] = list(session.scalars(select(Community).order_by(Community.code)))
        self.grids: list[Grid] = list(session.scalars(select(Grid).order_by(Grid.code)))
        self.names = TownshipNames(self.townships, county_table(session), scope)

    @property
    def scope(self) -> Scope:
        return self.names.scope

    def _town_ids_in_scope(self) -> set:
        return {t.id for t in self.names.pool()}

    def add(self, obj) -> None:
        self.session.add(obj)
        {Township: self.townships, Community: self.communities, Grid: self.grids}[type(obj)].append(obj)

    def codes(self, model) -> set[str]:
        rows = {Township: self.townships, Community: self.communities, Grid: self.grids}[model]
        return {r.code for r in rows}

    def township_of(self, obj) -> Township | None:
        return next((t for t in self.townships if t.id is not None and t.id == obj.township_id), None)

    # ----------------------------------------------------------------- by name or code
    def township(self, text: str) -> Township | None:
        """The township named (or coded) ``text`` in the scope; office suffixes (办事处, 人民政府, 镇政府)
        ignored; None when there is none or the name is several counties' (see :meth:`resolve_township`)."""
        return self.names.resolve(text)[0]

    def resolve_township(self, text: str) -> tuple[Township | None, str | None]:
        """``(township, None)`` or ``(None, reason)``: 不存在（现有：…） or the counties that share the name."""
        return self.names.resolve(text)

    def township_hint(self, text: str) -> str:
        return self.names.hint(text)

    def _community_pool(self, township: Township | None) -> list[Community]:
        if township is not None:
            return [c for c in self.communities if c.township_id == township.id]
        if self.scope == Scope():
            return self.communities
        ids = self._town_ids_in_scope()
        return [c for c in self.communities if c.township_id in ids]

    def communities_named(self, text: str, township: Township | None = None) -> list[Community]:
        key = text.replace(" ", "")
        pool = self._community_pool(township)
        by_code = [c for c in pool if c.code == key]
        return by_code or [c for c in pool if c.name == text or c.name.replace(" ", "") == key] \
            or match_place(text, pool) or self._with_parents_named(text, pool)

    def _with_parents_named(self, text: str, pool: list[Community]) -> list[Community]:
        """'嘉祥县卧龙山街道北关社区' / '卧龙山街道办事处北关社区居委会': the community after its
        county and township names (the township must be the community's own). Every township whose
        name fits is tried: namesakes of several counties give several communities, never a pick."""
        import re

        s = re.sub(r"\s+", "", text)
        s = re.sub(r"^.{1,8}?[省市]", "", s) if re.match(r"^.{1,8}?省", s) else s
        towns = [t for t in self.names.pool() if t.id in {c.township_id for c in pool}]
        county = None
        for adcode, (cname, _city) in self.names.counties.items():
            if s.startswith(cname) and len(s) > len(cname):  # 嘉祥县…: that county's townships only
                county, s = adcode, s[len(cname):]
                break
        if county is not None and any(t.county_adcode == county for t in towns):
            towns = [t for t in towns if t.county_adcode == county]
        elif not any(s.startswith(t.name) for t in towns):
            s = re.sub(r"^.{1,6}?[县区]", "", s)
        found: list[Community] = []
        for t in sorted(towns, key=lambda t: -len(t.name)):
            for prefix in dict.fromkeys((t.name + "办事处", t.name + "人民政府", t.name)):
                if s.startswith(prefix) and len(s) > len(prefix):
                    rest = s[len(prefix):].lstrip("-—/／·")
                    hits = match_place(rest, [c for c in pool if c.township_id == t.id])
                    if hits:
                        found += [c for c in hits if c not in found]
                        break
        return found

    def community_hint(self, text: str, township: Township | None = None) -> str:
        return hint(text, (c.name for c in self._community_pool(township)), what="社区")

    def grids_named(self, text: str, township: Township | None = None,
                    community: Community | None = None) -> list[Grid]:
        key = text.replace(" ", "")
        by_code = [g for g in self.grids if g.code == key]
        if by_code:
            return by_code
        ids = self._town_ids_in_scope() if township is None and self.scope != Scope() else None
        pool = [g for g in self.grids
                if (community is None or g.community_id == community.id)
                and (township is None or g.township_id == township.id)
                and (ids is None or g.township_id in ids)]
        return [g for g in pool if g.name == text or g.name.replace(" ", "") == key]

    def resolve_community(self, text: str, township: Township | None) -> tuple[Community | None, str | None]:
        """The community named ``text`` (in ``township`` if given), or ``(None, reason)``."""
        found = self.communities_named(text, township)
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            towns = "、".join(self.names.label(t) for t in self.townships if t.id in {c.township_id for c in found})
            return None, f"同名社区在多个镇街（{towns}），请填写所属镇街"
        if township is not None and self.communities_named(text):
            return None, f"不属于镇街“{township.name}”"
        return None, "不存在" + self.community_hint(text, township)

    # ----------------------------------------------------------------- spatial
    def locate(self, model, geoms: list, *, within: list | None = None) -> list:
        """For each geometry the stored ``model`` polygon covering its anchor point, else None.

        ``within``: optional per-geometry parent (Township/Community) the match
        must belong to; a match outside it counts as no match.
        """
        pool = [o for o in {Township: self.townships, Community: self.communities, Grid: self.grids}[model]
                if o.geometry is not None and not o.geometry.is_empty]
        if self.scope != Scope():  # a county user's import lands in its own county's places only
            ids = self._town_ids_in_scope()
            pool = [o for o in pool if (o.id if model is Township else o.township_id) in ids]
        if not pool or not geoms:
            return [None] * len(geoms)
        points = np.array([anchor_point(g) for g in geoms], dtype=float).reshape(-1, 2)
        frame = gpd.GeoDataFrame({"idx": np.arange(len(pool))}, geometry=[o.geometry for o in pool], crs="EPSG:4326")
        hits = assign_points(points[:, 0], points[:, 1], frame, "idx")
        out = []
        for i, hit in enumerate(hits):
            obj = None if pd.isna(hit) else pool[int(hit)]
            parent = within[i] if within else None
            if obj is not None and parent is not None:
                attr = "township_id" if isinstance(parent, Township) else "community_id"
                if getattr(obj, attr) != parent.id:
                    obj = None
            out.append(obj)
        return out


def compound_index(session, scope: Scope | None = None):
    """``(by_code, by_name, towns)`` of the stored compounds: by name and every alias (、-separated),
    and per township id its ``(name, label)`` (label: with the county in front where another county
    has the same name) — what a register row that names a compound is matched against.

    ``scope``: only the compounds of its county or city (a county user's register names its own
    county's compounds; the township fence stays with :func:`outside_scope` and its message)."""
    from data.schema import Compound as _Compound

    names = township_names(session, Scope(county=scope.county, city=scope.city) if scope is not None else None)
    stmt = select(_Compound.id, _Compound.code, _Compound.name, _Compound.aliases, _Compound.township_id,
                  _Compound.community_id)
    if names.scope != Scope():
        stmt = stmt.where(_Compound.township_id.in_([t.id for t in names.pool()]))
    stored = list(session.execute(stmt).all())
    by_name: dict[str, list] = {}
    for c in stored:
        for n in {c.name, *[a.strip() for a in (c.aliases or "").split("、") if a.strip()]}:
            by_name.setdefault(n, []).append(c)
    return {c.code: c for c in stored}, by_name, {t.id: (t.name, names.label(t)) for t in names.townships}


def _town_fits(entry: tuple[str, str] | None, text: str) -> bool:
    """The row's 所属镇街 ``text`` names this township (its name or its county-prefixed label)."""
    if entry is None:
        return False
    return text in entry or place_key(text) in {place_key(n) for n in entry}


def match_compound(job, row, by_code: dict, by_name: dict, towns: dict):
    """The compound a row names by 小区编码, or by name or alias (within the named 镇街, suffixes
    such as 办事处 ignored); the row's error written and None when there is none or more than one."""
    code, name = row.values.get("code"), row.values.get("name")
    if code:
        comp = by_code.get(code)
        if comp is None:
            job.error(row, "code", "数据库中没有该小区编码")
        elif name and comp not in by_name.get(name, []):
            job.note(row, "name", f"按编码匹配到“{comp.name}”，与表中名称不同", value=name)
        return comp
    if not name:
        job.error(row, "name", "小区名称和小区编码不能都为空", value=None)
        return None
    found = by_name.get(name, [])
    township = row.values.get("township")
    if township:
        found = [c for c in found if _town_fits(towns.get(c.township_id), township)]
    if not found:
        where = f"（{township}）" if township else ""
        job.error(row, "name", f"数据库中没有该小区{where}，请核对名称或填写小区编码")
        return None
    if len(found) > 1:
        places = "、".join(sorted({(towns.get(c.township_id) or ("", ""))[1] for c in found}))
        job.error(row, "name", f"有 {len(found)} 个同名小区（{places}），请填写小区编码或所属镇街")
        return None
    return found[0]


def outside_scope(job, session, row, compound, scope) -> bool:
    """True (and the row's error written) when ``compound`` (a row of :func:`compound_index`, not
    necessarily an ORM object) lies outside the importing user's ``scope``."""
    from data.queries import township_in_scope

    if scope != Scope() and not township_in_scope(session, scope, compound.township_id,
                                                  compound.community_id):
        job.error(row, "name", "该小区不在您的管辖范围内", value=compound.name)
        return True
    return False


def named_parents(job, reg: Registry, row) -> tuple[Township | None, Community | None] | None:
    """The township and community ``row`` names (either may be absent, the township then
    follows from the community); None once the row's error is recorded on ``job``."""
    township = community = None
    if "township" in row.values:
        township, why = reg.resolve_township(row.values["township"])
        if township is None:
            job.error(row, "township", why)
            return None
    if "community" in row.values:
        community, why = reg.resolve_community(row.values["community"], township)
        if community is None:
            job.error(row, "community", why)
            return None
        township = township or reg.township_of(community)
    return township, community


class Matcher:
    """Natural-key matching of file rows to stored records (by code, else by key).

    ``key_of(record)`` gives the record's natural key, e.g. ``(township_id, name)``;
    ``unique_key`` says whether the database enforces it (then a row may not take
    a key another record holds). Two rows with the same code, or the same key
    and no code, are duplicates; two rows may not address the same record.
    """

    def __init__(self, records: Iterable, key_of, *, file_codes: set[str], unique_key: bool, what: str):
        self.key_of, self.unique_key, self.what = key_of, unique_key, what
        self.by_code = {r.code: r for r in records}
        self.by_key: dict[Any, list] = {}
        for r in self.by_code.values():
            self.by_key.setdefault(key_of(r), []).append(r)
        self.file_codes = file_codes
        self.seen_code: dict[str, int] = {}
        self.seen_key: dict[Any, int] = {}
        self.claimed: dict[int, int] = {}

    def match(self, job, row, code: str | None, key) -> tuple[Any, bool]:
        """``(record or None, ok)``; problems are reported on ``row`` and give ok=False."""
        if code:
            if code in self.seen_code:
                job.error(row, "code", f"与第 {self.seen_code[code]} 行重复")
                return None, False
            self.seen_code[code] = row.number
        if key in self.seen_key and (self.unique_key or not code):
            job.error(row, "name", f"与第 {self.seen_key[key]} 行重复", value=row.values.get("name"))
            return None, False
        self.seen_key.setdefault(key, row.number)
        obj = self.by_code.get(code) if code else None
        holders = [r for r in self.by_key.get(key, []) if r is not obj]
        if obj is None:
            candidates = [r for r in holders if not code or r.code not in self.file_codes]
            if len(candidates) > 1:
                job.error(row, "name", f"数据库中有 {len(candidates)} 个同名{self.what}，请填写编码以区分")
                return None, False
            if candidates:
                obj = candidates[0]
                if code and code != obj.code:
                    job.note(row, "code", f"按名称匹配到已有{self.what}，编码由 {obj.code} 改为 {code}", value=code)
            elif self.unique_key and holders:
                job.error(row, "name", f"已被编码为 {holders[0].code} 的{self.what}使用")
                return None, False
        elif self.unique_key and holders:
            job.error(row, "name", f"已被编码为 {holders[0].code} 的{self.what}使用")
            return None, False
        if obj is not None:
            if id(obj) in self.claimed:
                job.error(row, "name", f"与第 {self.claimed[id(obj)]} 行指向同一条{self.what}记录")
                return None, False
            self.claimed[id(obj)] = row.number
        return obj, True
