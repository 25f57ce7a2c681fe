"""The HTML report's plots: matplotlib figures rendered to inline SVG strings.

Why matplotlib to SVG (and not Vega-Lite, or hand-drawn SVG): the figures are static, so an SVG
needs no script at view time (the report opens offline with nothing to run, and with no console to
go wrong), text stays text (``svg.fonttype = none``), and a figure is a few tens of KB, where
inlining the Vega runtime alone would add ~800 KB. matplotlib is the well-kept standard for exactly
these plots (ECDFs on a log axis, box plots); drawing them by hand would re-implement its axes,
ticks and log scaling. It is an optional extra (``kassi[report]``): without it the report says so
in place of each plot.

Every figure draws what the record and the recorded samples say; the shift and its interval are the
judge's, read from the record, never re-estimated here.
"""

from __future__ import annotations

import importlib.util
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from kassi_app.report.data import Samples

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

COLOURS = {"base": "#0072B2", "head": "#D55E00", "fix": "#009E73", "live": "#CC79A7"}
ECDF_POINTS = 160
"""An ECDF drawn through this many quantiles looks the same as one through every sample and keeps
the SVG small whatever the run's size."""
_PATH_DATA = re.compile(r'\sd="([^"]*)"')
_LONG_DECIMAL = re.compile(r"(\d\.\d)\d+")


def available() -> bool:
    """Whether matplotlib (the ``report`` extra) is installed."""
    return importlib.util.find_spec("matplotlib") is not None


def _colour(variant: str) -> str:
    return COLOURS.get(variant, "#555555")


def _style() -> AbstractContextManager[None]:
    """Text kept as text, stable ids (a fixed hash salt), a quiet frame."""
    import matplotlib

    return matplotlib.rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": "kassi", "font.size": 9,
         "axes.spines.top": False, "axes.spines.right": False}
    )


@contextmanager
def _figure(width_in: float, height_in: float, panels: int = 1) -> Iterator[tuple[Figure, list[Axes]]]:
    from matplotlib.figure import Figure

    with _style():
        fig = Figure(figsize=(width_in, height_in), layout="constrained")
        axes = list(fig.subplots(1, panels, squeeze=False)[0])
        yield fig, axes


def _svg(fig: Figure, prefix: str) -> str:
    """The figure as an ``<svg>`` element, its ids prefixed so several can share one HTML page.
    Called inside ``_figure`` (its style applies to the drawing)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    # a tenth of a point is below what a screen shows: path data at 0.1 pt is a third the size
    text = _PATH_DATA.sub(lambda m: ' d="' + " ".join(_LONG_DECIMAL.sub(r"\1", m.group(1)).split()) + '"', text)
    text = re.sub(r'\sid="([^"]+)"', rf' id="{prefix}-\1"', text)
    return re.sub(r"(url\(#|href=\"#)", rf"\g<1>{prefix}-", text)


def _ecdf(ax: Axes, samples: Mapping[str, Samples]) -> None:
    import numpy as np

    for variant, s in samples.items():
        if not s.latencies_ms:
            continue
        probs = np.linspace(0.0, 1.0, min(ECDF_POINTS, len(s.latencies_ms)))
        values = np.quantile(np.asarray(s.latencies_ms), probs)
        ax.step(values, probs, where="post", color=_colour(variant), label=f"{variant} (n={len(s.latencies_ms)})")
    ax.set_xscale("log")
    ax.set_xlabel("latency ms (log)")
    ax.set_ylabel("share of requests ≤ x")
    ax.set_ylim(0, 1.02)
    ax.grid(True, which="major", alpha=0.3)


def _shift_marks(ax: Axes, effects: Mapping[str, Any]) -> str:
    """Mark base median + the judge's Hodges-Lehmann shift and its interval; return the caption."""
    shift, ci, base = effects.get("shift_ms"), effects.get("shift_ms_ci"), effects.get("median_base_ms")
    if not isinstance(shift, int | float):
        return "no latency shift recorded"
    caption = f"HL shift {shift:+.1f} ms"
    if isinstance(ci, Sequence) and len(ci) == 2:
        caption += f" [{ci[0]:+.1f}, {ci[1]:+.1f}]"
    if isinstance(effects.get("shift_pct"), int | float):
        caption += f" ({effects['shift_pct']:+.1f} %)"
    if isinstance(base, int | float) and base > 0:
        limits = ax.get_xlim()  # the marks stay within the samples' range
        ax.axvline(base, color=_colour("base"), linestyle=":", linewidth=1, label="base median")
        if base + shift > 0:
            ax.axvline(base + shift, color=_colour("head"), linestyle="--", linewidth=1, label="base median + shift")
        if isinstance(ci, Sequence) and len(ci) == 2 and base + max(ci) > 0:
            # a log axis cannot show zero: an interval reaching down to -base starts at 1 % of base
            low = max(base + min(ci), base / 100)
            ax.axvspan(low, base + max(ci), color=_colour("head"), alpha=0.12, label="shift interval")
        ax.set_xlim(limits)
    return caption


