"""Benchmark: the 总览 page and its map, our pipeline against a naive folium build, in one process.

Prints, for the demo county and then for 5,000 compounds / 500,000 complaints
made by the demo generator (``build_demo(compounds=5000, complaints=500000)``):

map (library level, the same layers the page draws at county scope)
  cold     database → the map as st_folium sends it, nothing cached;
  warm     the same from the cached, serialised layers (what a rerun costs once
           ``st.cache_data`` holds the packed/GeoJSON strings);
  payload  bytes st_folium sends for the map (script, header and html, JSON-encoded);
  and the same for a naive build — ``folium.GeoJson`` of the raw GeoDataFrames
  (townships, compounds) plus folium's ``HeatMap`` of the raw complaint points, put
  through the same st_folium steps — with the ratio naive/ours. The naive map has
  fewer layers than ours (no county, community or grid outlines, no labels, no
  legends), so the ratios are conservative.
page (the real ``pages/home.py`` through ``streamlit.testing.v1.AppTest``, signed in as
  the county leader)
  cold     first run with every Streamlit cache cleared (KPIs, ladders, lists, layers);
  warm     a rerun (a widget change elsewhere on the page), with the script's bytecode
           kept between runs as the server's runtime keeps it (AppTest recompiles the
           script on every run otherwise);
  payload  bytes of the map component's arguments (what st_folium sends to the browser).
The figures of ``data.queries.overview.overview`` (KPIs, ladders, lists) are timed on
their own too, as they are most of a cold page. ``record, listed``: the compound record
of a top-list compound with the month's county ladder kept, against each record
reading 36 months of county complaints itself.

Not a test: no thresholds asserted (shared, noisy machines); each target is marked
ok/MISSED. Run ``make bench`` or
``python tests/bench/bench_overview.py [--demo-only] [--db URL] [--keep DIR] [--large C,N]``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import folium  # noqa: E402
from folium.plugins import HeatMap  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from data import db, queries  # noqa: E402
from data.demo import build_demo  # noqa: E402
from data.queries.overview import overview  # noqa: E402
from data.schema import Complaint  # noqa: E402
from data.scope import Period, Scope  # noqa: E402
from layers import geojson as gj  # noqa: E402
from layers.boundaries import build_boundary_layer, build_label_layer, label_rows  # noqa: E402
from layers.colours import colour_compounds  # noqa: E402
from layers.compounds import build_compound_layer  # noqa: E402
from layers.heat import build_heat_layer, heat_cells, heat_frame  # noqa: E402
from layers.legend import build_legend  # noqa: E402
from layers.maps import make_map  # noqa: E402
from layers.packed import PACKED_MARK, pack_features  # noqa: E402

TARGET_WARM_S, TARGET_MB, TARGET_RATIO = 0.3, 1.5, 5.0
# the simplification tolerances of ui/cache.py (metres)
TOLERANCE = {"county": 30, "township": 20, "community": 10, "grid": 5, "compound": 2}


def _period(engine) -> Period:
    """The page's default period: the last 12 months with complaints."""
    months = queries.complaint_months(engine)
    return Period.months(months[max(0, len(months) - 12)], months[-1])


def _outline(frame, level: str) -> str:
    return gj.to_geojson(frame, properties=["name"], text=("name",), simplify_tolerance_m=TOLERANCE[level])


def load_layers(engine, period: Period) -> dict:
    """Everything the overview map reads and serialises (what the page caches), county scope."""
    scope = Scope()
    county, towns = queries.county(engine), queries.townships(engine, scope)
    comms, grids = queries.communities(engine, scope), queries.grids(engine, scope)
    frame = queries.compounds(engine, scope)
    counts = queries.complaint_counts(engine, scope, period, by="compound").set_index("compound")["count"]
    complaints = frame["id"].map(counts).fillna(0)
    frame = frame.assign(complaints=complaints,
                         complaint_density=complaints / frame["households"].where(frame["households"] > 0)
                         * 100 / period.month_count())
    fills, entries, title = colour_compounds(frame, "complaints")
    heat_json, heat_entries = heat_cells(heat_frame(queries.complaint_point_counts(engine, scope, period)))
    return {
        "county": _outline(county, "county"), "towns": _outline(towns, "township"),
        "comms": _outline(comms, "community"), "grids": _outline(grids, "grid"),
        "town_labels": label_rows(towns), "comm_labels": label_rows(comms),
        "compounds": pack_features(frame.assign(_fill=fills), properties=["id", "name", "_fill"],
                                   text=("name",), lookup=("_fill",),
                                   simplify_tolerance_m=TOLERANCE["compound"]),
        "legend": (title, entries), "heat": heat_json, "heat_legend": heat_entries,
        "bounds": tuple(county.total_bounds if len(county) else towns.total_bounds),
    }


