"""Static maps for documents: drawn on the server with matplotlib, offline, no tiles.

A :class:`StaticMap` collects layers (GeoDataFrames in WGS-84, straight from
the same ``data.queries`` reads the pages draw), projects them to the
county's Gauss–Krüger zone so the scale bar is true in metres, and renders
PNG, SVG or PDF with a legend, a metric scale bar, a north arrow and, for
synthetic data, the 演示数据（合成） mark. Text is set in Noto Sans CJK
(Debian ``fonts-noto-cjk``) found through matplotlib's font manager; without
a CJK font the map still renders (Chinese then shows as boxes) and says so
once in the log.

Rendering is cached by the map's inputs (geometry WKB, values, styles,
size, format): :func:`render` returns the stored bytes when nothing that is
drawn changed — in memory, and on disk under ``MAP_CACHE_DIR`` (default
``var/map_cache``) so a second briefing of the month is quick after a restart.
"""
from __future__ import annotations

import hashlib
import io
import logging
import math
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # no display on the server
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Polygon as MplPolygon, Rectangle  # noqa: E402

from geo.projection import metric_crs  # noqa: E402

log = logging.getLogger(__name__)

SYNTHETIC_MARK = "演示数据（合成）"
CJK_CANDIDATES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
                  "Source Han Sans SC", "SimHei", "Microsoft YaHei", "Droid Sans Fallback")
# ColorBrewer: YlOrRd for counts (more is darker red), RdBu diverging for change (rise red, fall blue)
SEQUENTIAL = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
DIVERGING = ("#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b")
NO_DATA = "#d9d9d9"
FORMATS = ("png", "svg", "pdf")
_MEMORY: OrderedDict[str, bytes] = OrderedDict()
_MEMORY_MAX = 64
DISK_MAX = 500
stats = {"hits": 0, "renders": 0}


