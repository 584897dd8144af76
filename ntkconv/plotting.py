"""Figure helpers: matplotlib with the Agg backend, files written atomically."""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._io import atomic_path


def panel_grid(
    titles: Sequence[str], ncols: int = 3, size: float = 3.6
) -> tuple[Figure, list[Axes]]:
    """A figure with one panel per title (row-major), unused panels hidden."""
    ncols = max(1, min(ncols, len(titles)))
    nrows = math.ceil(len(titles) / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(size * ncols, 0.85 * size * nrows),
        squeeze=False,
        constrained_layout=True,
    )
    flat = list(axes.ravel())
    for ax, title in zip(flat, titles, strict=False):
        ax.set_title(title, fontsize=9)
    for ax in flat[len(titles) :]:
        ax.set_visible(False)
    return fig, flat[: len(titles)]


def plot_decay(
    ax: Axes,
    k: np.ndarray,
    measured: np.ndarray,
    bound: np.ndarray,
    measured_label: str = "measured",
    bound_label: str = "bound",
) -> None:
    """Measured quantity and its predicted bound against step k, log scale. The y-range stops
    18 decades below the largest value: below that float64 rounding dominates anyway."""
    tiny = np.finfo(float).tiny
    ax.semilogy(k, np.maximum(measured, tiny), lw=1.6, label=measured_label)
    ax.semilogy(k, np.maximum(bound, tiny), "--", lw=1.2, color="k", label=bound_label)
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
    """A sweep on log-log axes: the replicate mean per x (``samples`` has shape (len(x), seeds)),
    the fitted power law ``fit`` (a mapping with ``exponent`` and ``prefactor``, as the checks
    store :func:`ntkconv.fit_power_law`'s result; skipped when its exponent is NaN) in the same
    colour, and a dotted reference
    slope x^``guide`` through the first point, so a measured exponent reads against theory's."""
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
    """Write ``fig`` to ``path`` atomically (temp file + rename) and close it; the format
    follows ``path``'s suffix."""
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format=Path(path).suffix.lstrip(".") or "png")
    finally:
        plt.close(fig)
    return Path(path)


def figure_bytes(fig: Figure, fmt: str = "png", dpi: int = 110) -> bytes:
    """``fig`` encoded in memory (for embedding in a report or a generated page), then closed."""
    try:
        with io.BytesIO() as buf:
            fig.savefig(buf, format=fmt, dpi=dpi)
            return buf.getvalue()
    finally:
        plt.close(fig)