def sent(m: folium.Map) -> str:
    """What st_folium sends for ``m``: it renders the map, then cuts out script, header and html."""
    from streamlit_folium import _get_header, _get_html, _get_map_string

    m.get_root().render()
    m.render()
    html, header = _get_html(m), _get_header(m)
    return json.dumps({"script": _get_map_string(m), "header": header, "html": html})


def build_map(layers: dict) -> str:
    """The overview map as pages/home.py assembles it at county scope, as st_folium sends it."""
    m = make_map(layers["bounds"], height_px=620)
    build_boundary_layer(layers["county"], level="county", name="县界").add_to(m)
    build_boundary_layer(layers["towns"], level="township", name="镇街边界").add_to(m)
    build_boundary_layer(layers["comms"], level="community", name="社区边界", show=False).add_to(m)
    build_boundary_layer(layers["grids"], level="grid", name="网格边界", show=False).add_to(m)
    build_heat_layer(layers["heat"], name="诉求热力").add_to(m)
    build_legend("诉求热力", layers["heat_legend"], position="bottomleft").add_to(m)
    build_compound_layer(layers["compounds"], name="住宅小区").add_to(m)
    build_label_layer(layers["town_labels"], name="镇街名称", m=m).add_to(m)
    build_label_layer(layers["comm_labels"], name="社区名称", level="community", size_px=11, m=m).add_to(m)
    build_legend(*layers["legend"]).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return sent(m)


def naive(engine, period: Period) -> str:
    """The obvious build: raw frames straight into folium, raw points into HeatMap."""
    towns = queries.townships(engine, Scope())
    frame = queries.compounds(engine, Scope())
    with Session(engine) as s:
        points = s.execute(select(Complaint.lat, Complaint.lon).where(
            Complaint.received_at >= period.start_dt, Complaint.received_at < period.end_dt,
            Complaint.lat.is_not(None))).all()
    minx, miny, maxx, maxy = towns.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=11, tiles=None)
    folium.GeoJson(towns.to_json(default=str)).add_to(m)
    folium.GeoJson(frame.to_json(default=str), tooltip=folium.GeoJsonTooltip(["name"])).add_to(m)
    HeatMap([[lat, lon] for lat, lon in points]).add_to(m)
    return sent(m)


def timed(fn, *args, repeat: int = 1):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


# --------------------------------------------------------------------------- the real page
def page_figures(url: str, repeat: int = 3) -> dict:
    """Cold and warm runs of pages/home.py under AppTest, and the map component's payload."""
    import streamlit as st
    import streamlit.testing.v1.local_script_runner as runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import AppTest

    os.environ["DATABASE_URL"] = url
    shared = ScriptCache()
    runner.ScriptCache = lambda: shared  # the server keeps compiled pages; AppTest would not

    def run_once(at):
        t0 = time.perf_counter()
        at.run()
        took = time.perf_counter() - t0
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])
        return took

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    at.session_state["user"] = "leader"
    run_once(at)  # first ever run: imports, migrations check, static assets
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    at.session_state["user"] = "leader"
    cold = run_once(at)
    warm = statistics.median(run_once(at) for _ in range(repeat))
    maps = [el for el in at.main if getattr(el, "type", "") == "component_instance"]
    script = json.loads(maps[0].proto.json_args)["script"].replace("<\\/", "</")
    payload = len(maps[0].proto.json_args.encode())
    start = script.find(PACKED_MARK)  # the compounds: check they are all there, packed
    packed = json.JSONDecoder().raw_decode(script, start)[0] if start >= 0 else {"props": []}
    return {"cold": cold, "warm": warm, "payload": payload, "compounds": len(packed["props"]),
            "outlines": script.count('"type":"Feature"')}


def record_figures(engine, period: Period, n: int = 5) -> dict:
    """Median seconds of the record of a compound in the month's top list: with the county ladder
    computed once and kept (as ``ui.cache.load_county_ladder`` does), and with each record
    reading its own 36 months (``ladder=None``)."""
    from data.queries.complaint_stats import county_ladder
    from data.queries.record import compound_record

    month = period.last_month().label()
    kept = county_ladder(engine, month)
    ids = [int(i) for i in kept["project_id"].head(n)]
    with_kept = statistics.median(timed(lambda i=i: compound_record(engine, Scope(), i, period, ladder=kept))[0]
                                  for i in ids)
    own = statistics.median(timed(lambda i=i: compound_record(engine, Scope(), i, period))[0] for i in ids)
    return {"kept": with_kept, "own": own, "n": len(ids)}


