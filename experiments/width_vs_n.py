"""Width vs n: how wide must a two-layer ReLU net be for gradient descent to fit n points?

The flagship sweep (``ntkconv sweep width-vs-n [--quick]``). For each n and each width m on a
geometric grid, GD trains R seeds (one ``vmap``-ped ensemble per (n, labels, m)) and records
whether the train loss reached ε; m*(n) is the smallest width at which at least a fraction q of
the seeds fit, interpolated on log m between grid widths. The fitted exponent m* ∝ n^α comes with
a bootstrap interval (seeds resampled within each n). The same random labels are memorized by
the explicit constructions of Yun, Sra & Jadbabaie (2019) and Zhang et al. (2017), whose
parameter counts are measured next to GD's (issue: construction vs gradient descent).

Set-up (Du, Zhai, Póczos, Singh, ICLR 2019, §3): f(x) = aᵀ relu(Wx)/√m, x_i uniform on
S^{d−1}, a_r ~ Unif{±1} fixed, W(0) ~ N(0, I), GD on W for L = (1/2n)Σ(f(x_i) − y_i)² with step
η = n/λ_max(H(0)) (i.e. 1/β for the ½Σ loss, β the Gram's top eigenvalue at init), at most T
steps, stopping at L ≤ ε. Labels: ``random`` (y_i ~ Unif{±1}) or ``teacher`` (a fixed random
two-layer ReLU net of width 4, labels rescaled to mean square 1). The data depend on (n, labels,
seed) only, so every width sees the same datasets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import sympy as sp
import torch
from matplotlib.figure import Figure
from torch.func import vmap

import ntkconv as nc

n_, d_, lam0_, delta_ = sp.symbols("n d lambda_0 delta", positive=True)

#: Sufficient widths from the lecture's theory table (Song et al. 2021, Table 1). Du et al. state
#: m = Ω(n⁶/(λ₀⁴δ³)) with no constant; the others state orders (Ω̃) only. All are drawn with
#: constant 1, so only their slopes are comparable with the measured m*(n).
THEORY: dict[str, sp.Expr] = {
    "Du et al. 2019": n_**6 / (lam0_**4 * delta_**3),
    "Oymak & Soltanolkotabi 2020": n_**2 / d_,
    "Song et al. 2021 (smooth σ)": n_ ** sp.Rational(3, 2),
    "Kawaguchi & Huang 2019": n_,
}
_THEORY_FNS = {k: sp.lambdify((n_, d_, lam0_, delta_), v, "numpy") for k, v in THEORY.items()}


def _widths(top: int) -> list[int]:
    """Geometric widths 1, √2, 2, … (rounded, deduplicated) up to ``top``."""
    return sorted({round(2 ** (k / 2)) for k in range(int(2 * np.log2(top)) + 1)})


def sweep(quick: bool = False, seed: int = 0) -> nc.Sweep:
    """The sweep; ``quick``: n ≤ 64 (about a minute on two cores), else n up to 512."""
    seed = nc.check_seed(seed)
    ns = [16, 32, 64] if quick else [16, 32, 64, 128, 256, 512]
    config = {
        "d": 16,
        "steps": 2000,  # T, the step budget
        "eps": 1e-3,  # fit criterion on L = (1/2n)Σ(f − y)²
        "quantile": 0.8,  # m*: smallest width where at least this fraction of seeds fit
        "delta": 0.2,  # failure probability put into Du et al.'s width (1 − quantile)
        "checkpoints": 20,  # Gram drift is evaluated every T/checkpoints steps
        "teacher_width": 4,
        "seed": seed,
    }
    reps = list(range(5))
    return nc.Sweep(
        name="width-vs-n",
        grid=[
            {
                "method": ["gd"],
                "n": ns,
                "labels": ["random", "teacher"],
                "width": _widths(1024 if quick else 4096),
                "rep": reps,
            },
            {"method": ["yun", "zhang"], "n": ns, "labels": ["random"], "rep": reps},
        ],
        cell=run_cells,
        config=config,
        batch_axis="rep",
        summarize=summarize,
        figures=figures,
        description=__doc__.split("\n\n")[0],
    )


def dataset(n: int, labels: str, rep: int, config: Mapping[str, Any]) -> tuple[torch.Tensor, ...]:
    """(X, y) for one seed: X uniform on S^{d−1}; y random ±1 or a teacher's rescaled outputs."""
    d = config["d"]
    gen = nc.generator(nc.derive_seed(config["seed"], "data", n, labels, rep))
    X = nc.sphere_inputs(n, d, gen)
    if labels == "random":
        return X, 2 * torch.randint(0, 2, (n,), generator=gen, dtype=torch.float64) - 1
    teacher = nc.TwoLayerNet(d, config["teacher_width"])
    y = teacher(teacher.init(int(torch.randint(0, 2**31, (1,), generator=gen))), X)
    return X, y / y.pow(2).mean().sqrt()


