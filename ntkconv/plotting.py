"""Figure helpers: one style for every theorem's figures, files written atomically.

Figures are built with matplotlib's object-oriented API (``matplotlib.figure.Figure``), never
through ``pyplot``: importing ntkconv leaves the user's backend alone (in Jupyter the figures a
check returns display inline), figures are not kept alive by pyplot's global registry, and
saving to a file needs no display. A theorem's ``figure(results)`` draws its records with
:func:`record_figures`, which owns what every figure shares: panels of at most
:data:`MAX_PANELS` per figure (the headline first, the rest in follow-up figures), titles that
carry each record's verdict in its colour, and the page-width size.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._io import atomic_path

if TYPE_CHECKING:
    from .protocol import CheckResult

#: Panels per figure: four fit the documentation's content column at a readable size.
MAX_PANELS = 4
#: Inches per panel (width, height): two columns make an 8.4-inch figure, 920 px at 110 dpi.
PANEL_SIZE = (4.2, 3.3)
#: Title colour of a record's panel, by verdict: the hues of the verdict badges in the docs and
#: the report (docs/stylesheets), darkened to read as text.
VERDICT_COLOURS = {
    "holds": "#1b7837",
    "held-outside-hypotheses": "#2166ac",
    "violated": "#b2182b",
    "failed-without-hypothesis": "#b35806",
    "diverged": "#762a83",
    "error": "#4d4d4d",
}
#: The smallest positive float64: values at or below zero are drawn here on log axes.
LOG_FLOOR = float(np.finfo(np.float64).tiny)


def log_floor(values: object, floor: float = LOG_FLOOR) -> np.ndarray:
    """``values`` as a float array with everything below ``floor`` raised to ``floor``.

    Zeros (an exact fit, a vanished residual) then stay visible on a log axis instead of
    being dropped.

    Args:
        values: numbers of any shape (anything ``np.asarray(values, dtype=float)`` accepts).
        floor: the smallest value kept; default :data:`LOG_FLOOR`, the smallest positive
            float64.

    Returns:
        ``max(values, floor)`` elementwise, a float64 NumPy array of ``values``' shape.

    Examples:
        >>> log_floor([0.0, 1e-3], floor=1e-12).tolist()
        [1e-12, 0.001]
    """
    return np.maximum(np.asarray(values, dtype=float), floor)


def label_x_values(ax: Axes, values: Sequence[float]) -> None:
    """Tick a (log) x axis at exactly the values a run used, labelled with ``{:g}``, and drop
    its minor ticks: on a range of a decade or two matplotlib labels the minor ticks too, and the
    labels overlap ("2×10⁰3×10⁰…"). Call it after setting the scale, which resets the ticks.

    Args:
        ax: the axes.
        values: the x values to label (widths, horizons, step sizes).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = Figure().subplots()
        >>> ax.set_xscale("log")
        >>> label_x_values(ax, [4, 16, 64])
        >>> [t.get_text() for t in ax.get_xticklabels()], len(ax.get_xticks(minor=True))
        (['4', '16', '64'], 0)
    """
    ax.set_xticks(list(values), [f"{v:g}" for v in values])
    ax.set_xticks([], minor=True)


def panel_grid(
    titles: Sequence[str], ncols: int = 2, size: tuple[float, float] = PANEL_SIZE
) -> tuple[Figure, list[Axes]]:
    """A figure with one panel per title (row-major) and unused panels hidden.

    The figure is a ``matplotlib.figure.Figure`` with constrained layout, made without
    ``pyplot``; a lone panel is drawn 1.6× larger so its tick labels and legend have room.

    Args:
        titles: one title per panel (at least one).
        ncols: panels per row, clipped to [1, ``len(titles)``]; default 2.
        size: inches per panel, (width, height); default :data:`PANEL_SIZE`.

    Returns:
        ``(fig, axes)``: the figure and its ``len(titles)`` visible panels, in title order.

    Raises:
        ValueError: ``titles`` is empty.

    Examples:
        >>> fig, axes = panel_grid(["loss", "margin", "spectrum"])
        >>> len(axes), fig.get_size_inches().tolist(), axes[2].get_title()
        (3, [8.4, 6.6], 'spectrum')
    """
    if not titles:
        raise ValueError("titles is empty; a figure needs at least one panel")
    ncols = max(1, min(ncols, len(titles)))
    nrows = math.ceil(len(titles) / ncols)
    # a lone panel gets most of the page width, so its tick labels and legend have room
    scale = 1.6 if len(titles) == 1 else 1.0
    fig = Figure(figsize=(size[0] * ncols * scale, size[1] * nrows * scale), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    flat = list(axes.ravel())
    for ax, title in zip(flat, titles, strict=False):
        ax.set_title(title, fontsize=9)
    for ax in flat[len(titles) :]:
        ax.set_visible(False)
    return fig, flat[: len(titles)]


Panels = Sequence[str] | Callable[["CheckResult"], Sequence[str]]
DrawRecord = Callable[[Any, "CheckResult"], None]
DrawSummary = Callable[[Axes, Sequence["CheckResult"]], None]


def record_figures(
    results: Sequence[CheckResult],
    draw: DrawRecord | None,
    title: str,
    *,
    panels: Panels = ("",),
    summaries: Sequence[tuple[str, DrawSummary]] = (),
    select: Callable[[CheckResult], bool] | None = None,
) -> list[Figure]:
    """A theorem's figures: panels for its records, at most :data:`MAX_PANELS` per figure.

    The headline figure comes first: the ``summaries`` panels (drawn from all records), then
    the regular instances' panels, then the controls'; what does not fit goes on follow-up
    figures titled "(continued)". Each record's first panel is titled
    ``"<instance>: <verdict>"`` in the verdict's colour (plus "NOT AS DECLARED" when it is not).

    Args:
        results: the records to draw.
        draw: ``draw(ax, record)``, or ``draw(axes, record)`` with one axis per panel name
            when a record has several panels; None when only ``summaries`` are drawn.
        title: the figures' title (the theorem id and what is shown).
        panels: each record's panel names (one unnamed panel by default), or a function
            ``panels(record)`` giving them per record.
        summaries: (title, ``draw(ax, results)``) panels that summarize all records.
        select: which records get panels (default: all).

    Returns:
        The figures (``matplotlib.figure.Figure``), headline first.

    Raises:
        ValueError: a record has more than :data:`MAX_PANELS` panels.

    Examples:
        >>> from types import SimpleNamespace
        >>> import ntkconv as nc
        >>> records = [
        ...     SimpleNamespace(instance=f"n={n}", control=False, as_declared=True,
        ...                     verdict=nc.Verdict.HOLDS)
        ...     for n in range(5)
        ... ]
        >>> figs = record_figures(records, lambda ax, r: ax.plot([0, 1]), "T: loss")
        >>> len(figs), [len(f.axes) for f in figs]
        (2, [4, 1])
        >>> figs[0].axes[0].get_title(), figs[1].get_suptitle()
        ('n=0: holds', 'T: loss (continued)')
    """
    chosen = [r for r in results if draw is not None and (select is None or select(r))]
    ordered = [r for r in chosen if not r.control] + [r for r in chosen if r.control]
    names = [list(panels(r) if callable(panels) else panels) or [""] for r in ordered]
    if len(summaries) > MAX_PANELS or any(len(n) > MAX_PANELS for n in names):
        raise ValueError(f"a record may have at most {MAX_PANELS} panels")
    pages: list[list[int]] = [[]]
    used = len(summaries)
    for i, n in enumerate(names):
        if used + len(n) > MAX_PANELS:  # the page is full (or holds only summaries)
            pages.append([])
            used = 0
        pages[-1].append(i)
        used += len(n)
    figures = []
    for page_no, page in enumerate(pages):
        heads = [s[0] for s in summaries] if page_no == 0 else []
        titles = heads + [
            _panel_title(ordered[i], n, j) for i in page for j, n in enumerate(names[i])
        ]
        if not titles:
            continue
        fig, axes = panel_grid(titles)
        for ax, (_, summary) in zip(axes, summaries if page_no == 0 else (), strict=False):
            summary(ax, results)
        at = len(heads)
        for i in page:
            record, k = ordered[i], len(names[i])
            mine = axes[at : at + k]
            mine[0].title.set_color(VERDICT_COLOURS.get(record.verdict.value, "black"))
            draw(mine[0] if k == 1 else mine, record)  # type: ignore[misc]
            at += k
        fig.suptitle(title if page_no == 0 else f"{title} (continued)", fontsize=10)
        figures.append(fig)
    return figures


def _panel_title(record: CheckResult, name: str, j: int) -> str:
    if j > 0:
        return f"{record.instance}: {name}"
    head = f"{record.instance}: {record.verdict.value}"
    if not record.as_declared:
        head += " (NOT AS DECLARED)"
    return f"{head}\n{name}" if name else head


def plot_decay(
    ax: Axes,
    k: np.ndarray,
    measured: np.ndarray,
    bound: np.ndarray,
    measured_label: str = "measured",
    bound_label: str = "bound",
) -> None:
    """Draw a measured quantity and its predicted bound against step k, log y-axis.

    Values ≤ 0 are drawn at :data:`LOG_FLOOR` (:func:`log_floor`). The y-range stops 18
    decades below the largest value (the lower limit is half of max(smallest positive value,
    largest·1e-18)): below that float64 rounding dominates anyway.

    Args:
        ax: the panel to draw on.
        k: steps, shape (K,).
        measured: the measured quantity per step, shape (K,) (solid line).
        bound: the predicted bound per step, shape (K,) (dashed black line).
        measured_label: legend label of ``measured``; default "measured".
        bound_label: legend label of ``bound``; default "bound".

    Returns:
        None; ``ax`` is drawn on in place.

    Examples:
        >>> import numpy as np
        >>> fig, (ax,) = panel_grid(["decay"])
        >>> k = np.arange(5)
        >>> plot_decay(ax, k, 0.5**k, 0.6**k)
        >>> ax.get_yscale(), [line.get_label() for line in ax.lines]
        ('log', ['measured', 'bound'])
        >>> float(ax.get_ylim()[0])
        0.03125
    """
    ax.semilogy(k, log_floor(measured), lw=1.6, label=measured_label)
    ax.semilogy(k, log_floor(bound), "--", lw=1.2, color="k", label=bound_label)
    values = np.concatenate([measured, bound])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size:
        ax.set_ylim(bottom=max(values.min(), values.max() * 1e-18) / 2)
    ax.set_xlabel("step k")
    ax.legend(fontsize=7)


def plot_scaling(
    ax: Axes,
    x: Sequence[float] | np.ndarray,
    samples: np.ndarray,
    label: str,
    *,
    fit: Mapping[str, float] | None = None,
    guide: float | None = None,
    marker: str = "o",
    xlabel: str = "width m",
) -> None:
    """Draw a sweep on log-log axes, with its fitted power law and a reference slope.

    Draws the replicate mean per x, the fitted power law prefactor·x^exponent in the same
    colour, and a dotted reference slope x^``guide`` through the first mean, so a measured
    exponent reads against theory's.

    Args:
        ax: the panel to draw on.
        x: the swept values (e.g. widths), shape (len(x),).
        samples: measurements, shape (len(x), seeds) (or (len(x),) for one seed); their mean
            over seeds is drawn.
        label: legend label of the means; ": α = <exponent>" is appended when ``fit`` is
            drawn.
        fit: a mapping with ``exponent`` and ``prefactor``, as the checks store
            :func:`ntkconv.fit_power_law`'s result; None or a NaN exponent draws no fit.
        guide: exponent of the dotted reference slope; None (default) draws none (nor does a
            first mean ≤ 0).
        marker: matplotlib format string of the means; default "o" (markers, no line).
        xlabel: x-axis label; default "width m".

    Returns:
        None; ``ax`` is drawn on in place.

    Examples:
        >>> import numpy as np
        >>> fig, (ax,) = panel_grid(["scaling"])
        >>> samples = np.array([[1.0, 1.2], [0.5, 0.6], [0.25, 0.3]])
        >>> fit = {"exponent": -1.0, "prefactor": 17.6}
        >>> plot_scaling(ax, [16, 32, 64], samples, "error", fit=fit, guide=-1.0)
        >>> ax.get_xscale(), ax.get_yscale(), len(ax.lines)
        ('log', 'log', 3)
        >>> [t.get_text() for t in ax.get_legend().get_texts()]
        ['error: α = -1.00', 'slope -1']
    """
    x = np.asarray(x, dtype=float)
    mean = np.asarray(samples, dtype=float).reshape(len(x), -1).mean(axis=1)
    fitted = fit is not None and math.isfinite(fit["exponent"])
    if fitted:
        label = f"{label}: α = {fit['exponent']:.2f}"
    line = ax.loglog(x, mean, marker, label=label)[0]
    if fitted:
        ax.loglog(x, fit["prefactor"] * x ** fit["exponent"], "-", lw=0.8, color=line.get_color())
    if guide is not None and mean[0] > 0:
        ax.loglog(x, mean[0] * (x / x[0]) ** guide, ":", color="gray", label=f"slope {guide:g}")
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=6)


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` atomically (temp file + rename).

    A reader sees the old file or all of the new one, never a half-written file. Missing
    parent folders are created.

    Args:
        fig: the figure to write.
        path: the file to write; its suffix gives the format (png when it has none).
        dpi: resolution of raster formats; default 120.

    Returns:
        ``path`` as a ``pathlib.Path``.

    Raises:
        TypeError: ``fig`` is not a ``matplotlib.figure.Figure``.
        ValueError: ``path`` is an existing folder.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> fig, (ax,) = panel_grid(["one"])
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     out = save_figure(fig, Path(tmp) / "figs" / "one.svg")
        ...     print(out.name, out.exists(), sorted(p.name for p in out.parent.iterdir()))
        one.svg True ['one.svg']
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
    if Path(path).is_dir():
        raise ValueError(f"path {path} is a folder; give a file name such as figure.png")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=Path(path).suffix.lstrip(".") or "png")
    return Path(path)


def figure_bytes(fig: Figure, fmt: str = "png", dpi: int = 110) -> bytes:
    """``fig`` encoded in memory, for embedding in a report or a generated page.

    Args:
        fig: the figure to encode.
        fmt: any format ``Figure.savefig`` writes ("png", "svg", "pdf", …); default "png".
        dpi: resolution of raster formats; default 110, the documentation's.

    Returns:
        The encoded file's bytes.

    Examples:
        >>> fig, (ax,) = panel_grid(["one"])
        >>> figure_bytes(fig)[:4]
        b'\x89PNG'
    """
    with io.BytesIO() as buf:
        fig.savefig(buf, format=fmt, dpi=dpi)
        return buf.getvalue()
