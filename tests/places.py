"""Small hand-made places for storage tests: townships with one community each."""
from __future__ import annotations

from shapely.geometry import box
from sqlalchemy.orm import Session

from data.schema import Community, Township


def two_townships(s: Session) -> list[tuple[int, int]]:
    """镇1 and 镇2, 0.1° squares side by side, each with one community covering it: ``[(township_id, community_id)]``."""
    out = []
    for i in (1, 2):
        t = Township(code=f"T{i}", name=f"镇{i}", kind="镇", geometry=box(116 + i, 35, 116.1 + i, 35.1))
        s.add(t)
        s.flush()
        c = Community(code=f"C{i}", township_id=t.id, name=f"社区{i}", geometry=t.geometry)
        s.add(c)
        s.flush()
        out.append((t.id, c.id))
    return out


def small_city(folder) -> str:
    """URL of a small city demo (济宁市, 11 counties, 3 compounds and 10 complaints each) built in ``folder``."""
    from data import db
    from data.demo import build_demo

    url = f"sqlite:///{folder / 'city.sqlite'}"
    engine = db.make_engine(url)
    db.migrate(engine)
    build_demo(engine, scale="city", seed=3, compounds_per_county=3, complaints_per_county=10)
    engine.dispose()
    return url
