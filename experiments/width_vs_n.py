"""Width vs n: how wide must a two-layer ReLU net be for gradient descent to fit n points?

The flagship sweep (``ntkconv sweep width-vs-n [--quick]``). For each n, GD trains R seeds (one
``vmap``-ped ensemble per (n, labels, width)) and records whether the train loss reached ε
within the run's *budget*: ``budget_factor`` × T_rate, the steps the linear convergence rate
of GD on its initial kernel needs, capped at ``max_steps`` (a run whose budget hit the cap and
did not fit is *censored*).
m*(n) is the width at which a fraction q of the seeds fit, read off a logistic fit of the
fit probability against log m (:func:`threshold_width`); the widths are searched by bisection
on a geometric grid (``search="bisect"``, the default) or all evaluated (``search="grid"``).
The fitted exponent m* ∝ n^α comes with a bootstrap interval (seeds resampled within each n).
The same random labels are memorized by the explicit constructions of Yun, Sra & Jadbabaie
(2019) and Zhang et al. (2017), whose parameter counts are measured next to GD's.

Set-up (Du, Zhai, Póczos, Singh, ICLR 2019, §3): f(x) = aᵀ relu(Wx)/√m, x_i uniform on
S^{d−1}, a_r ~ Unif{±1} fixed, W(0) ~ N(0, I), GD on W for L = (1/2n)Σ(f(x_i) − y_i)² with step
η = n/λ_max(G(0)) (i.e. 1/β for the ½Σ loss, β the Gram's top eigenvalue at init), stopping at
L ≤ ε. Labels: ``random`` (y_i ~ Unif{±1}) or ``teacher`` (a fixed random two-layer ReLU net
of width 4, labels rescaled to mean square 1). The data depend on (n, labels, seed) only, so
every width sees the same datasets.

Step counts of the linearization (Du et al.'s Thm 4.1 argument, their rate with the measured
G(0) in place of λ₀): with G(0) = Σ λ_i v_i v_iᵀ and r(0) = f(X) − y, the linearized residual
after k steps is Σ (1 − λ_i/λ_max)^k (v_iᵀ r(0)) v_i. Its loss is at most
(1 − λ_min/λ_max)^{2k} L(0), so T_rate = ⌈log(L(0)/ε) / (−2 log(1 − λ_min/λ_max))⌉ steps
suffice — the budget's unit, infinite when λ_min(G(0)) ≤ 0; exactly it is
L_lin(k) = (1/2n) Σ (1 − λ_i/λ_max)^{2k} (v_iᵀ r(0))², and T_lin, its first k with
L_lin(k) ≤ ε, is recorded as the sharper prediction of GD's steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sympy as sp
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter
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
#: Each theory width's exponent in n (d, λ₀ and δ held fixed).
THEORY_ALPHA = {k: float(sp.simplify(n_ * sp.diff(sp.log(v), n_))) for k, v in THEORY.items()}

LABELS = ("random", "teacher")
SEARCHES = ("bisect", "grid")

#: The settings a user may change (``ntkconv sweep width-vs-n --set KEY=VALUE`` or
#: ``--config FILE``), with the full sweep's defaults; ``--quick`` changes ``ns`` to
#: [16, 32, 64], ``width_max`` to 1024 and ``max_steps`` to 20 000.
DEFAULTS: dict[str, Any] = {
    "ns": [16, 32, 64, 128, 256, 512],  # the n axis (or give n_max: powers of 2 from 16)
    "d": 16,  # input dimension
    "eps": 1e-3,  # fit criterion on L = (1/2n)Σ(f − y)²
    "quantile": 0.8,  # m*: smallest width where at least this fraction of seeds fit
    "delta": 0.2,  # failure probability put into Du et al.'s width (1 − quantile)
    "budget_factor": 4.0,  # a run may take this many times T_rate, the linear rate's steps
    "max_steps": 50_000,  # ... but never more; capped runs that do not fit are censored
    "labels": list(LABELS),
    "width_max": 4096,  # the width grid: 1 … width_max, widths_per_octave per doubling
    "widths_per_octave": 4,
    "reps": 5,  # seeds per (n, labels, width), trained as one ensemble
    "checkpoints": 20,  # Gram drift is evaluated at this many points of a run (0: never)
    "teacher_width": 4,
    # the student: its activation (a name for ntkconv.get_activation) and whether the output
    # layer a is trained too (Du et al.: W only, ReLU; Song et al. 2021: both layers, smooth σ)
    "activation": "relu",
    "train_output": False,
    # what else runs next to GD: the explicit constructions (random labels); GD on Du et al.'s
    # ReLU, W-only student as a reference series (method "gd-relu"); and the lazy cells
    # (method "lazy"): GD at one wide width lazy_width for each n in lazy_ns, whose steps to ε
    # against T_lin test the linearization sharply (they take no part in m*)
    "constructions": True,
    "relu_reference": False,
    "lazy_ns": [],
    "lazy_width": 4096,
    # where GD and the Gram run ("cpu", "cuda", "cuda:1", …); the data and initial weights are
    # drawn on the CPU, so every device trains the same datasets from the same weights
    "device": "cpu",
}
QUICK = {"ns": [16, 32, 64], "width_max": 1024, "max_steps": 20_000}
#: The smooth-activation variant (``ntkconv sweep width-vs-n-smooth``): Song et al.'s (NeurIPS
#: 2021) setting — softplus, both layers trained — with the ReLU, W-only reference on the same
#: grid and the lazy cells at n = 16; random labels, no constructions, no Gram checkpoints.
SMOOTH_DEFAULTS: dict[str, Any] = {
    **DEFAULTS,
    "activation": "softplus",
    "train_output": True,
    "labels": ["random"],
    "checkpoints": 0,
    "constructions": False,
    "relu_reference": True,
    "lazy_ns": [16],
}
#: The methods whose cells decide an m*: GD on the configured student, and on the reference.
GD_METHODS = ("gd", "gd-relu")


def width_grid(top: int, per_octave: int = 4) -> list[int]:
    """The width grid: 2^(k/per_octave) rounded and deduplicated, from 1 up to ``top``."""
    count = round(per_octave * math.log2(top))
    return sorted({round(2 ** (k / per_octave)) for k in range(count + 1)} & set(range(1, top + 1)))


def _int(value: object, key: str, low: int = 1, sweep: str = "width-vs-n") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{sweep} setting {key!r} must be an integer >= {low}; got {value!r}")
    return value


def _real(
    value: object, key: str, low: float, high: float = math.inf, sweep: str = "width-vs-n"
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < value < high:
        raise ValueError(
            f"{sweep} setting {key!r} must be a number in ({low}, {high}); got {value!r}"
        )
    return float(value)


def _device(value: object, sweep: str = "width-vs-n") -> str:
    """A torch device this process can compute on, as its canonical string."""
    try:
        device = torch.device(value)  # type: ignore[arg-type]
    except (TypeError, RuntimeError):
        raise ValueError(
            f"{sweep} setting 'device' must name a torch device ('cpu', 'cuda', 'cuda:1'); "
            f"got {value!r}"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{sweep} setting 'device' is {value!r}, but torch sees no CUDA device")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"{sweep} setting 'device' must be a CPU or CUDA device; got {value!r}")
    return str(device)


def resolve_settings(
    quick: bool = False,
    overrides: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] = DEFAULTS,
) -> dict[str, Any]:
    """The validated settings: ``defaults`` (:data:`DEFAULTS` or :data:`SMOOTH_DEFAULTS`), then
    :data:`QUICK` if ``quick``, then the user's ``overrides`` (``n_max`` expands to ``ns`` =
    16, 32, …, n_max; ``search`` is returned too). Raises ``ValueError`` naming the setting
    and what it takes."""
    overrides = dict(overrides or {})
    known = {*defaults, "n_max", "search"}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown width-vs-n settings {unknown}; known: {sorted(known)}")
    out = {**defaults, **(QUICK if quick else {}), "search": "bisect"}
    if "n_max" in overrides:
        if "ns" in overrides:
            raise ValueError("give either ns or n_max, not both")
        top = _int(overrides.pop("n_max"), "n_max", 16)
        overrides["ns"] = [2**k for k in range(4, int(math.log2(top)) + 1)]
    out.update(overrides)
    ns = out["ns"]
    if not isinstance(ns, list) or not ns:
        raise ValueError(f"width-vs-n setting 'ns' must be a non-empty list; got {ns!r}")
    out["ns"] = sorted({_int(n, "ns", 2) for n in ns})
    lazy_ns = out["lazy_ns"]
    if not isinstance(lazy_ns, list):
        raise ValueError(f"width-vs-n setting 'lazy_ns' must be a list; got {lazy_ns!r}")
    out["lazy_ns"] = sorted({_int(n, "lazy_ns", 2) for n in lazy_ns})
    keys = ("d", "max_steps", "width_max", "widths_per_octave", "reps", "teacher_width")
    for key in (*keys, "lazy_width"):
        out[key] = _int(out[key], key)
    out["checkpoints"] = _int(out["checkpoints"], "checkpoints", 0)
    out["eps"] = _real(out["eps"], "eps", 0.0)
    out["quantile"] = _real(out["quantile"], "quantile", 0.0, 1.0 + 1e-12)
    out["delta"] = _real(out["delta"], "delta", 0.0, 1.0)
    out["budget_factor"] = _real(out["budget_factor"], "budget_factor", 1.0 - 1e-12)
    try:
        nc.get_activation(out["activation"])
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"width-vs-n setting 'activation' must be an activation name; {err}"
        ) from None
    for key in ("train_output", "constructions", "relu_reference"):
        if not isinstance(out[key], bool):
            raise ValueError(f"width-vs-n setting {key!r} must be true or false; got {out[key]!r}")
    labels = out["labels"]
    if not isinstance(labels, list) or not labels or not set(labels) <= set(LABELS):
        raise ValueError(
            f"width-vs-n setting 'labels' must be a list from {LABELS}; got {labels!r}"
        )
    out["labels"] = [k for k in LABELS if k in labels]
    out["device"] = _device(out["device"])
    if out["search"] not in SEARCHES:
        raise ValueError(
            f"width-vs-n setting 'search' must be one of {SEARCHES}; got {out['search']!r}"
        )
    return out


def sweep(
    quick: bool = False, seed: int = 0, settings: Mapping[str, Any] | None = None
) -> nc.Sweep:
    """The sweep; ``quick``: n ≤ 64 (under two minutes on two cores), else n up to 512.
    ``settings``: overrides of :data:`DEFAULTS` (see :func:`resolve_settings`)."""
    return _sweep("width-vs-n", DEFAULTS, quick, seed, settings)


def smooth_sweep(
    quick: bool = False, seed: int = 0, settings: Mapping[str, Any] | None = None
) -> nc.Sweep:
    """The smooth-activation variant (``width-vs-n-smooth``): softplus, both layers trained,
    next to the ReLU, W-only reference and with lazy cells; ``settings``: overrides of
    :data:`SMOOTH_DEFAULTS`."""
    return _sweep("width-vs-n-smooth", SMOOTH_DEFAULTS, quick, seed, settings)


def _sweep(
    name: str,
    defaults: Mapping[str, Any],
    quick: bool,
    seed: int,
    settings: Mapping[str, Any] | None,
) -> nc.Sweep:
    seed = nc.check_seed(seed)
    chosen = resolve_settings(quick, settings, defaults)
    search = chosen.pop("search")
    config = {**chosen, "seed": seed}  # the search is not part of the config: both share cells
    grid_widths = width_grid(config["width_max"], config["widths_per_octave"])
    reps = list(range(config["reps"]))
    start = [grid_widths[nc.bisect_threshold({}, len(grid_widths))]]
    gd = {
        "method": ["gd", "gd-relu"] if config["relu_reference"] else ["gd"],
        "n": config["ns"],
        "labels": config["labels"],
        "width": grid_widths if search == "grid" else start,
        "rep": reps,
    }
    grid = [gd]
    if config["lazy_ns"]:
        grid.append({**gd, "method": ["lazy"], "n": config["lazy_ns"],
                     "width": [config["lazy_width"]]})  # fmt: skip
    if config["constructions"] and "random" in config["labels"]:
        grid.append(
            {"method": ["yun", "zhang"], "n": config["ns"], "labels": ["random"], "rep": reps}
        )
    return nc.Sweep(
        name=name,
        grid=grid,
        cell=run_cells,
        config=config,
        batch_axis="rep",
        summarize=summarize,
        figures=figures,
        description=__doc__.split("\n\n")[0],
        refine=refine if search == "bisect" else None,
        # Which n, labels and widths are on the grid changes no cell's computation: a run
        # with a larger n_max (or the full grid after the bisection) reuses the stored cells.
        # So do the switches that add cells beside GD's.
        unkeyed=(
            *("ns", "labels", "width_max", "widths_per_octave", "quantile", "delta"),
            *("constructions", "relu_reference", "lazy_ns", "lazy_width"),
        ),
    )


def refine(frame: pd.DataFrame, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The next width of every (method, n, labels) whose bisection has not converged
    (:func:`next_widths`)."""
    return next_widths(frame[frame.method.isin(GD_METHODS)], ("method", "n", "labels"), config)


