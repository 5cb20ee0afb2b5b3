"""Colour modes for compounds: a fill colour per compound and the legend to match.

Each mode is a function ``(frame) -> (fills, legend entries)``. Categorical
modes use fixed palettes so a colour always means the same thing; the
complaint-density mode classes by quantiles of the non-zero values.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from data import vocab
from policy.coverage import governance_gaps

NO_DATA = "#bdbdbd"
# ColorBrewer YlOrRd 5 (light → dark red): more complaints, darker
SEQUENTIAL = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
# ColorBrewer BuPu 5: complaint heat, a view of its own, sharing no colour with the fills below
HEAT_RAMP = ("#edf8fb", "#b3cde3", "#8c96c6", "#8856a7", "#810f7c")
CATEGORICAL = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")

Entries = list[tuple[str, str]]


@dataclass(frozen=True)
class ColourMode:
    key: str
    label: str
    colour: Callable[[pd.DataFrame], tuple[pd.Series, Entries]]


def categorical(values: pd.Series, categories: tuple[str, ...]) -> tuple[pd.Series, Entries]:
    palette = dict(zip(categories, CATEGORICAL))
    fills = values.map(palette).fillna(NO_DATA)
    entries = [(palette[c], c) for c in categories]
    if values.isna().any() or not values.isin(categories).all():
        entries.append((NO_DATA, "未登记"))
    return fills, entries


def edge_labels(edges) -> list[str]:
    """Format bin edges with the fewest decimals (0–3) that keep every edge distinct
    and within 5 % of its value (so 0.5 never shows as "0")."""
    for decimals in range(4):
        labels = [f"{e:.{decimals}f}" for e in edges]
        close = all(abs(float(lab) - e) <= 0.05 * abs(e) for lab, e in zip(labels, edges))
        if close and len(set(labels)) == len(labels):
            return labels
    return labels


def quantile_classes(values: pd.Series, *, k: int = 5, ramp: tuple[str, ...] = SEQUENTIAL
                     ) -> tuple[pd.Series, Entries]:
    """Class ``values`` into ``k`` quantile bins of the positive values; 0 gets its own class.

    Bin edges are de-duplicated, so a skewed distribution can give fewer classes.
    """
    v = pd.to_numeric(values, errors="coerce")
    positive = v[v > 0]
    fills = pd.Series(NO_DATA, index=v.index, dtype=object)
    entries: Entries = []
    zero = v == 0
    if zero.any():
        fills[zero] = "#f7f7f7"
        entries.append(("#f7f7f7", "0"))
    if positive.empty:
        return fills, entries or [(NO_DATA, "无数据")]
    edges = np.unique(np.quantile(positive, np.linspace(0, 1, k + 1)))
    if len(edges) == 1:
        edges = np.array([edges[0], edges[0]])
    colours = ramp[-(len(edges) - 1):] if len(edges) - 1 < len(ramp) else ramp
    bins = np.clip(np.searchsorted(edges, positive, side="right") - 1, 0, len(edges) - 2)
    fills[positive.index] = [colours[b] for b in bins]
    labels = edge_labels(edges)
    for i in range(len(edges) - 1):
        entries.append((colours[i], f"{labels[i]} – {labels[i + 1]}"))
    return fills, entries


def _by_class(df):
    return categorical(df["compound_class"], vocab.COMPOUND_CLASSES)


def _by_mode(df):
    return categorical(df["management_mode"], vocab.MANAGEMENT_MODES)


def _by_density(df):
    return quantile_classes(df["complaint_density"])


GOVERNANCE_CLASSES = ("健全", "缺 1 项", "缺 2 项", "缺 3 项")


def _by_governance(df):
    counts = df.apply(lambda r: len(governance_gaps(r)), axis=1) if len(df) else pd.Series(dtype=int)
    palette = ("#1a9850", "#fee08b", "#fc8d59", "#d73027")
    labels = counts.map(lambda n: GOVERNANCE_CLASSES[n])
    fills = counts.map(lambda n: palette[n])
    present = [c for c in GOVERNANCE_CLASSES if c in set(labels)]
    return fills, [(palette[GOVERNANCE_CLASSES.index(c)], c) for c in present]


# --- evaluation and fees (issue 5): columns from data.queries.evaluation.compound_indicators
EVALUATION_CLASSES = (("红榜", "#e31a1c"), ("—", "#ffffcc"), ("黑榜", "#252525"))
FEE_STATUS_COLOURS = {  # grey = no procedure; raise path blue → green/red; reduction path orange/purple
    "无": "#e0e0e0", "成本已公开": "#9ecae1", "表决中": "#3182bd", "已通过": "#31a354",
    "未通过": "#de2d26", "降费评估中": "#fd8d3c", "限期整改": "#e6550d", "已降费": "#756bb1",
    "启动退出程序": "#7f2704",
}
CREDIT_PALETTE = ("#006837", "#31a354", "#78c679", "#fdae61", "#d7191c", "#7b3294", "#c2a5cf")


def _missing(df, column: str) -> tuple[pd.Series, Entries] | None:
    """All grey when the frame was not given this mode's column (the page did not load it)."""
    if column in df.columns:
        return None
    return pd.Series(NO_DATA, index=df.index, dtype=object), [(NO_DATA, "无数据")]