def _mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def run(url: str, label: str) -> None:
    engine = db.make_engine(url)
    period = _period(engine)
    n_compounds = len(queries.compounds(engine, Scope()).index)
    with Session(engine) as s:
        n_complaints = s.query(Complaint).count()
    print(f"\n## {label}: {n_compounds:,} compounds, {n_complaints:,} complaints; period {period.label()}",
          flush=True)

    kpi_t, _ = timed(overview, engine, Scope(), period)
    cold, html = timed(lambda: build_map(load_layers(engine, period)))
    layers = load_layers(engine, period)
    warm, html = timed(build_map, layers, repeat=5)
    naive_cold, naive_html = timed(naive, engine, period)
    naive_warm, _ = timed(naive, engine, period)
    ours_mb, naive_mb = len(html.encode()) / 1e6, len(naive_html.encode()) / 1e6
    page = page_figures(url)
    page_mb = page["payload"] / 1e6

    print(f"{'':30}{'ours':>10}{'naive':>10}{'naive/ours':>12}")
    print(f"{'map cold build (s)':30}{cold:10.3f}{naive_cold:10.3f}{naive_cold / cold:12.1f}")
    print(f"{'map warm rebuild (s)':30}{warm:10.3f}{naive_warm:10.3f}{naive_warm / warm:12.1f}")
    print(f"{'map payload (MB)':30}{ours_mb:10.2f}{naive_mb:10.2f}{naive_mb / ours_mb:12.1f}")
    print(f"{'overview figures, cold (s)':30}{kpi_t:10.3f}")
    print(f"{'page cold run (s)':30}{page['cold']:10.3f}{'':10}{naive_cold / page['cold']:12.1f}")
    print(f"{'page warm rerun (s)':30}{page['warm']:10.3f}{'':10}{naive_warm / page['warm']:12.1f}")
    print(f"{'page map payload (MB)':30}{page_mb:10.2f}{'':10}{naive_mb / page_mb:12.1f}"
          f"   ({page['compounds']:,} compounds packed, {page['outlines']:,} outline features)")
    rec = record_figures(engine, period)
    print(f"{'record, listed (s)':30}{rec['kept']:10.3f}{rec['own']:10.3f}{rec['own'] / rec['kept']:12.1f}"
          f"   (next {rec['n']} listed compounds; county ladder kept vs each record reading 36 months)")
    worst_warm, worst_mb = max(warm, page["warm"]), max(ours_mb, page_mb)
    print(f"targets: warm ≤ {TARGET_WARM_S} s [{_mark(worst_warm <= TARGET_WARM_S)}], "
          f"payload ≤ {TARGET_MB} MB [{_mark(worst_mb <= TARGET_MB)}], "
          f"≥ {TARGET_RATIO:.0f}× better than naive: warm [{_mark(naive_warm / worst_warm >= TARGET_RATIO)}], "
          f"payload [{_mark(naive_mb / worst_mb >= TARGET_RATIO)}]", flush=True)
    engine.dispose()


# the large run's sizes; ``--large C,N`` changes them (small sizes: a quick check that the bench still runs)
LARGE = {"compounds": 5000, "complaints": 500_000}


def large_sizes(text: str) -> dict:
    """``"5000,500000"`` → the generator's keyword sizes (argparse ``type=``)."""
    try:
        compounds, complaints = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("expected COMPOUNDS,COMPLAINTS, e.g. 5000,500000") from None
    return {"compounds": compounds, "complaints": complaints}


def large_label(sizes: dict) -> str:
    return f"{sizes['compounds']:,} compounds / {sizes['complaints']:,} complaints"


def demo_database(url: str, name: str, **sizes) -> str:
    """Migrate the database at ``url`` and fill it with the demo generator (``sizes`` as ``build_demo``
    takes them) unless it holds data already; the one generator every bench of the overview uses."""
    engine = db.make_engine(url)
    db.migrate(engine)
    if db.is_empty(engine):
        t0 = time.perf_counter()
        build_demo(engine, **sizes)
        print(f"(built {name} {sizes or ''} in {time.perf_counter() - t0:.1f} s)", flush=True)
    engine.dispose()
    return url


def _demo_db(path: Path, **sizes) -> str:
    return demo_database(f"sqlite:///{path}", path.name, **sizes)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="benchmark this database instead of the demo sizes")
    ap.add_argument("--demo-only", action="store_true", help="skip 5,000 compounds / 500,000 complaints")
    ap.add_argument("--keep", metavar="DIR", help="build (or reuse) the demo databases in DIR")
    ap.add_argument("--large", type=large_sizes, default=LARGE, metavar="C,N",
                    help="compounds and complaints of the large run (default 5000,500000)")
    args = ap.parse_args()
    if args.db:
        run(args.db, args.db)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(args.keep) if args.keep else Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        run(_demo_db(where / "demo.sqlite"), "demo county")
        if not args.demo_only:
            run(_demo_db(where / f"large_{args.large['compounds']}_{args.large['complaints']}.sqlite",
                         **args.large), large_label(args.large))
    return 0


if __name__ == "__main__":
    sys.exit(main())