def cjk_font() -> str | None:
    """The first installed CJK font family of :data:`CJK_CANDIDATES`, else None."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_CANDIDATES:
        if name in installed:
            return name
    log.warning("no CJK font found (install fonts-noto-cjk): map text will not show Chinese")
    return None


@dataclass
class _Layer:
    kind: str                     # polygons | outline | points | lines
    frame: gpd.GeoDataFrame
    face: object = "none"         # colour or list of colours (one per row)
    edge: str = "#555555"
    width: float = 0.5
    size: float = 12
    marker: str = "o"
    alpha: float = 1.0
    label: str | None = None      # legend entry of the layer (None: no entry)
    labels: str | None = None     # column whose text is written at each feature
    zorder: int = 1


@dataclass
class StaticMap:
    """One map: layers in drawing order, legend entries, title and marks.

    ``synthetic`` adds the 演示数据（合成） mark; ``width_cm``/``height_cm`` are
    the size on the page (A4 text block is 15.6 cm wide).
    """

    title: str = ""
    synthetic: bool = False
    width_cm: float = 15.5
    height_cm: float = 12.0
    legend_title: str | None = None
    layers: list[_Layer] = field(default_factory=list)
    entries: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, colour, label)
    note: str | None = None

    # ------------------------------------------------------------------ layers
    def _add(self, kind: str, frame, **style) -> "StaticMap":
        if frame is None or len(frame) == 0:
            return self
        keep = (frame.geometry.notna() & ~frame.geometry.is_empty).to_numpy()
        frame = frame[keep]
        if isinstance(style.get("face"), list):  # one colour per row: keep the drawn rows' colours
            style["face"] = [f for f, k in zip(style["face"], keep) if k]
        if len(frame):
            self.layers.append(_Layer(kind, frame, zorder=len(self.layers) + 1, **style))
        return self

    def outline(self, frame, *, colour: str = "#444444", width: float = 1.0, label: str | None = None,
                labels: str | None = None) -> "StaticMap":
        """Boundaries drawn as lines (county, townships, communities)."""
        self._add("outline", frame, edge=colour, width=width, label=label, labels=labels)
        if label:
            self.entries.append(("line", colour, label))
        return self

    def polygons(self, frame, *, face="#9ecae1", edge: str = "#555555", width: float = 0.3, alpha: float = 1.0,
                 label: str | None = None, labels: str | None = None) -> "StaticMap":
        """Filled polygons; ``face`` one colour or one per row (see :func:`classify`)."""
        if not isinstance(face, str):
            face = list(face)
        self._add("polygons", frame, face=face, edge=edge, width=width, alpha=alpha, label=label, labels=labels)
        if label and isinstance(face, str):
            self.entries.append(("patch", face, label))
        return self

    def points(self, frame, *, colour: str = "#d7301f", size: float = 30, marker: str = "o",
               label: str | None = None, labels: str | None = None) -> "StaticMap":
        self._add("points", frame, face=colour, size=size, marker=marker, label=label, labels=labels)
        if label:
            self.entries.append((f"marker{marker}", colour, label))
        return self

    def lines(self, frame, *, colour: str = "#2171b5", width: float = 1.2, label: str | None = None
              ) -> "StaticMap":
        """Assignment lines or walking routes."""
        self._add("lines", frame, edge=colour, width=width, label=label)
        if label:
            self.entries.append(("line", colour, label))
        return self

    def legend(self, entries: list[tuple[str, str]], *, title: str | None = None) -> "StaticMap":
        """Class entries ``(colour, label)`` (as :func:`classify` returns) under ``title``."""
        self.legend_title = title or self.legend_title
        self.entries.extend(("patch", colour, label) for colour, label in entries)
        return self

    # ------------------------------------------------------------------ cache key
    def key(self, fmt: str, dpi: int) -> str:
        """SHA-256 of everything drawn: a changed geometry, colour or word gives another key."""
        h = hashlib.sha256()
        h.update(repr((self.title, self.synthetic, self.width_cm, self.height_cm, self.legend_title,
                       self.entries, self.note, fmt, dpi, _VERSION)).encode())
        for layer in self.layers:
            h.update(repr((layer.kind, layer.edge, layer.width, layer.size, layer.marker, layer.alpha,
                           layer.label, layer.labels, layer.zorder)).encode())
            h.update(repr(layer.face).encode())
            for wkb in layer.frame.geometry.to_wkb():
                h.update(wkb)
            if layer.labels:
                h.update("\x1f".join(map(str, layer.frame[layer.labels].tolist())).encode())
        return h.hexdigest()


_VERSION = 4  # bump when the drawing changes, so cached maps are redrawn


def classify(values: pd.Series, *, k: int = 5, diverging: bool = False, unit: str = "",
             percent: bool = False) -> tuple[list[str], list[tuple[str, str]]]:
    """Colours per value and legend entries.

    Counts: quantile classes of the positive values (YlOrRd), 0 and unknown grey.
    ``diverging``: change around 0 (falls blue, rises red, classes symmetric by the
    largest magnitude); unknown (no year-earlier data) grey, labelled 无可比数据.
    """
    from data.documents.numbers import num, pct

    v = pd.to_numeric(values, errors="coerce")
    fmt = (lambda x: pct(x, signed=True)) if percent else (lambda x: num(x, unit))
    if diverging:
        top = float(np.nanmax(np.abs(v))) if v.notna().any() else 0.0
        top = top or 1.0
        edges = [-top, -top * 0.6, -top * 0.2, top * 0.2, top * 0.6, top]
        idx = np.clip(np.digitize(v.fillna(0), edges[1:-1]), 0, 4)
        colours = [NO_DATA if pd.isna(x) else DIVERGING[i] for x, i in zip(v, idx)]
        entries = [(DIVERGING[i], f"{fmt(edges[i])} ~ {fmt(edges[i + 1])}") for i in range(5)]
        if v.isna().any():
            entries.append((NO_DATA, "无可比数据"))
        return colours, entries
    positive = v[v > 0]
    if positive.empty:
        return [NO_DATA] * len(v), [(NO_DATA, "0")]
    edges = np.unique(np.quantile(positive, np.linspace(0, 1, k + 1)))
    if len(edges) == 1:
        edges = np.array([edges[0], edges[0]])
    palette = SEQUENTIAL[-(len(edges) - 1):] if len(edges) > 2 else SEQUENTIAL[-1:]
    idx = np.clip(np.searchsorted(edges, v.fillna(0), side="left") - 1, 0, len(palette) - 1)
    colours = [NO_DATA if (pd.isna(x) or x <= 0) else palette[i] for x, i in zip(v, idx)]
    entries = [(palette[i], f"{fmt(edges[i])} ~ {fmt(edges[i + 1])}") for i in range(len(palette))]
    if (v.fillna(0) <= 0).any():
        entries.append((NO_DATA, "0 或未填报"))
    return colours, entries


# ---------------------------------------------------------------------- drawing
def _nice_length(span_m: float) -> float:
    target = span_m / 5
    exp = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * exp <= target:
            return step * exp
    return exp


def _distance_label(m: float) -> str:
    return f"{m / 1000:g} 千米" if m >= 1000 else f"{m:g} 米"


def _scale_bar(ax, x0, y0, x1, y1) -> None:
    length = _nice_length(x1 - x0)
    h = (y1 - y0) * 0.012
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.04
    for k in range(2):  # two halves, black and white, like a printed map
        ax.add_patch(Rectangle((bx + k * length / 2, by), length / 2, h, facecolor="black" if k == 0 else "white",
                               edgecolor="black", linewidth=0.6, zorder=50))
    ax.text(bx, by + h * 1.8, "0", ha="center", va="bottom", fontsize=7, zorder=50)
    ax.text(bx + length, by + h * 1.8, _distance_label(length), ha="center", va="bottom", fontsize=7, zorder=50)


def _north_arrow(ax, x0, y0, x1, y1) -> None:
    w, h = (x1 - x0) * 0.025, (y1 - y0) * 0.07
    cx, top = x1 - (x1 - x0) * 0.05, y1 - (y1 - y0) * 0.04
    ax.add_patch(MplPolygon([(cx, top), (cx - w, top - h), (cx, top - h * 0.7)], closed=True, facecolor="black",
                            edgecolor="black", linewidth=0.6, zorder=50))
    ax.add_patch(MplPolygon([(cx, top), (cx + w, top - h), (cx, top - h * 0.7)], closed=True, facecolor="white",
                            edgecolor="black", linewidth=0.6, zorder=50))
    ax.text(cx, top - h * 1.05, "北", ha="center", va="top", fontsize=8, fontweight="bold", zorder=50)


def _handles(entries):
    out = []
    for kind, colour, label in entries:
        if kind == "patch":
            out.append(Patch(facecolor=colour, edgecolor="#777777", linewidth=0.4, label=label))
        elif kind == "line":
            out.append(Line2D([0], [0], color=colour, linewidth=1.5, label=label))
        else:
            out.append(Line2D([0], [0], marker=kind[len("marker"):], color="none", markerfacecolor=colour,
                              markeredgecolor="#333333", markersize=6, label=label))
    return out


def _draw(m: StaticMap, fmt: str, dpi: int) -> bytes:
    font = cjk_font()
    rc = {"font.family": [font] if font else ["sans-serif"], "axes.unicode_minus": False,
          "svg.hashsalt": "static-map", "pdf.fonttype": 42}
    with plt.rc_context(rc):
        fig = plt.figure(figsize=(m.width_cm / 2.54, m.height_cm / 2.54), dpi=dpi)
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.9 if m.title else 0.98))
        ax.set_axis_off()
        every = pd.concat([layer.frame.geometry for layer in m.layers]) if m.layers else None
        crs = metric_crs(float(np.mean(every.total_bounds[[0, 2]]))) if every is not None else None
        for layer in m.layers:
            frame = layer.frame.to_crs(crs)
            if layer.kind == "polygons":
                frame.plot(ax=ax, color=layer.face, edgecolor=layer.edge, linewidth=layer.width,
                           alpha=layer.alpha, zorder=layer.zorder)
            elif layer.kind == "outline":
                frame.boundary.plot(ax=ax, color=layer.edge, linewidth=layer.width, zorder=layer.zorder)
            elif layer.kind == "lines":
                frame.plot(ax=ax, color=layer.edge, linewidth=layer.width, zorder=layer.zorder)
            else:
                frame.plot(ax=ax, color=layer.face, markersize=layer.size, marker=layer.marker,
                           edgecolor="#333333", linewidth=0.4, zorder=45 + layer.zorder)  # above the labels
            if layer.labels:
                pts = frame.geometry.representative_point()
                for p, text in zip(pts, frame[layer.labels]):
                    if text is not None and str(text):
                        ax.annotate(str(text), (p.x, p.y), ha="center", va="center", fontsize=6.5,
                                    zorder=40, color="#222222",
                                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6})
        if every is None:
            ax.text(0.5, 0.5, "无可绘制的数据", ha="center", va="center", transform=ax.transAxes, fontsize=12)
        else:
            x0, x1 = ax.get_xlim()
            y0, y1 = ax.get_ylim()
            # the frame's aspect is the page's: pad the data out to it so nothing is stretched
            ax.set_aspect("equal", adjustable="datalim")
            fig.canvas.draw()
            x0, x1 = ax.get_xlim()
            y0, y1 = ax.get_ylim()
            _scale_bar(ax, x0, y0, x1, y1)
            _north_arrow(ax, x0, y0, x1, y1)
        if m.entries:
            ax.legend(handles=_handles(m.entries), title=m.legend_title, loc="lower right", fontsize=7,
                      title_fontsize=7.5, frameon=True, framealpha=0.9, borderpad=0.5)
        if m.title:
            fig.text(0.5, 0.985, m.title, ha="center", va="top", fontsize=11)
        if m.synthetic:
            ax.text(0.01, 0.99, SYNTHETIC_MARK, transform=ax.transAxes, ha="left", va="top", fontsize=9,
                    color="#b2182b", zorder=60,
                    bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#b2182b", "lw": 0.8})
        if m.note:
            ax.text(0.01, 0.01, m.note, transform=ax.transAxes, ha="left", va="bottom", fontsize=6.5,
                    color="#444444", zorder=60)
        out = io.BytesIO()
        # no dates in the metadata: the same inputs give the same bytes
        metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]
        fig.savefig(out, format=fmt, dpi=dpi, metadata=metadata)
        plt.close(fig)
    return out.getvalue()


def _cache_dir() -> Path | None:
    value = os.environ.get("MAP_CACHE_DIR") or str(Path(__file__).resolve().parents[2] / "var" / "map_cache")
    return Path(value) if value and value.lower() != "off" else None


def render(m: StaticMap, fmt: str = "png", *, dpi: int = 200, cache: bool = True) -> bytes:
    """The map as ``fmt`` (png, svg or pdf) bytes; from the cache when the inputs are the same."""
    if fmt not in FORMATS:
        raise ValueError(f"不支持的地图格式：{fmt}（可用 {', '.join(FORMATS)}）")
    key = m.key(fmt, dpi)
    if cache and key in _MEMORY:
        _MEMORY.move_to_end(key)
        stats["hits"] += 1
        return _MEMORY[key]
    folder = _cache_dir() if cache else None
    path = folder / f"{key}.{fmt}" if folder else None
    if path is not None and path.exists():
        data = path.read_bytes()
        stats["hits"] += 1
    else:
        data = _draw(m, fmt, dpi)
        stats["renders"] += 1
        if path is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(data)
                tmp.replace(path)  # readers never see half a file
                _prune(folder)
            except OSError as exc:  # a read-only disk only costs speed
                log.warning("map cache not written: %s", exc)
    if cache:
        _MEMORY[key] = data
        while len(_MEMORY) > _MEMORY_MAX:
            _MEMORY.popitem(last=False)
    return data


def _prune(folder: Path, keep: int = DISK_MAX) -> None:
    """Keep the newest ``keep`` maps on disk: a month's maps are reused, last year's are not."""
    files = sorted(folder.glob("*.*"), key=lambda f: f.stat().st_mtime)
    for old in files[:-keep] if len(files) > keep else []:
        old.unlink(missing_ok=True)


def clear_memory() -> None:
    """Forget the in-memory cache (the benchmark's uncached run)."""
    _MEMORY.clear()