def _by_evaluation(df):
    """红榜 in red, 黑榜 in black, as the lists are named; neither in pale yellow; grey: not evaluated."""
    empty = _missing(df, "eval_list")
    if empty:
        return empty
    palette = dict(EVALUATION_CLASSES)
    labels = df["eval_list"].where(df["eval_list"].isin(list(palette)))
    names = {"红榜": "红榜", "—": "未上榜", "黑榜": "黑榜"}
    present = set(labels.dropna())
    entries = [(colour, names[label]) for label, colour in EVALUATION_CLASSES if label in present]
    if labels.isna().any():
        entries.append((NO_DATA, "未考评"))
    return labels.map(palette).fillna(NO_DATA), entries


def _by_fee_status(df):
    """调价状态: every status of the state machine has its own colour, always in the legend."""
    empty = _missing(df, "fee_status")
    if empty:
        return empty
    status = df["fee_status"].fillna("无")
    fills = status.map(FEE_STATUS_COLOURS).fillna(NO_DATA)
    return fills, list((c, s) for s, c in FEE_STATUS_COLOURS.items())


def _by_credit(df):
    """The company's credit grade (best green → worst red); grey: no company or not graded."""
    empty = _missing(df, "credit_grade")
    if empty:
        return empty
    order = list(vocab.CREDIT_GRADES_DEFAULT)
    order += sorted(set(df["credit_grade"].dropna()) - set(order))
    palette = dict(zip(order, CREDIT_PALETTE))
    labels = df["credit_grade"].where(df["credit_grade"].isin(order))
    fills = labels.map(palette)
    shown = set(labels.dropna())
    entries = [(palette[g], f"{g}级") for g in order if g in shown]
    if labels.isna().any():
        entries.append((NO_DATA, "无物业企业或未评级"))
    return fills.fillna(NO_DATA), entries


MODES = {
    m.key: m
    for m in (
        ColourMode("complaints", "投诉密度（件/百户·月）", _by_density),
        ColourMode("class", "小区类型", _by_class),
        ColourMode("management", "管理模式", _by_mode),
        ColourMode("governance", "治理短板（业主组织/党支部/物业服务）", _by_governance),
        ColourMode("evaluation", "红黑榜（最近季度考评）", _by_evaluation),
        ColourMode("fee_status", "物业费调价状态", _by_fee_status),
        ColourMode("credit", "物业企业信用等级", _by_credit),
    )
}


def colour_compounds(df: pd.DataFrame, mode: str) -> tuple[pd.Series, Entries, str]:
    """Fill colours, legend entries and legend title for ``mode``."""
    m = MODES[mode]
    fills, entries = m.colour(df)
    return fills, entries, m.label


