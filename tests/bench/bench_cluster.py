"""Concurrency: 20 sessions open the overview and change the colour mode, with 1 and with 3 processes behind nginx.

    PYTHONPATH=. .venv/bin/python tests/bench/bench_cluster.py [--sessions 20] [--processes 1,3] [--db URL] [--user U]

Each session is what a browser tab does to the server, without a browser: it loads ``/`` through
nginx (which pins it with the routing cookie), opens Streamlit's WebSocket with that cookie and a
login-session cookie of the county user ``leader`` (as a signed-in tab after a reload), asks for a
run of the overview and reads the protobuf messages until the run that delivered the folium map
has finished ("time to map": the map's data has reached the client; drawing it is the browser's
work and not measured). Then it changes the colour mode (the home page's selectbox ``home_mode``)
and waits for the new map the same way. All sessions start together.

Printed per configuration: p50/p95 of time to map and of the colour change, the time until all
sessions have their map, CPU seconds the Streamlit processes spent (``/proc/<pid>/stat``) in
total and per session, and the ratio 1 process : N processes. Each process first serves one
township user (imports done, the county's caches still cold); then two rounds of 20 county users:
"cold" (the first sessions in each process compute the county's figures, once per process) and
"warm" (the same processes again, figures cached: only the per-session work remains). A headless browser per session would cost more CPU on this
machine than the server it measures, which is why the client speaks the protocol itself.
No thresholds: this prints, it does not judge.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from cluster import ROUTE_COOKIE, Cluster  # noqa: E402

COLOUR_LABEL = "着色方式"  # ui/text.py colour_mode
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def login_tokens(url: str, username: str, n: int) -> list[str]:
    from data import auth, db

    engine = db.make_engine(url)
    account = auth.get_account(engine, username)
    tokens = []
    for _ in range(n):
        opened = auth.open_session(engine, account)
        if opened is None:
            raise SystemExit("session_hours is 0 in this database: no login sessions to resume")
        tokens.append(opened[0])
    return tokens


class Session:
    """One tab: routing cookie, WebSocket, runs; times from ``t0``."""

    def __init__(self, base: str, token: str, route: str | None = None) -> None:
        self.base = base
        self.token = token
        self.route = route
        self.page_hash = ""
        self.selectbox = None  # (widget id, options)
        self.map_digest = None  # the last map's arguments (JSON): the colour change must change its legend

    def _get_route(self) -> str:
        req = urllib.request.Request(self.base + "/")
        if self.route:
            req.add_header("Cookie", f"{ROUTE_COOKIE}={self.route}")
        with urllib.request.urlopen(req, timeout=120) as resp:
            resp.read()
            for header in resp.headers.get_all("Set-Cookie") or []:
                if header.startswith(ROUTE_COOKIE + "="):
                    return header.split("=", 1)[1].split(";", 1)[0]
        raise RuntimeError("nginx set no routing cookie")

    async def _run_until_map(self, ws, client_state) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        back = BackMsg()
        back.rerun_script.CopyFrom(client_state)
        await ws.send(back.SerializeToString())
        seen_map = False
        while True:
            msg = ForwardMsg.FromString(await ws.recv())
            kind = msg.WhichOneof("type")
            if kind == "navigation" and msg.navigation.page_script_hash:
                self.page_hash = msg.navigation.page_script_hash
            elif kind == "new_session" and msg.new_session.page_script_hash:
                self.page_hash = msg.new_session.page_script_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                which = element.WhichOneof("type")
                if which == "component_instance" and "folium" in element.component_instance.component_name:
                    seen_map = True
                    self.map_digest = element.component_instance.json_args
                elif which == "selectbox" and element.selectbox.label == COLOUR_LABEL:
                    self.selectbox = (element.selectbox.id, list(element.selectbox.options))
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise RuntimeError("the script failed to compile")
                if seen_map and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    return

    async def run(self, t0: float) -> dict:
        import websockets
        from streamlit.proto.ClientState_pb2 import ClientState

        self.route = await asyncio.to_thread(self._get_route)
        uri = self.base.replace("http://", "ws://") + "/_stcore/stream"
        cookie = f"{ROUTE_COOKIE}={self.route}; wyjg_session={self.token}"
        async with websockets.connect(uri, additional_headers={"Cookie": cookie}, subprotocols=["streamlit"],
                                      max_size=None, open_timeout=120, ping_interval=None) as ws:
            await self._run_until_map(ws, ClientState())
            t_map = time.perf_counter() - t0
            first_map = self.map_digest
            if self.selectbox is None:
                raise RuntimeError("no colour-mode selectbox on the page")
            widget_id, options = self.selectbox
            state = ClientState(page_script_hash=self.page_hash)
            widget = state.widget_states.widgets.add()
            widget.id = widget_id
            widget.string_value = options[1]
            t1 = time.perf_counter()
            await self._run_until_map(ws, state)
            t_mode = time.perf_counter() - t1
            # the new map's legend names the new mode (json_args escape non-ASCII: compare decoded)
            if options[1] not in str(json.loads(self.map_digest)) or options[1] in str(json.loads(first_map)):
                raise RuntimeError("the colour change did not reach the map")
        return {"route": self.route, "t_map": t_map, "t_mode": t_mode, "map_bytes": len(first_map)}


async def _sessions(base: str, tokens: list[str], routes: list[str | None] | None = None) -> tuple[list[dict], float]:
    routes = routes or [None] * len(tokens)
    t0 = time.perf_counter()
    results = await asyncio.gather(*(Session(base, tok, route).run(t0) for tok, route in zip(tokens, routes)))
    return list(results), time.perf_counter() - t0


ROUNDS = ("cold", "warm")  # the county's caches: computed by the sessions themselves / already there


def _round(cluster: Cluster, db_url: str, sessions: int, user: str = "leader") -> dict:
    tokens = login_tokens(db_url, user, sessions)
    pids = {port: cluster.pid_of(port) for port in cluster.ports}
    before = {port: cpu_seconds(pid) for port, pid in pids.items()}
    load_before, client_before = os.getloadavg()[0], time.process_time()
    results, wall = asyncio.run(_sessions(cluster.url, tokens))
    cpu = {port: cpu_seconds(pid) - before[port] for port, pid in pids.items()}
    client_cpu, load_after = time.process_time() - client_before, os.getloadavg()[0]
    t_map = [r["t_map"] for r in results]
    t_mode = [r["t_mode"] for r in results]
    return {"all_maps": max(t_map), "wall": wall,
            "map_p50": statistics.median(t_map), "map_p95": pct(t_map, 0.95),
            "mode_p50": statistics.median(t_mode), "mode_p95": pct(t_mode, 0.95),
            "cpu_total": sum(cpu.values()), "cpu_per_session": sum(cpu.values()) / len(results),
            "map_mb": max(r["map_bytes"] for r in results) / 1e6,
            "rss": [rss_mb(pid) for pid in pids.values()],
            "sessions_per_process": [sum(1 for r in results if r["route"] == str(port)) for port in cluster.ports],
            "client_cpu": client_cpu, "load": (load_before, load_after)}


def measure(processes: int, db_url: str, sessions: int, workdir: Path, user: str = "leader") -> dict:
    """Fresh processes; one township user each (imports done); then two rounds of ``user`` (a county user)."""
    from sqlalchemy import text

    from data import db

    cluster = Cluster(port=_free_port(), ports=[_free_port() for _ in range(processes)], database_url=db_url,
                      workdir=workdir / f"p{processes}", debug_headers=False)
    cluster.start(timeout_s=300)
    try:
        started = time.perf_counter() - cluster.started_at  # streamlit start → healthy through nginx
        township_user = "jinxiang_jd"
        with db.make_engine(db_url).connect() as conn:
            if conn.execute(text("SELECT count(*) FROM app_user WHERE username = :u"),
                            {"u": township_user}).scalar_one() == 0:
                township_user = user
        warm = login_tokens(db_url, township_user, processes)
        warm_results, _ = asyncio.run(_sessions(cluster.url, warm, [str(p) for p in cluster.ports]))
        rounds = {name: _round(cluster, db_url, sessions, user) for name in ROUNDS}
    finally:
        cluster.stop()
    return {"processes": processes, "started": started, "first_run": max(r["t_map"] for r in warm_results),
            "rounds": rounds}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--processes", default="1,3", help="configurations to compare, e.g. 1,2,3")
    parser.add_argument("--db", default=os.environ.get("BENCH_DB_URL", ""),
                        help="database URL; 'postgres' = a throwaway PostgreSQL+PostGIS server "
                             "(scripts/pg_test_server.py); default: a fresh demo county in a temporary SQLite file")
    parser.add_argument("--user", default="leader",
                        help="the signed-in user of the sessions (a province demo's county user: x370828_leader)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    server = None
    if args.db == "postgres":
        import pg_test_server

        server = pg_test_server.PgTestServer()
        databases = pg_test_server.PostgisDatabases(server.start())
        databases.ensure_template()
        db_url = databases.create()
    else:
        db_url = args.db or f"sqlite:///{workdir / 'demo.sqlite'}"
    if not args.db or server:
        import subprocess

        subprocess.run([sys.executable, "-m", "data", "demo"], cwd=ROOT, env=dict(os.environ, DATABASE_URL=db_url),
                       check=True, capture_output=True)
    print(f"bench_cluster: {args.sessions} sessions ({args.user}, overview + colour change), "
          f"{os.cpu_count()} CPUs, database {db_url.split('@')[-1]}")
    rows = []
    for n in [int(v) for v in args.processes.split(",")]:
        row = measure(n, db_url, args.sessions, workdir, args.user)
        rows.append(row)
        print(f"  {n} process(es): healthy {row['started']:.1f} s after start; a fresh process's first map "
              f"(township user) {row['first_run']:.2f} s; county map message "
              f"{row['rounds']['cold']['map_mb']:.2f} MB")
        for name, r in row["rounds"].items():
            print(f"    {name} caches: all {args.sessions} maps after {r['all_maps']:.2f} s | "
                  f"time to map p50 {r['map_p50']:.2f} s p95 {r['map_p95']:.2f} s | "
                  f"colour change p50 {r['mode_p50']:.2f} s p95 {r['mode_p95']:.2f} s | "
                  f"CPU {r['cpu_total']:.1f} s in {r['wall']:.1f} s = {r['cpu_per_session']:.2f} s/session | "
                  f"sessions per process {r['sessions_per_process']} | "
                  f"memory {', '.join(f'{v:.0f}' for v in r['rss'])} MB | "
                  f"client CPU {r['client_cpu']:.1f} s | load average {r['load'][0]:.1f} → {r['load'][1]:.1f}",
                  flush=True)
    if server:
        server.stop()
    base = rows[0]
    for row in rows[1:]:
        for name in ROUNDS:
            b, r = base["rounds"][name], row["rounds"][name]
            print(f"  ratio {base['processes']}:{row['processes']} processes, {name} caches: all maps "
                  f"{b['all_maps'] / r['all_maps']:.2f}x, time to map p50 {b['map_p50'] / r['map_p50']:.2f}x "
                  f"p95 {b['map_p95'] / r['map_p95']:.2f}x, colour change p50 {b['mode_p50'] / r['mode_p50']:.2f}x "
                  f"p95 {b['mode_p95'] / r['mode_p95']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
