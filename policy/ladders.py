"""Monthly accountability ladders (问责阶梯) from complaint counts: pure functions, no I/O.

Two ladders from 沂水 2024 §3(3) and §3(6) (DOMAIN.md rules 1 and 5):

* :func:`complaint_ladder` — 月度投诉排名: each month the projects (物业项目 =
  compound) in the top ``top_n`` by complaints are published (通报); in the top
  list 2 calendar months running → replace the project manager; 3 or more →
  start replacing the property company.
* :func:`township_ladder` — 镇街问责: a township whose complaints rose year on
  year gets a work reminder; the largest rise 2 months running → its party
  secretary's public commitment; a rise 3 months running → collective talk.
* :func:`township_quarter_ladder` — 季度倒数 (§3(6)): the township last of the
  quarter speaks at the county government's executive meeting; last in 2
  quarters → at the party standing committee. The county keeps no township
  assessment score, so "last" is read from complaints: the largest year-on-year
  rise of the quarter's complaints.

Months are ``"YYYY-MM"`` strings; "running" means consecutive calendar months,
across year ends (2025-12 → 2026-01). A month without a row counts as zero
complaints, so it breaks a run.

不可比 (not comparable): a month (or quarter) whose year-earlier month(s) lie
before the start of the data (``data_from``, default the earliest month in the
counts) has no baseline. It is neither a rise nor a fall, and runs of rises
count only months that can be compared (DOMAIN.md rule 5).

Every consequence that applies is given (``actions``, heaviest first); the
``action`` column keeps the heaviest one only for sorting and colouring.
"""
from __future__ import annotations

import pandas as pd

__all__ = [
    "complaint_ladder", "township_ladder", "top_list", "shift_month", "month_range",
    "NOTIFY", "REPLACE_MANAGER", "REPLACE_COMPANY", "COLLECTIVE_TALK", "PUBLIC_COMMITMENT",
    "REMINDER", "NONE", "ACTION_LABELS", "township_quarter_ladder", "month_quarter",
    "quarter_months", "last_complete_quarter", "EXECUTIVE_MEETING", "STANDING_COMMITTEE",
    "TOWNSHIP_SUPERVISE", "TOWNSHIP_TAKEOVER", "comparable", "quarter_comparable", "SEVERITY",
    "NOT_COMPARABLE_REASON", "heaviest", "BASIS_SCORE", "BASIS_COMPLAINTS", "BASIS_NONE",
]

NOTIFY = "notify"
REPLACE_MANAGER = "replace_manager"
REPLACE_COMPANY = "replace_company"
COLLECTIVE_TALK = "collective_talk"
PUBLIC_COMMITMENT = "public_commitment"
REMINDER = "reminder"
EXECUTIVE_MEETING = "executive_meeting"
STANDING_COMMITTEE = "standing_committee"
# a compound with no property company (业主自管 / 无物业) cannot change its company or manager:
TOWNSHIP_SUPERVISE = "township_supervise"    # 2 months: the township urges rectification
TOWNSHIP_TAKEOVER = "township_takeover"      # 3 months: the township secures 兜底 property service
NONE = "none"

# heaviest first: the order in which actions are listed and the one that colours a row
SEVERITY = (STANDING_COMMITTEE, EXECUTIVE_MEETING, COLLECTIVE_TALK, PUBLIC_COMMITMENT, REMINDER,
            REPLACE_COMPANY, TOWNSHIP_TAKEOVER, REPLACE_MANAGER, TOWNSHIP_SUPERVISE, NOTIFY)
NOT_COMPARABLE_REASON = "上年同期无完整数据（数据始于 {start}），不可比"
BASIS_SCORE = "score"            # quarterly last place from stored 考核成绩
BASIS_COMPLAINTS = "complaints"  # stand-in: the largest year-on-year complaint rise
BASIS_NONE = "not_comparable"    # neither scores nor a comparable year earlier

