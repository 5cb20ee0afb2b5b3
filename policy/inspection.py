"""双随机、一公开: the random spot-check draw as a pure, reproducible function.

Compounds are drawn at random (optionally weighted by risk and stratified per
township), then a team of inspectors is drawn for each with recusal: never an
inspector whose own township is the compound's, never a compound managed by a
company the inspector is linked to. If recusal leaves too few inspectors the
draw fails with :class:`RecusalError` rather than bend the rule.

Reproducibility: the inputs are sorted canonically (row order never matters)
and the only random primitive used is ``random.Random(seed).random()``, whose
stream is stable across Python versions (``sample``/``shuffle`` are not
guaranteed to be). :func:`input_hash` fingerprints the candidate lists and the
parameters, so a re-run can tell "same inputs, same result" from "the
registers changed since".
"""
from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

MIN_TEAM = 2


@dataclass(frozen=True)
class Candidate:
    """检查对象: a compound that may be drawn (id, township, managing company)."""

    id: int
    township_id: int | None
    company_id: int | None = None


@dataclass(frozen=True)
class InspectorRef:
    """检查人员 as the draw sees them: own township and linked companies (recusal)."""

    id: int
    township_id: int | None = None
    linked_company_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class DrawnCompound:
    compound_id: int
    township_id: int | None
    team: tuple[int, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class DrawResult:
    """The drawn compounds in drawing order, each with its team; ``allocation`` per stratum."""

    picks: tuple[DrawnCompound, ...]
    eligible: int
    allocation: dict = field(default_factory=dict)

    def as_pairs(self) -> list[tuple[int, tuple[int, ...]]]:
        """``[(compound_id, team), …]`` sorted by compound: the comparable core of a result."""
        return sorted((p.compound_id, p.team) for p in self.picks)


class RecusalError(ValueError):
    """回避后检查人员不足: the draw cannot be made without breaking recusal.

    ``needed`` is exactly how many more inspectors it takes: inspectors from no
    drawn compound's township and linked to none of their companies (a
    county-level unit qualifies everywhere), so each new one counts for every
    short compound. ``names`` (compound id → name) and ``where`` (how to add
    inspectors) make the message a person can act on.
    """

    def __init__(self, shortfalls: list[tuple[int, int]], team_size: int, *, names=None, where: str = ""):
        self.shortfalls = shortfalls  # (compound_id, inspectors available)
        self.team_size = team_size
        self.needed = team_size - min((k for _, k in shortfalls), default=team_size)
        names = names or {}
        worst = "，".join(f"{names.get(c) or f'小区 {c}'}（可用 {k} 人）" for c, k in shortfalls[:5])
        more = f" 等 {len(shortfalls)} 个小区" if len(shortfalls) > 5 else ""
        super().__init__(
            f"回避规则下检查人员不足：{worst}{more}，每组需要 {team_size} 人。"
            f"请增加至少 {self.needed} 名检查人员（不属于这些小区所在镇街、且与其物业企业无关联，"
            f"如县直单位人员）{where}，或减少每组人数（不少于 2 人）后重新抽取。")


# --- inputs ----------------------------------------------------------------------

def _get(row, key, default=None):
    if isinstance(row, Mapping):
        return row.get(key, default)
    return getattr(row, key, default)


def _opt_int(value) -> int | None:
    if value is None:
        return None
    try:
        if isinstance(value, float) and math.isnan(value):
            return None
    except TypeError:
        pass
    return int(value)


def _records(rows) -> list:
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # a DataFrame
        return rows.to_dict("records")
    return list(rows)


def as_candidates(rows) -> list[Candidate]:
    """Compounds (DataFrame, mappings or objects with ``id``, ``township_id``, ``company_id``), sorted by id."""
    out = [Candidate(int(_get(r, "id")), _opt_int(_get(r, "township_id")),
                     _opt_int(_get(r, "company_id"))) for r in _records(rows)]
    out.sort(key=lambda c: c.id)
    _unique([c.id for c in out], "小区")
    return out


def as_inspectors(rows) -> list[InspectorRef]:
    """Inspectors (``id``, ``township_id``, ``linked_company_ids``), sorted by id."""
    out = []
    for r in _records(rows):
        links = _get(r, "linked_company_ids") or ()
        out.append(InspectorRef(int(_get(r, "id")), _opt_int(_get(r, "township_id")),
                                frozenset(int(x) for x in links)))
    out.sort(key=lambda i: i.id)
    _unique([i.id for i in out], "检查人员")
    return out


def _unique(ids: list[int], what: str) -> None:
    dupes = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) != len(ids) else []
    if dupes:
        raise ValueError(f"{what}编号重复：{dupes[:10]}")