def next_widths(
    frame: pd.DataFrame, keys: Sequence[str], config: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """For every group of ``frame`` by ``keys`` whose bisection has not converged, the grid
    point of its next width (all ``reps`` seeds): :func:`ntkconv.bisect_threshold` on "at
    least a fraction q of the seeds fit", with two confirmations below the crossing (they also
    give the logistic fit of m* points on both sides)."""
    grid_widths = width_grid(config["width_max"], config["widths_per_octave"])
    index = {m: i for i, m in enumerate(grid_widths)}
    points = []
    for values, rows in frame.groupby(list(keys)):
        fraction = rows.groupby("width")["fit"].mean()
        seen = {index[int(m)]: bool(f >= config["quantile"]) for m, f in fraction.items()}
        nxt = nc.bisect_threshold(seen, len(grid_widths), confirm=2)
        if nxt is not None:
            # numpy scalars back to Python ones: the coordinates key the cells as JSON
            plain = [v.item() if hasattr(v, "item") else v for v in values]
            coords = {k: [v] for k, v in zip(keys, plain, strict=True)}
            points.append(
                {**coords, "width": [grid_widths[nxt]], "rep": list(range(config["reps"]))}
            )
    return points


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
    methods = (*GD_METHODS, "lazy", "yun", "zhang")
    if first["method"] not in methods:
        raise ValueError(f"unknown method {first['method']!r}; expected one of {methods}")
    data = [dataset(first["n"], first["labels"], c.coords["rep"], config) for c in cells]
    if first["method"] in (*GD_METHODS, "lazy"):
        return _gd(cells, data, config)
    return [
        _construct(first["method"], X, y, c.seed) for c, (X, y) in zip(cells, data, strict=True)
    ]


def linear_steps(evals: torch.Tensor, proj_sq: torch.Tensor, n: int, eps: float) -> float:
    """T_lin: the first k with L_lin(k) = (1/2n) Σ (1 − λ_i/λ_max)^{2k} c_i² ≤ ε, for GD with
    step n/λ_max on the linearized model (c_i = v_iᵀ r(0)); ``inf`` if it is never reached.

    Args:
        evals: (n,) eigenvalues of G(0), ascending.
        proj_sq: (n,) squared projections c_i² of the initial residual on the eigenvectors.
        n: the number of points (the loss's 1/2n).
        eps: the target loss.

    Returns:
        T_lin as a float (an integer value, or ``inf``).
    """
    ratio = (evals / evals[-1]).clamp(0.0, 1.0)
    log_rate = torch.log1p(-ratio)  # log(1 − λ_i/λ_max) ≤ 0, −inf for the top direction
    weights = proj_sq / (2 * n)

    def loss(k: float) -> float:
        if k == 0:
            return float(weights.sum())
        return float((weights * torch.exp(2 * k * log_rate)).sum())

    if loss(0) <= eps:
        return 0.0
    if float(weights[log_rate == 0].sum()) > eps:  # the null space's share alone exceeds ε
        return math.inf
    hi = 1  # integers: float bisection stalls once steps pass 2^53
    while loss(hi) > eps:
        hi *= 2
        if hi > 2**53:
            return math.inf
    lo = hi // 2 if hi > 1 else 0  # loss(lo) > ε ≥ loss(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if loss(mid) > eps else (lo, mid)
    return float(hi)


def rate_steps(lambda_min: float, lambda_max: float, loss0: float, eps: float) -> float:
    """T_rate: the steps the linear rate needs, the first k with
    (1 − λ_min/λ_max)^{2k} L(0) ≤ ε — GD with step n/λ_max on the linearized model contracts
    every direction of the residual at least that fast; ``inf`` if λ_min ≤ 0.

    Examples:
        >>> rate_steps(0.5, 1.0, 1.0, 1 / 16)  # (1/2)^{2k} ≤ 1/16 from k = 2
        2.0
    """
    if loss0 <= eps:
        return 0.0
    if lambda_min <= 0:
        return math.inf
    return float(math.ceil(math.log(loss0 / eps) / (-2 * math.log1p(-lambda_min / lambda_max))))


def ensemble_on(
    net: nc.TwoLayerNet | nc.DeepNet, cells: list[nc.Cell], data: list, device: torch.device
) -> tuple[nc.Params, torch.Tensor, torch.Tensor]:
    """One member per cell: its initial weights (from the cell's seed) and its dataset, stacked
    and moved to ``device`` (the draws stay on the CPU, so every device trains the same)."""
    params = {
        k: v.to(device) for k, v in nc.stack_params([net.init(c.seed) for c in cells]).items()
    }
    X = torch.stack([x for x, _ in data]).to(device)
    y = torch.stack([t for _, t in data]).to(device)
    return params, X, y


def run_to_fit(
    net: nc.TwoLayerNet | nc.DeepNet,
    params: nc.Params,
    X: torch.Tensor,
    y: torch.Tensor,
    config: Mapping[str, Any],
    observe: Callable[[torch.Tensor], Callable[[int, nc.Params], None]] | None = None,
    checkpoints: int = 0,
) -> tuple[nc.EnsembleTrajectory, list[dict[str, Any]]]:
    """GD on S stacked members under the sweep's fit criterion, and what decides each fit.

    Each member gets the step n/λ_max(G(0)) on L = (1/2n)Σ(f − y)² and a budget of
    ``budget_factor`` × T_rate steps (:func:`rate_steps`), capped at ``max_steps``; T_lin
    (:func:`linear_steps`) is recorded next to it. All members run to the largest budget (a
    member that reaches ε stops there); one fits if it reached ε within its own budget.

    Args:
        net: the model, with ``structured_ntk`` over its trainable params.
        params: the S members' params, stacked on a leading axis, on ``config["device"]``.
        X: (S, n, d) inputs, one dataset per member.
        y: (S, n) targets.
        config: the sweep's settings (``eps``, ``budget_factor``, ``max_steps``).
        observe: given the stacked G(0) (S, n, n), a callback for ``train_ensemble``'s
            ``observe``, called at ``checkpoints`` evenly spaced steps (and step 0).
        checkpoints: how many recorded steps a run has besides its first and last (0: none).

    Returns:
        The trajectory and, per member, a record: fit, censored, budget, steps_rate,
        steps_linear, steps_run, diverged, final_loss, lr, lambda_min_G0, lambda_max_G0
        (a member whose G(0) is 0 cannot move: budget 0, lr NaN, not censored).
    """
    n = X.shape[1]
    gram0 = vmap(net.structured_ntk)(params, X)
    evals0, vecs0 = torch.linalg.eigh(gram0)
    residual = vmap(net)(params, X) - y
    proj_sq = (vecs0.mT @ residual.unsqueeze(-1)).squeeze(-1) ** 2
    # T_lin's bisection reads its loss once per trial k: on the host, not once per GPU sync
    t_lin = [
        linear_steps(e, p, n, config["eps"])
        for e, p in zip(evals0.cpu(), proj_sq.cpu(), strict=True)
    ]
    loss0 = (residual**2).sum(-1) / (2 * n)
    t_rate = [
        rate_steps(float(e[0]), float(e[-1]), float(l0), config["eps"])
        for e, l0 in zip(evals0, loss0, strict=True)
    ]
    # G(0) = 0 (every unit inactive on every point, as in a narrow deep ReLU net): J = 0, so
    # GD cannot move at any step size; such a member fits only if it starts within ε.
    stuck = (evals0[:, -1] <= 0).tolist()
    wanted = [0.0 if s else config["budget_factor"] * t for s, t in zip(stuck, t_rate, strict=True)]
    budget = [config["max_steps"] if w > config["max_steps"] else math.ceil(w) for w in wanted]
    lr = torch.where(evals0[:, -1] > 0, n / evals0[:, -1], 1.0)
    steps = max(budget)
    every = max(1, steps // checkpoints) if checkpoints else steps + 1
    traj = nc.train_ensemble(
        net,
        params,
        X,
        y,
        lr=lr,
        steps=steps,
        reduction="half_mean",
        target_loss=config["eps"],
        record_every=every,
        observe=observe(gram0) if observe is not None else None,
        progress=False,
    )
    records = []
    for s in range(len(budget)):
        fit = bool(traj.reached[s]) and int(traj.stopped_at[s]) <= budget[s]
        records.append(
            {
                "fit": fit,
                # The budget hit the cap and the run did not fit: more steps might have fitted.
                "censored": not fit and wanted[s] > config["max_steps"],
                "budget": budget[s],
                "steps_rate": t_rate[s],
                "steps_linear": t_lin[s],
                "steps_run": int(traj.stopped_at[s]),
                "diverged": bool(traj.diverged[s]),
                "final_loss": float(traj.final_loss[s]),
                "lr": math.nan if stuck[s] else float(lr[s]),
                "lambda_min_G0": float(evals0[s, 0]),
                "lambda_max_G0": float(evals0[s, -1]),
            }
        )
    return traj, records


def _gd(cells: list[nc.Cell], data: list, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    width, d = cells[0].coords["width"], config["d"]
    if cells[0].coords["method"] == "gd-relu":  # Du et al.'s student, the reference series
        activation, train_output = "relu", False
    else:
        activation, train_output = config["activation"], config["train_output"]
    trained = ("W", "a") if train_output else ("W",)
    net = nc.TwoLayerNet(d, width, activation, trainable=trained)
    device = torch.device(config["device"])
    params, X, y = ensemble_on(net, cells, data, device)
    # λ₀ of Du et al.'s H^∞ (ReLU, W trained) enters only their theory width
    du_setting = activation == "relu" and not train_output
    lam0 = [nc.lambda_min(nc.relu_ntk_infinite(x)) if du_setting else math.nan for x in X]
    drift = torch.zeros(len(cells), dtype=torch.float64, device=device)

    def tracker(gram0: torch.Tensor) -> Callable[[int, nc.Params], None]:
        def track(k: int, p: nc.Params) -> None:
            nonlocal drift
            if k == 0:  # G(0) is gram0, already computed
                return
            change = torch.linalg.eigvalsh(vmap(net.structured_ntk)(p, X) - gram0)
            drift = torch.maximum(drift, change.abs().amax(dim=1))

        return track

    traj, records = run_to_fit(
        net,
        params,
        X,
        y,
        config,
        observe=tracker if config["checkpoints"] else None,
        checkpoints=config["checkpoints"],
    )
    # Points on which every unit is inactive: f = 0 there and the gradient vanishes, so GD can
    # never fit them (they make the loss plateau at multiples of 1/(2n) at small widths).
    # (ReLU only: a smooth σ has no inactive units)
    if activation == "relu":
        dead = (~vmap(net.activation_pattern)(traj.params, X).any(dim=-1)).sum(dim=-1)
    else:
        dead = torch.zeros(len(cells), dtype=torch.long, device=device)
    a0 = params["a"]
    out_change = torch.linalg.vector_norm(traj.params["a"] - a0, dim=-1) / torch.linalg.vector_norm(
        a0, dim=-1
    )
    for s, record in enumerate(records):
        record.update(
            {
                "dead_points": int(dead[s]),
                "gram_drift": float(drift[s]) if config["checkpoints"] else math.nan,
                "lambda_0": float(lam0[s]),
                "n_params": width * (d + 1),
                # ‖a_K − a_0‖/‖a_0‖: 0 unless GD trained the output layer
                "output_change": float(out_change[s]),
            }
        )
    return records


def _construct(method: str, X: torch.Tensor, y: torch.Tensor, seed: int) -> dict[str, Any]:
    """Build an explicit memorizer of (X, y) and measure it."""
    n, d = X.shape
    # The constructions are exact in real arithmetic; in float64 their weights grow with n (Yun
    # et al.'s reach 6·10⁸ at n = 1024) and the error with them. Build without the refusal and
    # record the measured error: "fit" says whether float64 held it to CONSTRUCTION_RTOL.
    if method == "yun":
        # Smallest equal hidden widths meeting Yun et al.'s condition 4⌊d1/4⌋⌊d2/4⌋ ≥ n.
        width = next(w for w in range(4, 4 * n + 5, 4) if nc.yun_capacity(w, w) >= n)
        net, params = nc.yun_memorizer(X, y, width, width, seed=seed, rtol=None)
        n_params = net.n_params(params.keys())
    else:
        net, params = nc.zhang_memorizer(X, y, seed=seed, rtol=None)
        n_params = 2 * n + d  # Zhang et al.'s count: shared direction a, n biases, n weights
    error = float(nc.abs_residuals(net, params, X, y).max())
    # No timings in records: a restarted or distributed sweep must reproduce the table exactly
    # (construction times are reported by ``ntkconv check yun-memorization``).
    return {
        "fit": error <= CONSTRUCTION_RTOL * float(y.abs().max()),
        "n_params": int(n_params),
        "max_error": error,
        "max_weight": float(max(v.abs().max() for v in params.values())),
    }


#: A construction "fits" when max|f(x_i) − y_i| ≤ this × max|y| (the engine's default rtol).
CONSTRUCTION_RTOL = 1e-8


def threshold_width(widths: np.ndarray, fit: np.ndarray, q: float) -> float:
    """m*: where a logistic fit of P(fit) against log m reaches q.

    With five seeds per width the fit fraction is noisy and not monotone in m (4/5 at one
    width, 1/5 at the next); a first-crossing rule then hangs on which crossing of the noisy
    curve comes first, and two searches that evaluate different widths disagree by several
    grid steps. The logistic model P(fit | m) = σ(a + b log m), fitted by maximum likelihood
    to every evaluated (width, seed) outcome, pools all of them (a weak L2 penalty, C = 1000,
    keeps b finite when the outcomes separate perfectly); m* = exp((logit q − a)/b), clipped to
    the evaluated range.

    Args:
        widths: (w,) the evaluated widths, ascending.
        fit: (w, R) booleans, whether each seed fitted at each width.
        q: the fraction of seeds that must fit, in (0, 1].

    Returns:
        m*, or NaN if no seed fitted at any width (no threshold in range: censored); the
        smallest width if every seed fitted everywhere.
    """
    from sklearn.linear_model import LogisticRegression

    outcomes = np.asarray(fit, dtype=bool)
    if not outcomes.any():
        return math.nan
    if outcomes.all():
        return float(widths[0])
    x = np.repeat(np.log(np.asarray(widths, dtype=float)), outcomes.shape[1])[:, None]
    model = LogisticRegression(C=1e3).fit(x, outcomes.reshape(-1))
    a, b = float(model.intercept_[0]), float(model.coef_[0, 0])
    if b <= 0:  # fitting gets no likelier with width: no threshold to read off
        return math.nan
    target = math.log(q / (1 - q)) if q < 1 else math.log(0.999 / 0.001)
    # clipped in log space: a nearly flat fit (b → 0⁺) puts log m* far outside float range
    log_m = np.clip((target - a) / b, math.log(widths[0]), math.log(widths[-1]))
    return float(math.exp(log_m))


def _slope(ns: np.ndarray, ms: np.ndarray) -> float:
    return float(np.polyfit(np.log(ns), np.log(ms), 1)[0])


def slope_bracket(ns: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[float]:
    """The range of the least-squares slope of log m against log n over every m(n) in
    [lo(n), hi(n)]: the exponent's uncertainty from the width grid's resolution alone.

    The slope Σ c_i log m_i, c_i = (log n_i − mean)/Σ_j (log n_j − mean)², is linear in each
    log m_i, so its extremes take lo where c_i and hi where −c_i is positive (and the other way
    round). It complements the bootstrap interval, which collapses to a point when every seed
    fits above and none below one width (perfect separation).

    Examples:
        >>> slope_bracket(np.array([1.0, 4.0]), np.array([1.0, 2.0]), np.array([2.0, 4.0]))
        [0.0, 1.0]
    """
    x = np.log(np.asarray(ns, float))
    c = (x - x.mean()) / ((x - x.mean()) ** 2).sum()
    log_lo, log_hi = np.log(np.asarray(lo, float)), np.log(np.asarray(hi, float))
    low = float(np.sum(np.where(c > 0, c * log_lo, c * log_hi)))
    high = float(np.sum(np.where(c > 0, c * log_hi, c * log_lo)))
    return [low, high]


def _interval(draws: np.ndarray) -> list[float]:
    """95% percentile interval of bootstrap draws of m*. A draw in which no width reaches q
    (NaN) has m* above the grid, so it counts as +inf: an interval may end at inf, never
    leaves those draws out. Percentiles are read off the sorted draws (no interpolation)."""
    values = np.where(np.isnan(draws), np.inf, draws)
    return np.quantile(values, [0.025, 0.975], method="inverted_cdf").tolist()


def _bracket(widths: np.ndarray, m_star: float) -> tuple[float | None, float | None]:
    """(lo, hi): the evaluated widths around m* — the smallest at or above it and the one
    below (None where there is none; hi is None when m* is censored)."""
    if not math.isfinite(m_star):
        return float(widths[-1]), None
    k = int(np.searchsorted(widths, m_star * (1 - 1e-9)))
    return (float(widths[k - 1]) if k else None), float(widths[k])


def _per_n(rows: pd.DataFrame, widths: np.ndarray, m_star: float, q: float) -> dict[str, Any]:
    """What decides m* at one n (``widths``: the evaluated ones, ascending): the bracketing
    widths, the steps GD took where it first fits next to the linearization's T_lin and the
    budget there, and the censored runs below."""
    lo, hi = _bracket(widths, m_star)
    at_hi = rows[rows.width == hi] if hi is not None else rows.iloc[:0]
    fits = at_hi[at_hi.fit]
    at_lo = rows[rows.width == lo] if lo is not None else rows.iloc[:0]
    censored = int(at_lo.censored.sum())
    # Had the censored runs below the crossing fitted, would that width have reached q?
    fitted = int(at_lo.fit.sum())
    upper = censored > 0 and fitted < q * len(at_lo) <= fitted + censored
    return {
        "width_below": lo,
        "width_above": hi,
        "steps_to_fit": float(fits.steps_run.median()) if len(fits) else math.nan,
        "steps_linear": float(at_hi.steps_linear.median()) if len(at_hi) else math.nan,
        "budget": float(at_hi.budget.median()) if len(at_hi) else math.nan,
        "censored_below": censored,
        "m_star_is_upper_bound": bool(upper),
        "gram_drift": (
            float(at_hi.gram_drift.mean()) if len(at_hi) and "gram_drift" in rows else math.nan
        ),
        "lambda_min_G0": float(at_hi.lambda_min_G0.mean()) if len(at_hi) else math.nan,
        "gd_cells": len(rows),
    }


def threshold_summary(
    gd: pd.DataFrame,
    config: Mapping[str, Any],
    *,
    series: str = "labels",
    axis: str = "n",
    theory_alpha: Mapping[str, float] = THEORY_ALPHA,
    per_unit: bool = False,
    boot: int = 500,
) -> dict[str, Any]:
    """m* along ``axis`` (n, or the depth L) for each value of ``series`` (the label kind, or
    the architecture): per axis value m* (:func:`threshold_width`) with a bootstrap interval
    (seeds resampled within each axis value), the evaluated widths around it, steps to fit
    there; over the axis the successive slopes of log m* against log axis, the fitted
    exponent α with its bootstrap interval and grid bracket (:func:`slope_bracket`), and
    whether each ``theory_alpha`` lies in the interval; with ``per_unit`` also the slope of
    log₂ m* against the axis itself (bits per unit, e.g. per layer: m* ∝ 2^{b·L}) with its
    interval. The axis values are listed under the key ``axis``."""
    q = config["quantile"]
    rng = np.random.default_rng(config["seed"])
    out: dict[str, Any] = {}
    for labels, part in gd.groupby(series):
        ns, tables, estimates, details = [], [], [], []
        for n, rows in part.groupby(axis):
            table = rows.pivot(index="width", columns="rep", values="fit").sort_index()
            widths, fit = table.index.to_numpy(float), table.to_numpy(bool)
            ns.append(int(n))
            tables.append((widths, fit))
            estimates.append(threshold_width(widths, fit, q))
            details.append(_per_n(rows, widths, estimates[-1], q))
        m_star = np.array(estimates)
        # Bootstrap: resample seeds (columns) within each n; the widths share each seed's data.
        # Under the bisection only the evaluated widths are there to cross.
        draws = np.array(
            [
                [
                    threshold_width(w, fit[:, rng.integers(0, fit.shape[1], fit.shape[1])], q)
                    for w, fit in tables
                ]
                for _ in range(boot)
            ]
        )
        ok = np.isfinite(m_star)
        record: dict[str, Any] = {
            axis: ns,
            "m_star": m_star.tolist(),
            "m_star_ci": [_interval(column) for column in draws.T],
            f"censored_{axis}": [n for n, good in zip(ns, ok, strict=True) if not good],
            **{key: [row[key] for row in details] for key in details[0]},
        }
        if ok.sum() >= 2:
            # Successive slopes show curvature a single exponent hides (e.g. a step budget
            # that starts to bind at large n).
            kept_n, kept_m = np.array(ns)[ok], m_star[ok]
            record["local_alpha"] = (np.diff(np.log(kept_m)) / np.diff(np.log(kept_n))).tolist()
            slopes = [_slope(kept_n, b[ok]) for b in draws if np.isfinite(b[ok]).all()]
            record["alpha"] = _slope(kept_n, kept_m)
            record["alpha_ci"] = np.percentile(slopes, [2.5, 97.5]).tolist()
            # m* lies between the evaluated widths around it (an m* at the smallest evaluated
            # width may lie anywhere below: no bracket then)
            below = np.array([row["width_below"] for row in details], dtype=float)[ok]
            above = np.array([row["width_above"] for row in details], dtype=float)[ok]
            record["alpha_bracket"] = (
                slope_bracket(kept_n, below, above)
                if np.isfinite(below).all()
                else [-math.inf, math.inf]
            )
            if per_unit:
                record["log2_per_unit"] = float(np.polyfit(kept_n, np.log2(kept_m), 1)[0])
                record["log2_per_unit_ci"] = np.percentile(
                    [np.polyfit(kept_n, np.log2(b[ok]), 1)[0] for b in draws
                     if np.isfinite(b[ok]).all()],
                    [2.5, 97.5],
                ).tolist()  # fmt: skip
            lo, hi = record["alpha_ci"]
            record["theory_alpha_in_ci"] = {
                name: bool(lo <= a <= hi) for name, a in theory_alpha.items()
            }
        out[labels] = record
    return out


def _lazy_summary(lazy: pd.DataFrame) -> dict[str, Any]:
    """Per (labels, n) of the lazy cells: GD's steps to ε over T_lin for each seed (1 in the
    lazy limit), whether each fitted, and λ_min(G(0))."""
    out: dict[str, Any] = {}
    for labels, part in lazy.groupby("labels"):
        rows = part.sort_values(["n", "rep"])
        rows = rows.assign(ratio=rows.steps_run / rows.steps_linear.where(rows.steps_linear > 0))
        by_n = rows.groupby("n")  # sorted by n, seeds in order within each
        out[labels] = {
            "n": [int(n) for n in by_n.groups],
            "width": sorted(int(m) for m in rows.width.unique()),
            "steps_ratio": by_n.ratio.apply(list).tolist(),
            "fit": by_n.fit.apply(list).tolist(),
            "lambda_min_G0": by_n.lambda_min_G0.min().tolist(),
        }
    return out


def summarize(frame: pd.DataFrame, config: Mapping[str, Any]) -> dict[str, Any]:
    """m*(n) per label kind with α, its bootstrap CI and the grid's bracket on it (for GD and
    for the ReLU reference, ``gd-relu``); the lazy cells' steps against T_lin; constructions'
    counts and exponents; the theory widths at each n (Du et al.'s with the mean measured λ₀,
    from whichever GD series is Du et al.'s student, and δ)."""
    summary: dict[str, Any] = {}
    gd = frame[frame.method == "gd"]
    for method in GD_METHODS:
        if (frame.method == method).any():
            summary[method] = threshold_summary(frame[frame.method == method], config)
    lazy = frame[frame.method == "lazy"]
    if not lazy.empty:
        summary["lazy"] = _lazy_summary(lazy)
    if not gd.empty:
        ns = np.array(sorted(gd.n.unique()), dtype=float)
        both = frame[frame.method.isin(GD_METHODS)]
        lam0 = both.groupby("n")["lambda_0"].mean().reindex(ns.astype(int)).to_numpy()
        summary["theory_width"] = {
            name: np.broadcast_to(fn(ns, config["d"], lam0, config["delta"]), ns.shape).tolist()
            for name, fn in _THEORY_FNS.items()
        }
        summary["theory_latex"] = {name: sp.latex(expr) for name, expr in THEORY.items()}
        summary["lambda_0"] = lam0.tolist()
        summary["theory_alpha"] = THEORY_ALPHA
        summary["gd_cells"] = len(gd)
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
            "max_error_per_n": rows.groupby("n").max_error.max().tolist(),
            # the fraction of seeds whose construction float64 held to CONSTRUCTION_RTOL
            "exact_in_float64": rows.groupby("n").fit.mean().tolist(),
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
    clipped; its value at the largest n is in the legend. A censored n (no width reached q)
    has no point."""
    scale = config["d"] + 1 if parameters else 1
    ns = np.array(next(iter(summary["gd"].values()))["n"], dtype=float)
    measured = []
    student = f"{config['activation']}, {'W and a' if config['train_output'] else 'W'}"
    series = [
        (labels, rec, "-", student if "gd-relu" in summary else "")
        for labels, rec in summary["gd"].items()
    ] + [  # the reference series: hollow markers, dashed
        (labels, rec, "--", "relu, W: reference")
        for labels, rec in summary.get("gd-relu", {}).items()
    ]
    for labels, rec, line, who in series:
        marker, colour = _STYLE[labels]
        m, ci = np.array(rec["m_star"]) * scale, np.array(rec["m_star_ci"]) * scale
        # An interval open at the top (some resamples reach q at no width) gets no upper bar.
        ci = np.where(np.isfinite(ci), ci, m[:, None])
        alpha = (
            f", α = {rec['alpha']:.2f} [{rec['alpha_ci'][0]:.2f}, {rec['alpha_ci'][1]:.2f}]"
            if "alpha" in rec
            else ""
        )
        ax.errorbar(
            np.array(rec["n"], dtype=float),
            m,
            yerr=[m - ci[:, 0], ci[:, 1] - m],
            fmt=marker + line,
            color=colour,
            mfc="none" if line == "--" else colour,
            capsize=3,
            label=f"GD m*, {labels} labels{f' ({who})' if who else ''}{alpha}",
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
    top = 100 * max(
        float(np.nanmax(np.where(np.isfinite(v), v, np.nan), initial=1.0)) for v in measured
    )
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


def plot_steps_vs_n(ax: Any, summary: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """Where GD first fits (the width above the crossing): its median steps to ε next to the
    linearization's T_lin and the budget the criterion allowed, with the cap."""
    if not any(np.isfinite(rec["steps_to_fit"]).any() for rec in summary["gd"].values()):
        ax.text(0.5, 0.5, "no width fitted", ha="center", va="center", transform=ax.transAxes)
        return
    for labels, rec in summary["gd"].items():
        marker, colour = _STYLE[labels]
        ns = np.array(rec["n"], dtype=float)
        ax.plot(ns, rec["steps_to_fit"], marker + "-", color=colour, label=f"GD steps, {labels}")
        ax.plot(ns, rec["steps_linear"], marker + ":", color=colour, mfc="none",
                label=f"T_lin (linearized GD), {labels}")  # fmt: skip
    ax.axhline(config["max_steps"], color="gray", lw=1, ls="--", label="cap max_steps")
    ax.set(xscale="log", yscale="log", xlabel="n", ylabel="steps", ylim=(0.5, None))
    ns = next(iter(summary["gd"].values()))["n"]
    ax.set_xticks(ns, labels=[f"{n:g}" for n in ns])  # after the log scale, which resets ticks
    ax.set_xticks([], minor=True)
    ax.legend(fontsize=6)


def plot_collapse(ax: Any, frame: pd.DataFrame, config: Mapping[str, Any]) -> None:
    """Fit fraction against m·d/n (trained weights per point), random labels: if m* ∝ n/d the
    curves of all n fall on one."""
    gd = frame[(frame.method == "gd") & (frame.labels == "random")]
    if gd.empty:
        ax.text(0.5, 0.5, "no random-label runs", ha="center", va="center", transform=ax.transAxes)
        return
    for n, rows in gd.groupby("n"):
        fraction = rows.groupby("width")["fit"].mean()
        ax.plot(fraction.index * config["d"] / n, fraction, "o-", ms=3, label=f"n = {n}")
    ax.axhline(config["quantile"], color="gray", lw=1, ls="--")
    ax.set(xscale="log", xlabel="m·d / n (trained weights per point)", ylabel="fit fraction")
    ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels overlap on a short decade
    ax.legend(fontsize=6)


def figures(
    frame: pd.DataFrame, summary: Mapping[str, Any], config: Mapping[str, Any]
) -> dict[str, Figure]:
    """``width-vs-n``: m*(n) with theory widths, parameter counts, steps to fit against the
    linearization, and the fit fraction against m·d/n; ``construction-vs-gd``: the
    parameter-count panel on its own (none without GD, or without the constructions)."""
    if "gd" not in summary:
        return {}
    q, eps, c = config["quantile"], config["eps"], config["budget_factor"]
    fig, axes = nc.panel_grid(
        [
            f"width m* fitting {q:.0%} of seeds (ε = {eps}, budget {c:g}·T_rate)",
            "parameters: GD vs constructions vs theory",
            "steps to ε where GD first fits, and T_lin",
            "fit fraction vs m·d/n, random labels",
        ],
        ncols=2,
        size=(5.0, 4.25),
    )
    plot_scaling_vs_n(axes[0], summary, config, parameters=False)
    plot_scaling_vs_n(axes[1], summary, config, parameters=True)
    plot_steps_vs_n(axes[2], summary, config)
    plot_collapse(axes[3], frame, config)
    if not {"yun", "zhang"} & set(summary):  # constructions off: no figure to compare them
        return {"width-vs-n": fig}
    alone, (single,) = nc.panel_grid(
        ["construction vs gradient descent: parameters to fit n points"]
    )
    plot_scaling_vs_n(single, summary, config, parameters=True)
    return {"width-vs-n": fig, "construction-vs-gd": alone}