# The seeds' own words for each action (what tables and exports show).
ACTION_LABELS = {
    NOTIFY: "通报",
    REPLACE_MANAGER: "建议更换项目经理",
    REPLACE_COMPANY: "启动更换物业企业程序",
    COLLECTIVE_TALK: "县专班集中谈话",
    PUBLIC_COMMITMENT: "党（工）委书记公开承诺",
    REMINDER: "工作提醒",
    EXECUTIVE_MEETING: "在县政府常务会议上表态发言",
    STANDING_COMMITTEE: "在县委常委会议上表态发言",
    TOWNSHIP_SUPERVISE: "镇街督促整改（无物业企业）",
    TOWNSHIP_TAKEOVER: "镇街落实兜底物业服务",
    NONE: "无",
}


def heaviest(actions) -> str:
    """The heaviest of ``actions`` (by :data:`SEVERITY`), ``"none"`` when empty."""
    for a in SEVERITY:
        if a in actions:
            return a
    return NONE


def _ordered(actions) -> tuple[str, ...]:
    return tuple(a for a in SEVERITY if a in set(actions))

LADDER_COLUMNS = ["project_id", "rank", "complaints", "consecutive_months", "action", "actions"]
QUARTER_COLUMNS = ["township_id", "complaints", "last_year", "yoy_change", "last_place", "times_last",
                   "action", "comparable", "basis", "score", "actions"]
TOWNSHIP_COLUMNS = ["township_id", "complaints", "last_year", "yoy_change", "yoy_pct",
                    "consecutive_rises", "largest_rise", "action", "comparable", "actions"]


def _parse(month: str) -> tuple[int, int]:
    try:
        y, m = str(month).strip().split("-")
        year, mon = int(y), int(m)
    except ValueError:
        raise ValueError(f"月份格式应为 YYYY-MM：{month!r}") from None
    if not 1 <= mon <= 12:
        raise ValueError(f"月份格式应为 YYYY-MM：{month!r}")
    return year, mon