def _blocks(ax: Axes, samples: Mapping[str, Samples]) -> None:
    """One box (5th-95th percentile whiskers) per load block, in run order, coloured by variant."""
    per_block: dict[int, tuple[str, list[float]]] = {}
    for variant, s in samples.items():
        for block, latency in zip(s.blocks, s.latencies_ms, strict=True):
            per_block.setdefault(block, (variant, []))[1].append(latency)
    order = sorted(per_block)
    if not order:
        return
    boxes = ax.boxplot(
        [per_block[b][1] for b in order],
        positions=range(len(order)),
        whis=(5, 95),
        showfliers=False,
        patch_artist=True,
        widths=0.6,
    )
    for patch, block in zip(boxes["boxes"], order, strict=True):
        patch.set_facecolor(_colour(per_block[block][0]))
        patch.set_alpha(0.55)
    ax.set_xticks(range(len(order)), [f"{b}\n{per_block[b][0]}" for b in order])
    ax.set_yscale("log")
    ax.set_xlabel("load block (run order)")
    ax.set_ylabel("latency ms (log)")
    ax.grid(True, axis="y", alpha=0.3)


def route_figure(label: str, samples: Mapping[str, Samples], effects: Mapping[str, Any], prefix: str) -> str:
    """Left: base vs head ECDFs with the shift; right: latency per load block in run order."""
    with _figure(9.0, 3.0, panels=2) as (fig, (left, right)):
        _ecdf(left, samples)
        left.set_title(_shift_marks(left, effects), fontsize=9)
        left.legend(loc="lower right", fontsize=7, frameon=False)
        _blocks(right, samples)
        right.set_title("latency per block (box 25-75 %, whiskers 5-95 %)", fontsize=9)
        for ax in (left, right):
            _plain_log_ticks(ax)
        return _svg(fig, prefix)


def _plain_log_ticks(ax: Axes) -> None:
    """Log axes ticked and labelled at 1-2-5 steps (20, 50, 100, not 10^2), with no minor ticks: easier
    to read off, and a smaller, faster figure."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
        if scale == "log":
            axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
            axis.set_minor_locator(NullLocator())


def blocks_figure(load: Mapping[str, Any], prefix: str) -> str:
    """k6's own p50 / p95 per block (client side, from the record), in run order: the A/B interleave."""
    rows = sorted(
        (b for per in load.values() if isinstance(per, Mapping) for b in per.get("blocks") or []),
        key=lambda b: b.get("block", 0),
    )
    with _figure(9.0, 2.2) as (fig, (ax,)):
        for variant in dict.fromkeys(str(b.get("variant")) for b in rows):
            for stat, marker in (("k6_p50_ms", "o"), ("k6_p95_ms", "^")):
                xs = [i for i, b in enumerate(rows)
                      if b.get("variant") == variant and isinstance(b.get(stat), int | float)]
                ax.scatter(xs, [rows[i][stat] for i in xs], color=_colour(variant), marker=marker,
                           label=f"{variant} {stat.removeprefix('k6_').removesuffix('_ms')}")
        ax.set_xticks(range(len(rows)), [f"{b.get('block')}\n{b.get('variant')}" for b in rows])
        ax.set_xlim(-0.5, len(rows) - 0.5)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("k6 latency ms")
        ax.set_xlabel("load block (run order)")
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
        ax.grid(True, axis="y", alpha=0.3)
        return _svg(fig, prefix)