# --- places at coarse zoom: a township (or community) choropleth of the mode's indicator
# Single-hue ramps for amounts (ColorBrewer PuBuGn 5 for shares, apart from every category colour; densities keep the compounds'
# YlOrRd so "darker = more complaints" reads the same at every zoom). Heat has its own ramp.
SHARE_RAMP = ("#f6eff7", "#bdc9e1", "#67a9cf", "#1c9099", "#016c59")


@dataclass(frozen=True)
class AreaIndicator:
    """What a place's colour means at coarse zoom for one colour mode."""

    title: str
    flagged: Callable[[pd.DataFrame], pd.Series] | None  # True / False / NaN (unknown) per compound

    @property
    def is_share(self) -> bool:
        return self.flagged is not None


def _flag(column: str, flagged_values) -> Callable[[pd.DataFrame], pd.Series]:
    def flag(df: pd.DataFrame) -> pd.Series:
        if column not in df.columns:
            return pd.Series(np.nan, index=df.index)
        values = df[column]
        return values.isin(list(flagged_values)).astype(float).where(values.notna())
    return flag


def _governance_flag(df: pd.DataFrame) -> pd.Series:
    if df.empty:
        return pd.Series(dtype=float)
    return df.apply(lambda r: float(len(governance_gaps(r)) > 0), axis=1)


AREA_INDICATORS = {
    "complaints": AreaIndicator("投诉密度（件/百户·月，按户数加权）", None),
    "class": AreaIndicator("老旧小区、三无小区占比", _flag("compound_class", ("老旧小区", "三无小区"))),
    "management": AreaIndicator("无专业化物业小区占比",
                                _flag("management_mode", tuple(m for m in vocab.MANAGEMENT_MODES
                                                              if m != "专业化物业"))),
    "governance": AreaIndicator("有治理短板的小区占比", _governance_flag),
    "evaluation": AreaIndicator("黑榜小区占比（已考评小区中）", _flag("eval_list", ("黑榜",))),
    "fee_status": AreaIndicator("调价或降费程序中的小区占比",
                                _flag("fee_status", tuple(s for s in FEE_STATUS_COLOURS if s != "无"))),
    "credit": AreaIndicator("企业信用 A 级以下的小区占比（已评级中）", _flag("credit_grade", ("B", "C"))),
}


def area_values(df: pd.DataFrame, mode: str, *, by: str) -> pd.DataFrame:
    """Per place (``by``: ``township_id`` or ``community_id``): ``value`` and ``known`` (compounds counted).

    Unknowns stay out: a share counts only compounds whose state is known, the
    density only compounds whose households are known; a place with none is NaN.
    """
    indicator = AREA_INDICATORS[mode]
    if indicator.is_share:
        flag = indicator.flagged(df)
        grouped = pd.DataFrame({by: df[by], "flag": flag}).groupby(by)["flag"]
        out = pd.DataFrame({"value": grouped.mean() * 100, "known": grouped.count()})
    else:
        known = df["complaint_density"].notna() & (df["households"] > 0)
        w = df["households"].where(known)
        frame = pd.DataFrame({by: df[by], "num": (df["complaint_density"] * w).where(known), "w": w})
        sums = frame.groupby(by)[["num", "w"]].sum(min_count=1)
        out = pd.DataFrame({"value": sums["num"] / sums["w"], "known": frame.groupby(by)["w"].count()})
    return out.reset_index()


def area_classes(values: pd.Series, mode: str) -> tuple[pd.Series, Entries]:
    """Fill colours and legend entries for place values of ``mode`` (unknown: grey)."""
    v = pd.to_numeric(values, errors="coerce")
    if not AREA_INDICATORS[mode].is_share:
        fills, entries = quantile_classes(v)
    else:
        # quantiles of the places' own shares: with fixed steps (10/20/40/60 %) a county whose
        # black-list shares all lie under 10 % came out in one colour
        fills, entries = quantile_classes(v, ramp=SHARE_RAMP)
        entries = [(c, label if label in ("0", "无数据") else f"{label} %") for c, label in entries]
        entries = [(c, "0 %" if label == "0" else label) for c, label in entries]
    fills = fills.where(v.notna(), NO_DATA)
    if v.isna().any():
        entries = [*entries, (NO_DATA, "无已知数据")]
    return fills, entries