def may_inspect(inspector: InspectorRef, compound: Candidate) -> bool:
    """Recusal: not the inspector's own township, not a company they are linked to."""
    if inspector.township_id is not None and inspector.township_id == compound.township_id:
        return False
    return compound.company_id is None or compound.company_id not in inspector.linked_company_ids


# --- allocation --------------------------------------------------------------------

def largest_remainder(sizes: Mapping, n: int) -> dict:
    """Split ``n`` across strata in proportion to ``sizes`` (Hamilton / largest remainder).

    Exact arithmetic (``Fraction``); ties on the remainder go to the larger
    stratum, then to the smaller key, so the split is deterministic.
    """
    total = sum(sizes.values())
    if n < 0 or n > total:
        raise ValueError(f"抽取数量 {n} 超出可抽对象数 {total}")
    if total == 0:
        return {k: 0 for k in sizes}
    quotas = {k: Fraction(n * s, total) for k, s in sizes.items()}
    alloc = {k: math.floor(q) for k, q in quotas.items()}
    left = n - sum(alloc.values())
    order = sorted(sizes, key=lambda k: (-(quotas[k] - alloc[k]), -sizes[k], _sort_key(k)))
    for k in order[:left]:
        alloc[k] += 1
    return alloc


def _sort_key(k):
    return (k is None, str(type(k).__name__), k if k is not None else 0)


def count_for_share(total: int, share) -> int:
    """Number of compounds for a share (比例) of ``total``, rounded half up, at least 1 when total > 0."""
    share = share if isinstance(share, Fraction) else Fraction(str(share))
    if not 0 < share <= 1:
        raise ValueError(f"抽取比例应在 0 到 1 之间，收到 {float(share):g}")
    k = math.floor(share * total + Fraction(1, 2))
    return max(1 if total else 0, min(total, k))


# --- risk weights ---------------------------------------------------------------------

RISK_FACTORS = ("complaints_per_100", "black_list", "low_credit", "overdue_rectification",
                "never_inspected")


def risk_weight(factors: Mapping, coefficients: Mapping) -> float:
    """1 + Σ coefficient × factor; factors are numbers or booleans (see :data:`RISK_FACTORS`).

    ``complaints_per_100`` is complaints per 100 households over the look-back
    window; the other factors are 0/1. The result is rounded to 6 decimals so
    it hashes identically everywhere.
    """
    w = Decimal(1)
    for key in RISK_FACTORS:
        value = factors.get(key) or 0
        w += Decimal(str(coefficients.get(key, 0))) * Decimal(str(float(value)))
    return float(round(max(w, Decimal("0.000001")), 6))


# --- the draw ---------------------------------------------------------------------------

