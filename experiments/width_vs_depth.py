"""Width vs depth: how wide must every hidden layer be for gradient descent to fit n points?

``ntkconv sweep width-vs-depth [--quick]``. For each architecture (a plain MLP, or Du et al.'s
ResNet) and depth L (hidden layers, all of width m), GD trains R seeds (one ``vmap``-ped
ensemble per (architecture, L, width)) on n random ±1 labels — the same datasets as the
random-label series of ``width-vs-n`` at this n — and records whether the train loss reached
ε under width-vs-n's criterion: a budget of ``budget_factor`` × T_rate steps, T_rate the
steps the linear rate on the run's own initial Gram needs, capped at ``max_steps``
(capped runs that did not fit are *censored*). m*(L) is the width at which a fraction q of the
seeds fit (logistic fit against log m), the widths found by bisection on a geometric grid.
Over L the summary gives the exponent of a power law m* ∝ L^α and the slope log₂ m* per
layer, each with a bootstrap interval, and the trained parameters at m*.

Set-up (Du, Lee, Li, Wang, Zhai, ICML 2019, §3): :class:`ntkconv.DeepNet` in the NTK
parametrization, ReLU, no biases, every hidden layer trained and the output a ~ Unif{±1}
fixed; inputs uniform on S^{d−1}; L = (1/2n)Σ(f(x_i) − y_i)² with step n/λ_max(G(0)), G the
Gram of all trained weights. The ResNet's branch is scaled by 1/(L√m), so at L = 1 it is the
MLP (its L = 1 cell is not run).

The sufficient widths the theory gives grow with depth: Du et al. (2019) 2^{O(L)} n⁴/λ₀⁴ for
the MLP (Thm 5.1) and n⁴/(λ₀⁴L⁶) for the ResNet (Thm 6.1, λ₀ itself depending on L);
Allen-Zhu, Li & Song (ICML 2019) Ω̃(n²⁴L¹²δ⁻⁸) and Zou & Gu (NeurIPS 2019) Ω(n⁸L¹²) for deep
ReLU nets (the lecture's Table 1); Du et al. assume a smooth σ, so ReLU is outside their
theorems. None has a usable constant, so the figure draws their shapes in L only, anchored at the
measured m* at the smallest depth.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import sympy as sp
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

import ntkconv as nc
from experiments.width_vs_n import (
    _device,
    _int,
    _real,
    dataset,
    ensemble_on,
    next_widths,
    run_to_fit,
    threshold_summary,
    width_grid,
)

NAME = "width-vs-depth"
ARCHS = ("mlp", "resnet")
L_ = sp.Symbol("L", positive=True)

#: The depth dependence of the sufficient widths (n, λ₀, δ held fixed; constant 1, 2^{O(L)}
#: read as 2^L), keyed by who states it and for which architecture it is drawn.
THEORY: dict[str, tuple[str, sp.Expr]] = {
    "Du et al. 2019, MLP": ("mlp", 2**L_),
    "Allen-Zhu et al. 2019; Zou & Gu 2019": ("mlp", L_**12),
    "Du et al. 2019, ResNet": ("resnet", L_**-6),
}
_THEORY_FNS = {k: sp.lambdify(L_, v, "numpy") for k, (_, v) in THEORY.items()}
#: The power laws' exponents in L (Du et al.'s MLP width 2^L is not a power law: its slope
#: on a log-log plot is L·ln 2; it is compared through log₂ m* per layer, 1 bit).
THEORY_ALPHA = {
    k: float(sp.simplify(L_ * sp.diff(sp.log(v), L_)))
    for k, (_, v) in THEORY.items()
    if not sp.simplify(L_ * sp.diff(sp.log(v), L_)).free_symbols
}
THEORY_LOG2_PER_LAYER = {"Du et al. 2019, MLP": 1.0}

#: The settings a user may change (``--set KEY=VALUE`` or ``--config FILE``), with the full
#: sweep's defaults; ``--quick`` applies :data:`QUICK` on top.
DEFAULTS: dict[str, Any] = {
    "n": 64,  # training points
    "d": 16,  # input dimension
    "depths": [1, 2, 3, 4, 6, 8],  # hidden layers L
    "archs": list(ARCHS),
    "eps": 1e-3,  # fit criterion on L = (1/2n)Σ(f − y)²
    "quantile": 0.8,  # m*: smallest width where at least this fraction of seeds fit
    "budget_factor": 4.0,  # a run may take this many times T_rate ...
    "max_steps": 20_000,  # ... but never more; capped runs that do not fit are censored
    "width_max": 256,  # the width grid: 1 … width_max, widths_per_octave per doubling
    "widths_per_octave": 4,
    "reps": 5,  # seeds per (arch, depth, width), trained as one ensemble
    "activation": "relu",
    "device": "cpu",
}
QUICK = {"n": 32, "depths": [1, 2, 4], "max_steps": 10_000, "width_max": 128}


def resolve_settings(quick: bool = False, overrides: Mapping[str, Any] | None = None) -> dict:
    """The validated settings: :data:`DEFAULTS`, then :data:`QUICK` if ``quick``, then the
    user's ``overrides``. Raises ``ValueError`` naming the setting and what it takes."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown {NAME} settings {unknown}; known: {sorted(DEFAULTS)}")
    out = {**DEFAULTS, **(QUICK if quick else {}), **overrides}
    for key in ("n", "d", "max_steps", "width_max", "widths_per_octave", "reps"):
        out[key] = _int(out[key], key, 2 if key == "n" else 1, sweep=NAME)
    depths = out["depths"]
    if not isinstance(depths, list) or not depths:
        raise ValueError(f"{NAME} setting 'depths' must be a non-empty list; got {depths!r}")
    out["depths"] = sorted({_int(L, "depths", sweep=NAME) for L in depths})
    archs = out["archs"]
    if not isinstance(archs, list) or not archs or not set(archs) <= set(ARCHS):
        raise ValueError(f"{NAME} setting 'archs' must be a list from {ARCHS}; got {archs!r}")
    out["archs"] = [a for a in ARCHS if a in archs]
    if out["archs"] == ["resnet"] and max(out["depths"]) < 2:
        raise ValueError(f"{NAME}: a ResNet needs a depth >= 2 in 'depths'; got {depths!r}")
    out["eps"] = _real(out["eps"], "eps", 0.0, sweep=NAME)
    out["quantile"] = _real(out["quantile"], "quantile", 0.0, 1.0 + 1e-12, sweep=NAME)
    out["budget_factor"] = _real(out["budget_factor"], "budget_factor", 1.0 - 1e-12, sweep=NAME)
    try:
        nc.get_activation(out["activation"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{NAME} setting 'activation' must be an activation name; {err}") from None
    out["device"] = _device(out["device"], sweep=NAME)
    return out


def sweep(
    quick: bool = False, seed: int = 0, settings: Mapping[str, Any] | None = None
) -> nc.Sweep:
    """The sweep; ``quick``: n = 32, L ∈ {1, 2, 4}, widths ≤ 128, at most 10 000 steps (about
    two minutes on two cores); else n = 64, L up to 8. ``settings``: overrides of
    :data:`DEFAULTS` (see :func:`resolve_settings`)."""
    seed = nc.check_seed(seed)
    config = {**resolve_settings(quick, settings), "seed": seed}
    widths = width_grid(config["width_max"], config["widths_per_octave"])
    start = [widths[nc.bisect_threshold({}, len(widths))]]
    reps = list(range(config["reps"]))
    grid = [
        {"arch": [arch], "depth": depths, "width": start, "rep": reps}
        for arch in config["archs"]
        if (depths := [L for L in config["depths"] if arch == "mlp" or L >= 2])
    ]
    return nc.Sweep(
        name=NAME,
        grid=grid,
        cell=run_cells,
        config=config,
        batch_axis="rep",
        summarize=summarize,
        figures=figures,
        description=__doc__.split("\n\n")[0],
        refine=refine,
        # which depths, architectures and widths are on the grid changes no cell: a run with
        # more depths or a larger width_max reuses the stored cells
        unkeyed=("depths", "archs", "width_max", "widths_per_octave", "quantile"),
    )


def refine(frame: pd.DataFrame, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The next width of every (arch, depth) whose bisection has not converged, as in
    width-vs-n (:func:`experiments.width_vs_n.next_widths`)."""
    return next_widths(frame, ("arch", "depth"), config)


def deep_net(arch: str, depth: int, width: int, config: Mapping[str, Any]) -> nc.DeepNet:
    """The student: L hidden layers of width m, every hidden layer trained, output fixed."""
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; expected one of {ARCHS}")
    widths = (width,) * depth
    return nc.DeepNet(
        config["d"], widths, activation=config["activation"], residual=arch == "resnet"
    )


def run_cells(cells: list[nc.Cell], config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One task: all seeds of one (arch, depth, width), trained as one ensemble."""
    first = cells[0].coords
    net = deep_net(first["arch"], first["depth"], first["width"], config)
    data = [dataset(config["n"], "random", c.coords["rep"], config) for c in cells]
    params, X, y = ensemble_on(net, cells, data, torch.device(config["device"]))
    _, records = run_to_fit(net, params, X, y, config)
    n_params = net.n_params(net.trainable)
    return [{**record, "n_params": n_params} for record in records]


def trained_parameters(depth: int, width: float, d: int) -> float:
    """Trained weights of the student at a (possibly fractional) width m: dm + (L − 1)m²
    (the ResNet's skips carry none)."""
    return d * width + (depth - 1) * width**2


def summarize(frame: pd.DataFrame, config: Mapping[str, Any]) -> dict[str, Any]:
    """Per architecture: m*(L) with bootstrap intervals and brackets, the power-law exponent
    α of m* ∝ L^α and log₂ m* per layer with their intervals, the trained parameters at m*
    (and per point), and the theory's shapes in L anchored at the smallest depth's m*."""
    summary: dict[str, Any] = {
        "gd": threshold_summary(
            frame,
            config,
            series="arch",
            axis="depth",
            theory_alpha=THEORY_ALPHA,
            per_unit=True,
        ),
        "theory_alpha": THEORY_ALPHA,
        "theory_log2_per_layer": THEORY_LOG2_PER_LAYER,
        "theory_latex": {k: sp.latex(v) for k, (_, v) in THEORY.items()},
        "gd_cells": len(frame),
        "theory_width": {},
    }
    for arch, rec in summary["gd"].items():
        depths, m_star = rec["depth"], np.array(rec["m_star"])
        rec["params_at_m_star"] = [
            trained_parameters(L, m, config["d"]) for L, m in zip(depths, m_star, strict=True)
        ]
        rec["params_per_point"] = (np.array(rec["params_at_m_star"]) / config["n"]).tolist()
        if np.isfinite(m_star[0]):
            summary["theory_width"].update(
                {
                    name: (m_star[0] * fn(np.array(depths, float)) / fn(depths[0])).tolist()
                    for name, fn in _THEORY_FNS.items()
                    if THEORY[name][0] == arch
                }
            )
    return summary


_ARCH_STYLE = {"mlp": ("o", "C0", "-"), "resnet": ("s", "C1", "--")}
_THEORY_STYLE = {
    "Du et al. 2019, MLP": ("gray", (0, (1, 1))),
    "Allen-Zhu et al. 2019; Zou & Gu 2019": ("C4", (0, (3, 1))),
    "Du et al. 2019, ResNet": ("C5", (0, (5, 2))),
}


def _depth_axis(ax: Any, depths: list[int]) -> None:
    ax.set_xscale("log")
    ax.set_xticks(depths, labels=[str(L) for L in depths])  # after the scale, which resets them
    ax.set_xticks([], minor=True)
    ax.set_xlabel("depth L (hidden layers)")


def plot_width_vs_depth(ax: Any, summary: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """m*(L) per architecture (bootstrap 95% bars) and the theory's shapes in L, anchored at
    the smallest depth's m* and clipped at 100× the largest measured value."""
    measured = [1.0]
    for arch, rec in summary["gd"].items():
        marker, colour, line = _ARCH_STYLE[arch]
        m, ci = np.array(rec["m_star"]), np.array(rec["m_star_ci"])
        ci = np.where(np.isfinite(ci), ci, m[:, None])
        fitted = (
            f", α = {rec['alpha']:.2f} [{rec['alpha_ci'][0]:.2f}, {rec['alpha_ci'][1]:.2f}]"
            if "alpha" in rec
            else ""
        )
        ax.errorbar(rec["depth"], m, yerr=[m - ci[:, 0], ci[:, 1] - m], fmt=marker + line,
                    color=colour, capsize=3, label=f"GD m*, {arch}{fitted}")  # fmt: skip
        measured.append(float(np.nanmax(ci, initial=1.0)))
    for name, widths in summary["theory_width"].items():
        arch = THEORY[name][0]
        colour, style = _THEORY_STYLE[name]
        ax.plot(summary["gd"][arch]["depth"], widths, color=colour, linestyle=style, lw=1.2,
                label=f"{name}: ${summary['theory_latex'][name]}$ (shape only)")  # fmt: skip
    depths = sorted({L for rec in summary["gd"].values() for L in rec["depth"]})
    _depth_axis(ax, depths)
    ax.set(yscale="log", ylabel="width m", ylim=(0.5, 100 * max(measured)))
    ax.legend(fontsize=6)


def plot_parameters(ax: Any, summary: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """Trained weights at m*, dm* + (L − 1)m*², against L, with n (one weight per point)."""
    for arch, rec in summary["gd"].items():
        marker, colour, line = _ARCH_STYLE[arch]
        ax.plot(rec["depth"], rec["params_at_m_star"], marker + line, color=colour,
                label=f"trained weights at m*, {arch}")  # fmt: skip
    ax.axhline(config["n"], color="gray", lw=1, ls=":", label=f"n = {config['n']}")
    depths = sorted({L for rec in summary["gd"].values() for L in rec["depth"]})
    _depth_axis(ax, depths)
    ax.set(yscale="log", ylabel="parameters")
    ax.legend(fontsize=6)


def plot_steps(ax: Any, summary: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """Median steps to ε at the width above the crossing, T_lin there, and the cap."""
    for arch, rec in summary["gd"].items():
        marker, colour, _ = _ARCH_STYLE[arch]
        ax.plot(rec["depth"], rec["steps_to_fit"], marker + "-", color=colour,
                label=f"GD steps, {arch}")  # fmt: skip
        ax.plot(rec["depth"], rec["steps_linear"], marker + ":", color=colour, mfc="none",
                label=f"T_lin (linearized GD), {arch}")  # fmt: skip
    ax.axhline(config["max_steps"], color="gray", lw=1, ls="--", label="cap max_steps")
    depths = sorted({L for rec in summary["gd"].values() for L in rec["depth"]})
    _depth_axis(ax, depths)
    ax.set(yscale="log", ylabel="steps", ylim=(0.5, None))
    ax.legend(fontsize=6)


def plot_fit_fraction(ax: Any, frame: pd.DataFrame, config: Mapping[str, Any]) -> None:
    """The fit fraction at every evaluated width, one curve per (arch, depth)."""
    depths = sorted(frame.depth.unique())
    colours = {L: f"C{k % 10}" for k, L in enumerate(depths)}
    for (arch, depth), rows in frame.groupby(["arch", "depth"]):
        fraction = rows.groupby("width")["fit"].mean()
        ax.plot(fraction.index, fraction, _ARCH_STYLE[arch][0] + _ARCH_STYLE[arch][2], ms=3,
                color=colours[depth], label=f"{arch}, L = {depth}")  # fmt: skip
    ax.axhline(config["quantile"], color="gray", lw=1, ls="--")
    ax.set(xscale="log", xlabel="width m", ylabel="fit fraction")
    top = int(frame.width.max())
    ticks = [2**k for k in range(top.bit_length()) if 2**k >= frame.width.min() / 2]
    ax.set_xticks(ticks, labels=[str(t) for t in ticks])  # after the scale, which resets them
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=6, ncols=2)


def figures(
    frame: pd.DataFrame, summary: Mapping[str, Any], config: Mapping[str, Any]
) -> dict[str, Figure]:
    """``width-vs-depth``: m*(L) against the theory's shapes, the trained parameters at m*,
    steps to fit against T_lin, and the fit fraction against width per depth."""
    q, eps, n = config["quantile"], config["eps"], config["n"]
    fig, axes = nc.panel_grid(
        [
            f"width m* fitting {q:.0%} of seeds, n = {n} (ε = {eps})",
            "trained weights at m*",
            "steps to ε where GD first fits, and T_lin",
            "fit fraction vs width, per depth",
        ],
        ncols=2,
        size=(5.0, 4.25),
    )
    plot_width_vs_depth(axes[0], summary, config)
    plot_parameters(axes[1], summary, config)
    plot_steps(axes[2], summary, config)
    plot_fit_fraction(axes[3], frame, config)
    return {NAME: fig}
