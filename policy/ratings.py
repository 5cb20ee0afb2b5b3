"""红黑榜与信用等级: quarterly red/black lists, the company blacklist, the half-yearly
excellent quota and credit-grade supervision (沂水 §3(3), §3(7); DOMAIN.md rules 2–4).

- A project's quarterly score at or above the red line (红榜分数线, default 90) puts
  it on the red list (红榜); strictly below the black line (default 60) on the
  black list (黑榜).
- On the black list → replace the project manager and expose it in the media
  (更换项目经理、媒体曝光); on it a second time in any two quarters of the last
  eight → start replacing the property company (启动更换物业企业程序).
- A company with one third or more (三分之一以上, inclusive) of its projects on the
  black list in a quarter goes on the company blacklist (企业黑名单); its projects
  get a service-quality evaluation (服务质量评价).
- At most 5 % (不超过: the floor) of the companies assessed each half year are
  rated excellent (优秀).
- Credit grades (default AAA, AA, A, B, C, best first): grade A and above
  (A级以上, inclusive) get incentives; the lowest grade is under close supervision.

Shares are exact fractions; scores are compared as decimals.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Mapping

import pandas as pd

__all__ = [
    "RED", "BLACK", "NEUTRAL", "ACTIONS", "list_label", "excellent_quota", "excellent_companies",
    "company_blacklist", "black_list_actions", "parse_quarter", "quarter_index", "quarter_label",
    "quarters_back", "half_year", "SupervisionTier", "supervision_tier", "incentive_eligible",
    "share_fraction",
]

RED, BLACK, NEUTRAL = "红榜", "黑榜", "—"
ACTIONS = {
    "replace_manager": "更换项目经理、媒体曝光",
    "replace_company": "启动更换物业企业程序",
}
CONSEQUENCE_SEP = "；"


def black_list_consequences(action: str | None) -> list[str]:
    """Every consequence a black-listed project owes (沂水 §3(3)): each listing replaces the
    manager and exposes the project; a 2nd listing also starts replacing the company."""
    if action is None or action not in ACTIONS:
        return []
    owed = [ACTIONS["replace_manager"]]
    if action == "replace_company":
        owed.append(ACTIONS["replace_company"])
    return owed


COMPANY_BLACKLIST_ACTION = "列入企业黑名单，对其服务项目开展服务质量评价；评价不合格的，启动更换物业企业程序"

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


# --------------------------------------------------------------------------- quarters
def parse_quarter(quarter: str) -> tuple[int, int]:
    """``"2026-Q3"`` → ``(2026, 3)``; anything else raises ValueError (Chinese)."""
    m = _QUARTER.match(str(quarter))
    if not m:
        raise ValueError(f"季度格式应为 YYYY-Qn（如 2026-Q1），收到 {quarter!r}")
    return int(m.group(1)), int(m.group(2))


def quarter_index(quarter: str) -> int:
    """A running number of quarters, so consecutive quarters differ by 1 across year ends."""
    y, q = parse_quarter(quarter)
    return y * 4 + q - 1


def quarter_label(index: int) -> str:
    return f"{index // 4:04d}-Q{index % 4 + 1}"


def quarters_back(quarter: str, n: int) -> list[str]:
    """The ``n`` quarters ending with ``quarter``, oldest first."""
    end = quarter_index(quarter)
    return [quarter_label(i) for i in range(end - n + 1, end + 1)]


def half_year(quarter: str) -> str:
    """``"2026-Q3"`` → ``"2026-H2"`` (the half-yearly company assessment period)."""
    y, q = parse_quarter(quarter)
    return f"{y:04d}-H{1 if q <= 2 else 2}"


def share_fraction(value) -> Fraction:
    """A share setting (``"1/3"``, ``"0.05"``, ``0.05``, ``Fraction``) as an exact fraction in [0, 1]."""
    if isinstance(value, bool):
        raise ValueError(f"比例设置无效：{value!r}")
    out = Fraction(str(value).strip()) if not isinstance(value, (int, Fraction)) else Fraction(value)
    if not 0 <= out <= 1:
        raise ValueError(f"比例应在 0 与 1 之间：{value!r}")
    return out


# --------------------------------------------------------------------------- lists
def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def list_label(score, *, red_min=90, black_below=60) -> str:
    """红榜 when ``score`` ≥ ``red_min``; 黑榜 when ``score`` < ``black_below``; else —.

    A missing score (None/NaN) is on neither list.
    """
    if score is None or (isinstance(score, float) and math.isnan(score)) or pd.isna(score):
        return NEUTRAL
    s = _decimal(score)
    if s >= _decimal(red_min):
        return RED
    if s < _decimal(black_below):
        return BLACK
    return NEUTRAL


def black_list_actions(history: pd.DataFrame, quarter: str, window: int = 8) -> dict:
    """What follows for each project on the black list in ``quarter``.

    Parameters
    ----------
    history
        Columns ``project_id``, ``quarter`` (``YYYY-Qn``) and ``black`` (bool); one
        row per project and quarter evaluated. Later quarters are ignored.
    quarter
        The quarter whose black list is acted on.
    window
        Quarters looked back, ``quarter`` included (default 8: the last two years).

    Returns
    -------
    dict
        ``project_id → "replace_manager"`` (first time on the black list within
        the window) or ``"replace_company"`` (second time or later). Projects not
        black in ``quarter`` are absent.
    """
    if window < 1:
        raise ValueError("统计窗口至少为 1 个季度")
    if history is None or len(history) == 0:
        return {}
    end = quarter_index(quarter)
    idx = history["quarter"].map(quarter_index)
    black = history["black"].astype(bool)
    inside = black & (idx <= end) & (idx > end - window)
    now = history.loc[black & (idx == end), "project_id"]
    # a project listed twice for one quarter still counts once
    counts = (history.loc[inside, ["project_id"]].assign(q=idx[inside])
              .drop_duplicates().groupby("project_id").size())
    return {pid: "replace_company" if counts.get(pid, 0) >= 2 else "replace_manager"
            for pid in dict.fromkeys(now)}


def company_blacklist(black_projects: Iterable, portfolio: Mapping, share=Fraction(1, 3)) -> set:
    """Companies with ``share`` or more (inclusive) of their projects on the black list.

    ``portfolio`` maps company id → its project ids; ``black_projects`` is the set of
    black-listed project ids. A company with no projects is never blacklisted.
    """
    black = set(black_projects)
    limit = share_fraction(share)
    out = set()
    for company, projects in portfolio.items():
        projects = set(projects)
        if not projects:
            continue
        listed = len(projects & black)
        if listed and Fraction(listed, len(projects)) >= limit:
            out.add(company)
    return out


# --------------------------------------------------------------------------- companies
def excellent_quota(n_companies: int, share=Fraction(5, 100)) -> int:
    """At most ``share`` of ``n_companies`` may be rated excellent (不超过: rounded down)."""
    if isinstance(n_companies, bool) or int(n_companies) != n_companies or n_companies < 0:
        raise ValueError(f"企业数量应为非负整数，收到 {n_companies!r}")
    return math.floor(int(n_companies) * share_fraction(share))


def excellent_companies(scores: Mapping, share=Fraction(5, 100), *, min_score=None) -> list:
    """The companies rated excellent: best scores first, never more than the quota.

    Companies tied at the cut-off either all fit or are all left out, so the
    quota is never exceeded by a tie. ``min_score`` (optional) is a floor an
    excellent company must also reach.
    """
    quota = excellent_quota(len(scores), share)
    ranked = sorted(((_decimal(s), c) for c, s in scores.items() if s is not None and not pd.isna(s)),
                    key=lambda x: x[0], reverse=True)
    if min_score is not None:
        ranked = [(s, c) for s, c in ranked if s >= _decimal(min_score)]
    chosen = []
    i = 0
    while i < len(ranked):
        group = [c for s, c in ranked if s == ranked[i][0]]
        if len(chosen) + len(group) > quota:
            break
        chosen.extend(group)
        i += len(group)
    return chosen


@dataclass(frozen=True)
class SupervisionTier:
    """分级分类监管: the supervision tier a credit grade puts a company in."""

    key: str          # "incentive" | "routine" | "close"
    label: str
    measures: str

    @property
    def incentive(self) -> bool:
        return self.key == "incentive"


TIERS = {
    "incentive": SupervisionTier("incentive", "守信激励（A级以上）",
                                 "公共资源交易中依法依约信用加分；评先树优、资金扶持、行政许可等方面予以支持；"
                                 "可减少检查频次"),
    "routine": SupervisionTier("routine", "常规监管", "按月检查、按季度考评"),
    "close": SupervisionTier("close", "重点监管", "提高检查频次，约谈企业负责人，限期整改；"
                             "作为前期物业招标、业主大会选聘的重要参考"),
}


def _rank(grade: str, grades: tuple[str, ...] | list[str]) -> int:
    grades = list(grades)
    if grade not in grades:
        raise ValueError(f"未知的信用等级：{grade!r}（可用：{'、'.join(grades)}）")
    return grades.index(grade)


def incentive_eligible(grade: str, grades=("AAA", "AA", "A", "B", "C"), *, floor: str = "A") -> bool:
    """True for grade ``floor`` and above (A级以上, inclusive); ``grades`` best first."""
    return _rank(grade, grades) <= _rank(floor, grades)


def supervision_tier(grade: str, grades=("AAA", "AA", "A", "B", "C"), *, floor: str = "A") -> SupervisionTier:
    """Incentives for ``floor`` and above, close supervision for the lowest grade, routine between."""
    if incentive_eligible(grade, grades, floor=floor):
        return TIERS["incentive"]
    if _rank(grade, grades) == len(list(grades)) - 1:
        return TIERS["close"]
    return TIERS["routine"]