def draw(compounds, inspectors, *, n, seed: int, strata: str | Callable | None = None,
         weights: Mapping[int, float] | None = None, exclude: Iterable[int] = (),
         team_size: int = MIN_TEAM) -> DrawResult:
    """Draw ``n`` compounds and a recused team of ``team_size`` inspectors for each.

    Parameters
    ----------
    compounds, inspectors
        Rows with ``id``, ``township_id`` (and ``company_id`` / ``linked_company_ids``):
        DataFrames, mappings or objects. Order does not matter.
    n : int or share
        Number of compounds; a ``Fraction``/``Decimal``/float in (0, 1] means that
        share of the eligible compounds (rounded half up).
    seed : int
        The recorded seed; the same inputs and seed give the same result.
    strata : "township_id", a callable ``Candidate -> key``, or None
        Stratify: ``n`` is split across strata in proportion to their eligible
        compounds (largest remainder), then drawn within each.
    weights : mapping compound id → weight > 0, optional
        Risk weights; a compound's chance grows with its weight (weighted
        sampling without replacement, exponential keys). Missing ids weigh 1.
    exclude : ids
        Compounds not to draw (e.g. inspected within the last K months).
    team_size : int
        Inspectors per compound, at least 2.

    Raises
    ------
    ValueError
        Bad parameters (Chinese message).
    RecusalError
        Some drawn compound has fewer than ``team_size`` inspectors allowed to inspect it.
    """
    if isinstance(team_size, bool) or int(team_size) != team_size or team_size < MIN_TEAM:
        raise ValueError(f"每组检查人员不少于 {MIN_TEAM} 人，收到 {team_size}")
    team_size = int(team_size)
    cands = as_candidates(compounds)
    staff = as_inspectors(inspectors)
    excluded = {int(x) for x in exclude}
    eligible = [c for c in cands if c.id not in excluded]
    if isinstance(n, bool):
        raise ValueError("抽取数量应为正整数或比例")
    if isinstance(n, int):
        count = n
    else:
        count = count_for_share(len(eligible), n)
    if count < 1:
        raise ValueError(f"抽取数量应至少为 1，收到 {n}")
    if count > len(eligible):
        raise ValueError(f"抽取数量 {count} 超过可抽取的小区数 {len(eligible)}（已排除 {len(cands) - len(eligible)} 个）")
    w = {c.id: float((weights or {}).get(c.id, 1.0)) for c in eligible}
    bad = [i for i, v in w.items() if not (v > 0 and math.isfinite(v))]
    if bad:
        raise ValueError(f"风险权重必须为正数：小区 {bad[:5]}")

    rng = random.Random(int(seed))
    # One exponential key per eligible compound, in id order: smallest keys win.
    keys = {c.id: -math.log(1.0 - rng.random()) / w[c.id] for c in eligible}
    key_of = _stratum_key(strata)
    groups: dict = {}
    for c in eligible:
        groups.setdefault(key_of(c), []).append(c)
    allocation = largest_remainder({k: len(v) for k, v in groups.items()}, count) if strata \
        else {None: count}
    chosen: list[Candidate] = []
    if strata:
        for k in sorted(groups, key=_sort_key):
            chosen += sorted(groups[k], key=lambda c: (keys[c.id], c.id))[:allocation[k]]
    else:
        chosen = sorted(eligible, key=lambda c: (keys[c.id], c.id))[:count]
    chosen.sort(key=lambda c: (keys[c.id], c.id))  # drawing order

    shortfalls = []
    for c in chosen:
        ok = sum(1 for i in staff if may_inspect(i, c))
        if ok < team_size:
            shortfalls.append((c.id, ok))
    if shortfalls:
        raise RecusalError(shortfalls, team_size)

    load = {i.id: 0 for i in staff}
    picks = []
    for c in chosen:
        # fresh random keys for every inspector (canonical order) keep the stream aligned;
        # the lightest-loaded eligible inspectors go first so work is spread evenly
        tickets = {i.id: rng.random() for i in staff}
        pool = sorted((i for i in staff if may_inspect(i, c)), key=lambda i: (load[i.id], tickets[i.id], i.id))
        team = tuple(sorted(i.id for i in pool[:team_size]))
        for i in team:
            load[i] += 1
        picks.append(DrawnCompound(c.id, c.township_id, team, w[c.id]))
    return DrawResult(tuple(picks), len(eligible),
                      {k: v for k, v in allocation.items()} if strata else {})