def shift_month(month: str, months: int) -> str:
    """``month`` moved by ``months`` calendar months: ``shift_month("2026-01", -1) == "2025-12"``."""
    y, m = _parse(month)
    k = y * 12 + (m - 1) + months
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (empty when ``last`` is earlier)."""
    (y1, m1), (y2, m2) = _parse(first), _parse(last)
    n = (y2 * 12 + m2) - (y1 * 12 + m1)
    return [shift_month(first, k) for k in range(n + 1)]


def _normalise(counts: pd.DataFrame, key: str) -> pd.DataFrame:
    missing = {key, "month", "complaints"} - set(counts.columns)
    if missing:
        raise ValueError(f"counts lacks columns {sorted(missing)}")
    df = counts[[key, "month", "complaints"]].copy()
    padded = {m: shift_month(m, 0) for m in df["month"].unique()}  # validates and zero-pads, once a month
    df["month"] = df["month"].map(padded)
    df["complaints"] = pd.to_numeric(df["complaints"]).fillna(0).astype("int64")
    return df.groupby([key, "month"], as_index=False, sort=False)["complaints"].sum()


def top_list(counts: pd.DataFrame, month: str, top_n: int = 50) -> pd.DataFrame:
    """The projects published for ``month``: ``project_id``, ``rank``, ``complaints``.

    Ranked by complaints, highest first; equal counts share the best rank
    (method "min": 10, 9, 9, 7 → ranks 1, 2, 2, 4). Every project ranked
    ``top_n`` or better is listed, so a tie at the cut-off lists them all;
    a project with no complaints is never listed.
    """
    return _top(_normalise(counts, "project_id"), shift_month(month, 0), top_n)


def _top(df: pd.DataFrame, month: str, top_n: int) -> pd.DataFrame:
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    df = df[(df["month"] == month) & (df["complaints"] > 0)]
    rank = df["complaints"].rank(method="min", ascending=False).astype("int64")
    out = df.assign(rank=rank)[rank <= top_n]
    return out.sort_values(["rank", "project_id"])[["project_id", "rank", "complaints"]] \
        .reset_index(drop=True)


def comparable(month: str, data_from: str | None) -> bool:
    """Whether ``month`` has a complete year-earlier month: ``month − 12 ≥ data_from``.

    ``data_from`` None (no data at all) → nothing is comparable.
    """
    if data_from is None:
        return False
    return shift_month(month, -12) >= shift_month(data_from, 0)


def quarter_comparable(quarter: str, data_from: str | None) -> bool:
    """Whether all three months of ``quarter`` a year earlier lie inside the data."""
    return all(comparable(m, data_from) for m in quarter_months(quarter))


def _data_from(df: pd.DataFrame, data_from: str | None) -> str | None:
    if data_from is not None:
        return shift_month(data_from, 0)
    return min(df["month"]) if len(df) else None


def complaint_ladder(counts: pd.DataFrame, month: str, top_n: int = 50, *,
                     replace_manager_months: int = 2, replace_company_months: int = 3,
                     no_company=(), areas=None) -> pd.DataFrame:
    """The complaint ranking ladder of ``month`` (月度投诉排名通报).

    Parameters
    ----------
    counts : DataFrame
        ``project_id``, ``month`` ("YYYY-MM"), ``complaints``; one row per project
        and month (repeated rows are summed; a missing month counts as zero).
    month : str
        The month to publish, "YYYY-MM".
    top_n : int
        Size of the published list (setting ``ranking_top_n``, default 50).
    replace_manager_months, replace_company_months : int, keyword-only
        Months running in the list that lead to replacing the manager (2) and
        to starting to replace the company (3 or more).
    no_company : iterable, keyword-only
        Projects with no property company (业主自管 / 无物业): there is no manager or
        company to replace, so 2 months → 镇街督促整改 and 3 → 镇街落实兜底物业服务.
    areas : mapping or Series, keyword-only
        ``project_id → area`` (its city, for the 全市 lists): each area's list is ranked on its
        own, in one call, as one call per area would. Default: one list.

    Returns
    -------
    DataFrame
        One row per listed project: ``project_id``, ``rank``, ``complaints``,
        ``consecutive_months`` (calendar months in a row ending at ``month`` with
        the project in the list), ``actions`` (every consequence, heaviest first:
        always ``"notify"`` (通报), plus the replacement owed at this run length)
        and ``action`` (the heaviest), ordered by rank then id (by area first, with ``areas``).
    """
    if not 1 <= replace_manager_months <= replace_company_months:
        raise ValueError("need 1 ≤ replace_manager_months ≤ replace_company_months")
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    df = _normalise(counts, "project_id")
    month = shift_month(month, 0)
    listed = _listed(df, top_n, areas)  # every month's lists at once, each area's on its own
    current = listed[listed["month"] == month]
    ids_by_month = listed.groupby("month")["project_id"].agg(set).to_dict()
    run = pd.Series(1, index=current["project_id"].to_numpy(), dtype="int64")
    alive = set(run.index)
    back = month
    while alive:
        back = shift_month(back, -1)
        alive &= ids_by_month.get(back, set())
        run.loc[list(alive)] += 1
    consecutive = current["project_id"].map(run).astype("int64")
    bare = set(no_company)
    actions = []
    for pid, n in zip(current["project_id"], consecutive):
        owed = [NOTIFY]
        if n >= replace_company_months:
            owed.append(TOWNSHIP_TAKEOVER if pid in bare else REPLACE_COMPANY)
        elif n >= replace_manager_months:
            owed.append(TOWNSHIP_SUPERVISE if pid in bare else REPLACE_MANAGER)
        actions.append(_ordered(owed))
    return current.assign(consecutive_months=consecutive.to_numpy(), action=[heaviest(a) for a in actions],
                          actions=actions)[LADDER_COLUMNS].reset_index(drop=True)


def _listed(df: pd.DataFrame, top_n: int, areas) -> pd.DataFrame:
    """The rows listed in their month (and area): ranked ``top_n`` or better as :func:`top_list` ranks,
    with ``rank``; ordered by area, month, rank and id. Projects ``areas`` does not know are ranked
    together, as one more area."""
    df = df[df["complaints"] > 0]
    area = pd.Series(0, index=df.index) if areas is None else \
        df["project_id"].map(pd.Series(areas)).astype(object).fillna("")
    rank = df.groupby([area, df["month"]], sort=False)["complaints"] \
        .rank(method="min", ascending=False).astype("int64")
    out = df.assign(rank=rank, _area=area)[rank <= top_n]
    return out.sort_values(["_area", "month", "rank", "project_id"]).drop(columns="_area")


def _areas_of(towns, areas) -> pd.Series:
    """Each township's area (its county), indexed like ``towns``; one area when ``areas`` is None.
    The townships the mapping does not know are judged together, as one more area."""
    if areas is None:
        return pd.Series(0, index=towns)
    return pd.Series(areas).reindex(towns).astype(object).fillna("")


def _by_month(df: pd.DataFrame, towns) -> pd.DataFrame:
    """Complaints as townships × months (missing → 0), built once per ladder: a lookup per township
    and month was most of a province's overview (136 counties' ladders)."""
    return df.groupby(["township_id", "month"])["complaints"].sum().unstack(fill_value=0).reindex(towns, fill_value=0)


def _month_of(wide: pd.DataFrame, month: str) -> pd.Series:
    return (wide[month] if month in wide.columns else pd.Series(0, index=wide.index)).astype("int64")


def _yoy(wide: pd.DataFrame, month: str) -> pd.Series:
    """complaints(month) − complaints(month a year earlier), per township (missing → 0)."""
    return _month_of(wide, month) - _month_of(wide, shift_month(month, -12))


def township_ladder(counts: pd.DataFrame, month: str, *, talk_months: int = 3,
                    commitment_months: int = 2, data_from: str | None = None,
                    areas=None) -> pd.DataFrame:
    """The township accountability ladder of ``month`` (镇街同比上升问责).

    Parameters
    ----------
    counts : DataFrame
        ``township_id``, ``month`` ("YYYY-MM"), ``complaints``. Every township that
        appears anywhere in ``counts`` gets a row; missing months count as zero.
    month : str
        "YYYY-MM".
    talk_months, commitment_months : int, keyword-only
        A rise this many months running → collective talk (3); the largest rise of
        all townships this many months running → public commitment (2).
    data_from : str, keyword-only
        The first month of complete data (default: the earliest month in ``counts``).
        A month whose year-earlier month is before it is 不可比.
    areas : mapping or Series, keyword-only
        ``township_id → area`` (its county): townships are judged within their area only
        (the largest rise is the area's), so one call ranks every county of a province
        exactly as one call per county would. Default: all townships in one area.

    Returns
    -------
    DataFrame
        One row per township: ``township_id``, ``complaints``, ``last_year`` (same
        month a year earlier; NA when not comparable), ``yoy_change`` (the
        difference, NA when not comparable), ``yoy_pct`` (NaN where last year was 0
        or not comparable), ``comparable``, ``consecutive_rises`` (comparable months
        in a row ending at ``month`` with a rise), ``largest_rise`` (the largest rise
        of all townships, ties alike, in each of the last ``commitment_months``
        months, all comparable), ``actions`` — every consequence that applies,
        heaviest first: ``"collective_talk"`` (rose ``talk_months`` running),
        ``"public_commitment"`` (``largest_rise``), ``"reminder"`` (rose this month)
        — and ``action``, the heaviest (``"none"`` when none). Ordered by
        ``yoy_change`` descending (not comparable last), then id.
    """
    df = _normalise(counts, "township_id")
    month = shift_month(month, 0)
    start = _data_from(df, data_from)
    towns = sorted(df["township_id"].unique().tolist())
    if not towns:
        return pd.DataFrame(columns=TOWNSHIP_COLUMNS)
    ok = comparable(month, start)
    area = _areas_of(towns, areas)
    wide = _by_month(df, towns)
    change = _yoy(wide, month)
    now = _month_of(wide, month)
    last_year = now - change

    # runs of rises, every township at once: alive while it rose in each comparable month back
    alive = (change > 0) & ok
    rises = alive.astype("int64")
    back = month
    while alive.any():
        back = shift_month(back, -1)
        if not comparable(back, start):
            break
        alive &= _yoy(wide, back) > 0
        rises += alive.astype("int64")

    largest = pd.Series(ok, index=towns)
    for k in range(commitment_months):
        m = shift_month(month, -k)
        if not comparable(m, start):
            largest[:] = False
            break
        ch = change if k == 0 else _yoy(wide, m)
        largest &= (ch == ch.groupby(area).transform("max")) & (ch > 0)

    actions = [_ordered(([COLLECTIVE_TALK] if talk else []) + ([PUBLIC_COMMITMENT] if top else [])
                        + ([REMINDER] if rose else []))
               for talk, top, rose in zip((rises >= talk_months).to_numpy(), largest.to_numpy(),
                                          ((change > 0) & ok).to_numpy())]
    pct = (change / last_year.where(last_year != 0)).astype("float64") if ok else pd.Series(float("nan"), index=towns)
    na = pd.array([pd.NA] * len(towns), dtype="Int64")
    out = pd.DataFrame({
        "township_id": towns, "complaints": now.to_numpy(),
        "last_year": pd.array(last_year.to_numpy(), dtype="Int64") if ok else na,
        "yoy_change": pd.array(change.to_numpy(), dtype="Int64") if ok else na,
        "yoy_pct": pct.to_numpy(), "consecutive_rises": rises.to_numpy(),
        "largest_rise": largest.to_numpy(), "action": [heaviest(a) for a in actions],
        "comparable": ok, "actions": actions,
    })
    return out.sort_values(["yoy_change", "township_id"], ascending=[False, True], na_position="last") \
        .reset_index(drop=True)[TOWNSHIP_COLUMNS]


# --------------------------------------------------------------------------- quarters
def month_quarter(month: str) -> str:
    """``"2026-10"`` → ``"2026-Q4"``."""
    y, m = _parse(month)
    return f"{y:04d}-Q{(m - 1) // 3 + 1}"


def quarter_months(quarter: str) -> list[str]:
    """``"2026-Q4"`` → ``["2026-10", "2026-11", "2026-12"]``."""
    from policy.ratings import parse_quarter

    y, q = parse_quarter(quarter)
    first = f"{y:04d}-{3 * q - 2:02d}"
    return month_range(first, shift_month(first, 2))


def last_complete_quarter(month: str) -> str:
    """The latest quarter that has ended by the end of ``month`` (2026-12 → 2026-Q4, 2026-11 → 2026-Q3)."""
    y, m = _parse(month)
    return month_quarter(month) if m % 3 == 0 else month_quarter(shift_month(month, -(m % 3)))


def township_quarter_ladder(counts: pd.DataFrame, quarter: str, *, window: int = 4,
                            committee_times: int = 2, data_from: str | None = None,
                            scores: pd.DataFrame | None = None, areas=None) -> pd.DataFrame:
    """Quarterly last place of the townships (季度倒数表态发言).

    Last place is read, per quarter, from the stored assessment scores
    (考核成绩, 001 §3(6)) when that quarter has any: the lowest score is last
    (ties alike; nobody when all are equal). Where a quarter has no scores, the
    largest year-on-year rise of its complaints stands in (``basis``
    ``"complaints"``), and only when the quarter is comparable (all three
    year-earlier months inside the data); otherwise nobody is last that quarter.

    Parameters
    ----------
    counts : DataFrame
        ``township_id``, ``month`` ("YYYY-MM"), ``complaints``; missing months count as zero.
    quarter : str
        "YYYY-Qn".
    window : int, keyword-only
        Quarters, ending with ``quarter``, in which last places are counted (4: a rolling year).
    committee_times : int, keyword-only
        Last places in the window that move the statement to the party standing committee (2).
    data_from : str, keyword-only
        First month of complete complaint data (default: the earliest month in ``counts``).
    scores : DataFrame, keyword-only
        ``township_id``, ``quarter``, ``score`` (考核成绩; higher is better).
    areas : mapping or Series, keyword-only
        ``township_id → area`` (its county): last place is each area's own, read from the
        area's scores where it has any that quarter (so ``basis`` is per row). Default: one area.

    Returns
    -------
    DataFrame
        One row per township: ``township_id``, ``complaints`` (the quarter), ``last_year``
        (NA when not comparable), ``yoy_change`` (NA when not comparable), ``last_place``,
        ``times_last`` (last places in the window), ``action`` (heaviest) and ``actions``:
        ``"standing_committee"`` when last now and ``times_last`` ≥ ``committee_times``; else
        ``"executive_meeting"`` when last now. ``comparable`` (complaints of the quarter),
        ``basis`` (``"score"``, ``"complaints"`` or ``"not_comparable"``) and ``score``.
        Ordered by score ascending when scored, else ``yoy_change`` descending, then id.
    """
    from policy.ratings import quarters_back

    if window < 1 or committee_times < 1:
        raise ValueError("window and committee_times must be at least 1")
    df = _normalise(counts, "township_id")
    start = _data_from(df, data_from)
    sc = pd.DataFrame(columns=["township_id", "quarter", "score"]) if scores is None else scores
    towns = sorted(set(df["township_id"].unique().tolist()) | set(sc["township_id"].tolist()))
    if not towns:
        return pd.DataFrame(columns=QUARTER_COLUMNS)
    wide = _by_month(df, towns)
    area = _areas_of(towns, areas)

    def total(months: list[str]) -> pd.Series:
        return wide.reindex(columns=months, fill_value=0).sum(axis=1).astype("int64")

    def quarter_change(q: str) -> tuple[pd.Series, pd.Series]:
        months = quarter_months(q)
        now = total(months)
        return now, now - total([shift_month(m, -12) for m in months])

    def scored(q: str) -> pd.Series:
        """The quarter's scores per township (NaN: none), a township's last stored score if several."""
        rows = sc[sc["quarter"] == q]
        s = pd.Series(pd.to_numeric(rows["score"]).to_numpy(), index=rows["township_id"].to_numpy(),
                      dtype="float64")
        return s.groupby(level=0).last().reindex(towns)

    def lowest(values: pd.Series) -> pd.Series:
        """Each area's lowest (or, negated, highest) value; nobody where the area's values are all equal."""
        by_area = values.groupby(area)
        return (values == by_area.transform("min")) & (by_area.transform("nunique") > 1)

    def last_of(q: str) -> tuple[pd.Series, pd.Series]:
        """Who is last in ``q`` (per township) and on what basis (per township: its area's)."""
        s = scored(q)
        has_scores = s.notna().groupby(area).transform("any")
        if quarter_comparable(q, start):
            by_complaints, fallback = lowest(-quarter_change(q)[1]), BASIS_COMPLAINTS
        else:
            by_complaints, fallback = pd.Series(False, index=towns), BASIS_NONE
        last = (lowest(s) & has_scores) | (by_complaints & ~has_scores)
        return last, has_scores.map({True: BASIS_SCORE, False: fallback})

    now, change = quarter_change(quarter)
    ok = quarter_comparable(quarter, start)
    last_now, basis = last_of(quarter)
    times = pd.Series(0, index=towns, dtype="int64")
    for q in quarters_back(quarter, window):
        times += (last_now if q == quarter else last_of(q)[0]).astype("int64")
    actions = [((STANDING_COMMITTEE,) if n >= committee_times else (EXECUTIVE_MEETING,)) if last else ()
               for last, n in zip(last_now.to_numpy(), times.to_numpy())]
    na = pd.array([pd.NA] * len(towns), dtype="Int64")
    out = pd.DataFrame({
        "township_id": towns, "complaints": now.to_numpy(),
        "last_year": pd.array((now - change).to_numpy(), dtype="Int64") if ok else na,
        "yoy_change": pd.array(change.to_numpy(), dtype="Int64") if ok else na,
        "last_place": last_now.to_numpy(), "times_last": times.to_numpy(),
        "action": [heaviest(a) for a in actions], "comparable": ok, "basis": basis.to_numpy(),
        "score": scored(quarter).to_numpy(), "actions": actions,
    })
    if (basis == BASIS_SCORE).all():
        out = out.sort_values(["score", "township_id"], ascending=[True, True], na_position="last")
    else:
        out = out.sort_values(["yoy_change", "township_id"], ascending=[False, True], na_position="last")
    return out.reset_index(drop=True)[QUARTER_COLUMNS]