def run_cells(cells: list[nc.Cell], config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One task: all seeds of one (method, n, labels[, width])."""
    first = cells[0].coords
    if first["method"] not in ("gd", "yun", "zhang"):
        raise ValueError(f"unknown method {first['method']!r}; expected 'gd', 'yun' or 'zhang'")
    data = [dataset(first["n"], first["labels"], c.coords["rep"], config) for c in cells]
    if first["method"] == "gd":
        return _gd(cells, data, config)
    return [
        _construct(first["method"], X, y, c.seed) for c, (X, y) in zip(cells, data, strict=True)
    ]


def _gd(cells: list[nc.Cell], data: list, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    n, width, d = cells[0].coords["n"], cells[0].coords["width"], config["d"]
    net = nc.TwoLayerNet(d, width)
    X = torch.stack([x for x, _ in data])
    y = torch.stack([t for _, t in data])
    params = nc.stack_params([net.init(c.seed) for c in cells])
    gram = vmap(net.structured_ntk)
    gram0 = gram(params, X)
    evals0 = torch.linalg.eigvalsh(gram0)
    lam0 = [nc.lambda_min(nc.relu_ntk_infinite(x)) for x in X]
    drift = torch.zeros(len(cells), dtype=torch.float64)

    def track(k: int, p: nc.Params) -> None:
        nonlocal drift
        if k == 0:  # G(0) is gram0, already computed
            return
        change = torch.linalg.eigvalsh(gram(p, X) - gram0).abs().amax(dim=1)
        drift = torch.maximum(drift, change)

    traj = nc.train_ensemble(
        net,
        params,
        X,
        y,
        lr=n / evals0[:, -1],
        steps=config["steps"],
        reduction="half_mean",
        target_loss=config["eps"],
        record_every=max(1, config["steps"] // config["checkpoints"]),
        observe=track,
        progress=False,
    )
    # Points on which every unit is inactive: f = 0 there and the gradient vanishes, so GD can
    # never fit them (they make the loss plateau at multiples of 1/(2n) at small widths).
    dead = (~vmap(net.activation_pattern)(traj.params, X).any(dim=-1)).sum(dim=-1)
    return [
        {
            "fit": bool(traj.reached[s]),
            "dead_points": int(dead[s]),
            "diverged": bool(traj.diverged[s]),
            "steps_run": int(traj.stopped_at[s]),
            "final_loss": float(traj.final_loss[s]),
            "lr": float(n / evals0[s, -1]),
            "lambda_min_G0": float(evals0[s, 0]),
            "lambda_max_G0": float(evals0[s, -1]),
            "gram_drift": float(drift[s]),
            "lambda_0": float(lam0[s]),
            "n_params": width * (d + 1),
        }
        for s in range(len(cells))
    ]


def _construct(method: str, X: torch.Tensor, y: torch.Tensor, seed: int) -> dict[str, Any]:
    """Build an explicit memorizer of (X, y) and measure it."""
    n, d = X.shape
    if method == "yun":
        # Smallest equal hidden widths meeting Yun et al.'s condition 4⌊d1/4⌋⌊d2/4⌋ ≥ n.
        width = next(w for w in range(4, 4 * n + 5, 4) if nc.yun_capacity(w, w) >= n)
        net, params = nc.yun_memorizer(X, y, width, width, seed=seed)
        n_params = net.n_params(params.keys())
    else:
        net, params = nc.zhang_memorizer(X, y, seed=seed)
        n_params = 2 * n + d  # Zhang et al.'s count: shared direction a, n biases, n weights
    # No timings in records: a restarted or distributed sweep must reproduce the table exactly
    # (construction times are reported by ``ntkconv check yun-memorization``).
    return {
        "fit": True,
        "n_params": int(n_params),
        "max_error": float(nc.abs_residuals(net, params, X, y).max()),
        "max_weight": float(max(v.abs().max() for v in params.values())),
    }


def threshold_width(widths: np.ndarray, fractions: np.ndarray, q: float) -> float:
    """Smallest width where the fit fraction reaches q, interpolated on log m between the last
    width below q and the first at or above it; NaN if no width reaches q."""
    above = np.flatnonzero(fractions >= q)
    if above.size == 0:
        return float("nan")
    k = above[0]
    if k == 0:
        return float(widths[0])
    f0, f1 = fractions[k - 1], fractions[k]
    t = (q - f0) / (f1 - f0)
    return float(np.exp(np.log(widths[k - 1]) + t * np.log(widths[k] / widths[k - 1])))


def _m_star(fit: np.ndarray, widths: np.ndarray, q: float) -> float:
    """m* from a (widths × seeds) boolean fit table."""
    return threshold_width(widths, fit.mean(axis=1), q)


def _slope(ns: np.ndarray, ms: np.ndarray) -> float:
    return float(np.polyfit(np.log(ns), np.log(ms), 1)[0])


def _interval(draws: np.ndarray) -> list[float]:
    """95% percentile interval of the finite bootstrap draws (NaNs if none is finite)."""
    finite = draws[np.isfinite(draws)]
    return np.percentile(finite, [2.5, 97.5]).tolist() if finite.size else [np.nan, np.nan]


def _gd_summary(gd: pd.DataFrame, config: Mapping[str, Any], boot: int = 2000) -> dict[str, Any]:
    q = config["quantile"]
    rng = np.random.default_rng(config["seed"])
    out: dict[str, Any] = {}
    for labels, part in gd.groupby("labels"):
        ns, tables = [], []
        for n, rows in part.groupby("n"):
            table = rows.pivot(index="width", columns="rep", values="fit").sort_index()
            ns.append(int(n))
            tables.append((table.index.to_numpy(float), table.to_numpy(bool)))
        m_star = np.array([_m_star(fit, w, q) for w, fit in tables])
        # Bootstrap: resample seeds (columns) within each n; the widths share each seed's data.
        draws = np.array(
            [
                [
                    _m_star(fit[:, rng.integers(0, fit.shape[1], fit.shape[1])], w, q)
                    for w, fit in tables
                ]
                for _ in range(boot)
            ]
        )
        ok = np.isfinite(m_star)
        record: dict[str, Any] = {
            "n": ns,
            "m_star": m_star.tolist(),
            "m_star_ci": [_interval(column) for column in draws.T],
            "censored_n": [n for n, good in zip(ns, ok, strict=True) if not good],
        }
        if ok.sum() >= 2:
            # Successive slopes show curvature a single exponent hides (e.g. a step budget
            # that starts to bind at large n).
            kept_n, kept_m = np.array(ns)[ok], m_star[ok]
            record["local_alpha"] = (np.diff(np.log(kept_m)) / np.diff(np.log(kept_n))).tolist()
            slopes = [_slope(kept_n, b[ok]) for b in draws if np.isfinite(b[ok]).all()]
            record["alpha"] = _slope(kept_n, kept_m)
            record["alpha_ci"] = np.percentile(slopes, [2.5, 97.5]).tolist()
        out[labels] = record
    return out


def summarize(frame: pd.DataFrame, config: Mapping[str, Any]) -> dict[str, Any]:
    """m*(n) per label kind with α and its bootstrap CI; constructions' counts and exponents;
    the theory widths at each n (Du et al.'s with the mean measured λ₀ and δ)."""
    summary: dict[str, Any] = {}
    gd = frame[frame.method == "gd"]
    if not gd.empty:
        summary["gd"] = _gd_summary(gd, config)
        ns = np.array(sorted(gd.n.unique()), dtype=float)
        lam0 = gd.groupby("n")["lambda_0"].mean().to_numpy()
        summary["theory_width"] = {
            name: np.broadcast_to(fn(ns, config["d"], lam0, config["delta"]), ns.shape).tolist()
            for name, fn in _THEORY_FNS.items()
        }
        summary["theory_latex"] = {name: sp.latex(expr) for name, expr in THEORY.items()}
        summary["lambda_0"] = lam0.tolist()
    for method in ("yun", "zhang"):
        rows = frame[frame.method == method]
        if rows.empty:
            continue
        counts = rows.groupby("n").n_params.mean()
        ns_built = counts.index.to_numpy(float)
        summary[method] = {
            "n": counts.index.tolist(),
            "n_params": counts.tolist(),
            "alpha": _slope(ns_built, counts.to_numpy(float)) if len(ns_built) > 1 else np.nan,
            "max_error": float(rows.max_error.max()),
            "max_weight": float(rows.max_weight.max()),
        }
    return summary


_STYLE = {  # one colour per series across panels and figures
    "random": ("o", "C0"),
    "teacher": ("s", "C1"),
    "yun": ("^", "C2"),
    "zhang": ("v", "C3"),
}
_THEORY_STYLE = [("gray", (0, (1, 1))), ("C4", (0, (3, 1))), ("C5", (0, (5, 2))), ("C7", "-.")]


def plot_scaling_vs_n(
    ax: Any, summary: Mapping[str, Any], config: Mapping[str, Any], *, parameters: bool
) -> None:
    """GD's m*(n) (bootstrap 95% bars, fitted α), the theory widths and — in parameter units,
    ``parameters=True``, where a width m counts m(d + 1) weights — the constructions' counts.
    The y-range stops at 100× the largest measured value, so Du et al.'s width is drawn but
    clipped; its value at the largest n is in the legend."""
    scale = config["d"] + 1 if parameters else 1
    ns = np.array(next(iter(summary["gd"].values()))["n"], dtype=float)
    measured = []
    for labels, rec in summary["gd"].items():
        marker, colour = _STYLE[labels]
        m, ci = np.array(rec["m_star"]) * scale, np.array(rec["m_star_ci"]) * scale
        alpha = (
            f", α = {rec['alpha']:.2f} [{rec['alpha_ci'][0]:.2f}, {rec['alpha_ci'][1]:.2f}]"
            if "alpha" in rec
            else ""
        )
        ax.errorbar(
            ns,
            m,
            yerr=[m - ci[:, 0], ci[:, 1] - m],
            fmt=marker + "-",
            color=colour,
            capsize=3,
            label=f"GD m*, {labels} labels{alpha}",
        )
        measured.append(ci[:, 1])
    if parameters:
        for method, label in (("yun", "Yun et al. 3-layer"), ("zhang", "Zhang et al. 2n + d")):
            if method not in summary:
                continue
            rec, (marker, colour) = summary[method], _STYLE[method]
            ax.plot(
                rec["n"],
                rec["n_params"],
                marker + "--",
                color=colour,
                label=f"{label} (built, error ≤ {rec['max_error']:.0e}), α = {rec['alpha']:.2f}",
            )
            measured.append(np.array(rec["n_params"], dtype=float))
    for (name, widths), (colour, style) in zip(
        summary["theory_width"].items(), _THEORY_STYLE, strict=True
    ):
        values = np.array(widths) * scale
        ax.plot(
            ns,
            values,
            color=colour,
            linestyle=style,
            lw=1.2,
            label=f"{name}: ${summary['theory_latex'][name]}$ = {values[-1]:.2g} at n = {ns[-1]:g}",
        )
    top = 100 * max(float(np.nanmax(v, initial=1.0)) for v in measured)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="n",
        ylim=(0.5 if not parameters else 10, top),
        ylabel="parameters" if parameters else "width m",
    )
    ax.set_xticks(ns, labels=[f"{n:g}" for n in ns])  # after the log scale, which resets ticks
    ax.set_xticks([], minor=True)
    ax.legend(fontsize=6)


def figures(
    frame: pd.DataFrame, summary: Mapping[str, Any], config: Mapping[str, Any]
) -> dict[str, Figure]:
    """``width-vs-n``: m*(n) with theory widths, parameter counts, λ_min(G(0)) and Gram drift vs
    m per n; ``construction-vs-gd``: the parameter-count panel on its own (none without GD)."""
    if "gd" not in summary:
        return {}
    q, eps = config["quantile"], config["eps"]
    fig, axes = nc.panel_grid(
        [
            f"smallest width m* fitting {q:.0%} of seeds (ε = {eps}, T = {config['steps']})",
            "parameters: GD vs constructions vs theory",
            "λ_min(G(0)), random labels (mean over seeds)",
            "max_k ‖G(k) − G(0)‖₂, random labels (mean over seeds)",
        ],
        ncols=2,
        size=(5.0, 4.25),
    )
    plot_scaling_vs_n(axes[0], summary, config, parameters=False)
    plot_scaling_vs_n(axes[1], summary, config, parameters=True)
    gd = frame[(frame.method == "gd") & (frame.labels == "random")]
    for column, ax in (("lambda_min_G0", axes[2]), ("gram_drift", axes[3])):
        for n, rows in gd.groupby("n"):
            mean = rows.groupby("width")[column].mean()
            keep = mean > 0
            ax.plot(mean.index[keep], mean[keep], "o-", ms=3, label=f"n = {n}")
        ax.set(xscale="log", yscale="log", xlabel="width m")
        ax.legend(fontsize=6)
    alone, (single,) = nc.panel_grid(
        ["construction vs gradient descent: parameters to fit n points"]
    )
    plot_scaling_vs_n(single, summary, config, parameters=True)
    return {"width-vs-n": fig, "construction-vs-gd": alone}