def _stratum_key(strata) -> Callable[[Candidate], object]:
    if strata is None:
        return lambda c: None
    if callable(strata):
        return strata
    if strata in ("township", "township_id"):
        return lambda c: c.township_id
    raise ValueError(f"未知的分层方式：{strata!r}（可用 township_id）")


# --- fingerprint --------------------------------------------------------------------------

def canonical_inputs(compounds, inspectors, *, params: Mapping,
                     weights: Mapping[int, float] | None = None) -> dict:
    """The draw's inputs as plain JSON-able data, sorted: what is hashed and recorded."""
    w = weights or {}
    return {
        "compounds": [[c.id, c.township_id, c.company_id, round(float(w.get(c.id, 1.0)), 6)]
                      for c in as_candidates(compounds)],
        "inspectors": [[i.id, i.township_id, sorted(i.linked_company_ids)]
                       for i in as_inspectors(inspectors)],
        "params": {k: params[k] for k in sorted(params)},
    }


def input_hash(inputs: Mapping) -> str:
    """SHA-256 (hex) of :func:`canonical_inputs` serialised canonically."""
    text = json.dumps(inputs, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def redraw(inputs: Mapping, seed: int) -> DrawResult:
    """Re-run a draw from recorded :func:`canonical_inputs` (the 验证 button and CLI)."""
    comps = [{"id": c[0], "township_id": c[1], "company_id": c[2]} for c in inputs["compounds"]]
    staff = [{"id": i[0], "township_id": i[1], "linked_company_ids": i[2]} for i in inputs["inspectors"]]
    weights = {c[0]: c[3] for c in inputs["compounds"]}
    p = inputs["params"]
    n = p["n"] if isinstance(p["n"], int) else Fraction(str(p["n"]))
    return draw(comps, staff, n=n, seed=seed, strata=p.get("strata"), weights=weights,
                exclude=p.get("exclude", ()), team_size=p.get("team_size", MIN_TEAM))


# --- results ----------------------------------------------------------------------------

VERDICTS = ("合格", "基本合格", "不合格")


def overall_verdict(passes) -> str:
    """合格 when every checked item passed, else 不合格 (the inspectors may soften it to 基本合格)."""
    passes = [bool(p) for p in passes]
    if not passes:
        raise ValueError("至少需要记录一个检查事项的结果")
    return VERDICTS[0] if all(passes) else VERDICTS[2]


# One checklist item's result: explicit, with no default (an unticked box is not a pass)
ITEM_STATES = ("未检查", "合格", "不合格")


def check_item_marks(marks: dict) -> list[str]:
    """What stops a checklist from being saved, in Chinese; empty when it may be saved.

    ``marks``: item → ``(state, note)`` with ``state`` one of :data:`ITEM_STATES`
    (``None`` counts as 未检查). Every item must be checked, and every 不合格 needs
    a note saying what was found (it becomes the finding and the rectification task).
    """
    problems = []
    unchecked = [k for k, (state, _) in marks.items() if state in (None, "未检查")]
    unknown = [k for k, (state, _) in marks.items() if state not in (None, *ITEM_STATES)]
    if not marks:
        problems.append("至少需要一个检查事项")
    if unknown:
        problems.append(f"结果应为{'、'.join(ITEM_STATES)}之一：{'、'.join(map(str, unknown))}")
    if unchecked:
        problems.append(f"尚有 {len(unchecked)} 项未检查：{'、'.join(map(str, unchecked))}")
    silent = [k for k, (state, note) in marks.items() if state == "不合格" and not (note or "").strip()]
    if silent:
        problems.append(f"不合格的事项须写明情况：{'、'.join(map(str, silent))}")
    return problems


def rectification_overdue(due, rectified, today) -> bool:
    """整改逾期 on ``today``: the due date has passed and nothing was rectified by ``today``."""
    if due is None or today <= due:
        return False
    return rectified is None or rectified > today
