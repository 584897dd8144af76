"""The compression bound — Arora, Ge, Neyshabur, Zhang, "Stronger generalization bounds for deep
nets via a compression approach", ICML 2018 (arXiv:1802.05296): Theorem 2.1 (the compression
framework), Algorithm 1 ("Matrix-Project") and Theorem 4.1 (fully connected nets, in terms of
layer cushions); the companion lecture "Expressivity, optimization & generalization" (Theorem
4.1: "compressible neural networks generalize better").

Statement. f is (γ, S)-compressible by g when every logit of g is within γ/2 of f's on every
training point; then g's margin is at least f's minus γ, so g errs on S only where f's margin is
at most γ: L̂₀(g) ≤ L̂_γ(f). If g is described by q numbers, each on a grid of r values, given a
helper string fixed before the data (here: the random sign matrices of Algorithm 1, one grid
choice among G), Hoeffding's inequality and a union bound over the r^q·G descriptions give,
with probability ≥ 1 − δ,

    L₀(g) ≤ L̂_γ(f) + √((q ln r + ln(G/δ)) / (2n)),

Theorem 2.1's O(√(q log r / n)) with its constant. The same count with every parameter of f
(p numbers) is the parameter-counting bound. Theorem 4.1's claim is that trained nets are
compressible far below p — by Algorithm 1, Â = (1/k)Σ_t ⟨A, M_t⟩M_t with k random sign
matrices, whose noise is small against the signal when the layer cushion
μ = min_x ‖Ax‖/(‖A‖_F‖x‖) is large (and is damped by the layers after it).

What is checked. The layers are compressed one at a time, from the input, with k = 1, 2, 4, …
projections, coefficients rounded to r = 2¹⁶ levels (:func:`ntkconv.matrix_project`): the first
k whose net — with the layers already compressed in place — changes no logit on S by more than
γ/2 is kept; a layer no k ≤ p_i/8 fits is kept whole (its entries rounded, q_i = p_i). Each
layer adds one number (its grid's scale). The compressed net g is then measured:

- compressible: max over S and classes of |g − f| ≤ γ/2;
- an order tighter: q ≤ p/10;
- the bound: g's test error (exact Clopper–Pearson lower end, α = 10⁻⁶) ≤ the bound with q.

Reported beside: the parameter-counting bound for f rounded to the same grid (and f's rounding
checked within γ/2), the cushions, each layer's k, both test errors.

Instances. ``projection-moments``: Algorithm 1's estimator on a fixed matrix and vector over 2000
helper strings — mean error 0 and E‖(Â − A)x‖² equal to its closed form (Isserlis with E M⁴ = 1)
within Student-t intervals (the sharp prediction that pins the engine's estimator).
``two-path-net``: a constructed two-layer ReLU net on data near a line in R⁶⁴ (x = t·v + noise
in an 8-dimensional subspace, y = [t > 0], |t| uniform on [1, 2]), hidden layer (u_a − u_b)vᵀ
on two disjoint groups of 384 units (768 in all), output rows u_b/‖u_b‖², u_a/‖u_a‖²:
f(x) = (relu(−t), relu(t)), margin
|t| ≥ γ = 1 fixed before the data; cushions ≈ 0.6. n = 20 000 training points (quick 5000).

Hypothesis: noise-stable layers — every layer cushion ≥ 0.5 (a random matrix has ≈ 1/√w).

Controls. ``padded``: the same net plus Gaussian weights in the directions the data never reach
(the complement of the data subspace for layer 1, of the hidden path for layer 2), ten times the
layers' Frobenius norm: f is unchanged on every input of the distribution, but the cushions fall
to ≈ 0.07 and Algorithm 1 compresses nothing (failed-without-hypothesis). ``digits``: a
:class:`ntkconv.TwoLayerClassifier` trained by GD on 300 digits (NTK initialization, loss 0.05,
γ the 10 % quantile of its training margins): cushions 0.1–0.2, nothing compresses — the
finding at runnable sizes (failed-without-hypothesis). ``two-path-net-sharpened``: q ≤ p/100 —
violated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
Lg_, Lf_, q_, r_, G_, delta_, n_ = sp.symbols(
    r"L_{0}(g) \hat{L}_{\gamma}(f) q r G \delta n", positive=True
)
BOUND = Lf_ + sp.sqrt((q_ * sp.log(r_) + sp.log(G_ / delta_)) / (2 * n_))
STATEMENT = sp.Le(Lg_, BOUND)
SYMBOLS = {
    "L_{0}(g)": "test error of the compressed net g",
    r"\hat{L}_{\gamma}(f)": "fraction of training points where f's margin is at most γ",
    "q": "numbers describing g given the helper string (projections + one scale per layer)",
    "r": "values on each number's grid, LEVELS = 2^16",
    "G": "grid choices of the compression (the k of every layer)",
    r"\delta": "confidence, DELTA = 0.05",
    "n": "training points",
}
_bound = sp.lambdify((Lf_, q_, r_, G_, delta_, n_), BOUND, "math")
LEVELS = 2**16
DELTA = 0.05
#: "an order tighter": q ≤ p / ORDER
ORDER = 10.0
#: noise-stable layers: every layer cushion at least this (a random (h, w) matrix: ≈ 1/√w)
MU_MIN = 0.5
#: the margins a data-dependent γ is chosen from
GAMMAS = tuple(2.0**j for j in range(-10, 11))


def forward(mats: Sequence[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    """x ↦ A_L relu(⋯ relu(A₁x)), rows of X as inputs."""
    return nc.relu_layers(mats, X)[-1]


def compress(
    mats: Sequence[torch.Tensor], X: torch.Tensor, gamma: float, seed: int
) -> dict[str, Any]:
    """Algorithm 1 layer by layer, from the input: each layer gets the fewest k = 2^j ≤ p_i/8
    projections that keep the logits on X within γ/2 of f's, with the layers already
    compressed in place (the budget left); a layer that no such k fits is kept (rounded)."""
    F = forward(mats, X)
    current = list(mats)
    ks, grids = [0] * len(mats), []
    for i in range(len(mats)):
        A = mats[i]
        # k beyond p_i/8 hardly compresses: the layer is then kept whole
        grid = [2**j for j in range(int(math.log2(A.numel())) + 1) if 2**j <= A.numel() // 8]
        grids.append(len(grid) + 1)
        current[i], ks[i] = nc.round_to_levels(A, LEVELS), A.numel()
        for k in grid:
            cand, coef = nc.matrix_project(A, k, nc.derive_seed(seed, {"layer": i}), levels=LEVELS)
            # the count is only as good as the description: k numbers, each on the grid
            if len(coef) != k or not torch.equal(nc.round_to_levels(coef, LEVELS), coef):
                raise ValueError(f"layer {i}: the projection is not k = {k} numbers on the grid")
            trial = [*current[:i], cand, *current[i + 1 :]]
            if float((forward(trial, X) - F).abs().max()) <= gamma / 2:
                current[i], ks[i] = cand, k
                break
    return {
        "mats": current,
        "k": ks,
        "q": sum(ks) + len(mats),  # one scale per layer
        "G": math.prod(grids),
    }


def _error(mats: Sequence[torch.Tensor], X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Test error and its exact lower end at α = STAT_ALPHA."""
    iv = nc.binary_interval((forward(mats, X).argmax(dim=1) != y).numpy())
    return iv.estimate, iv.lower


Data = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def _two_path(cfg: dict[str, Any], seed: int) -> tuple[list[torch.Tensor], Data]:
    """The two-path net and its data; ``padding`` adds weights the data never reach."""
    gen = nc.generator(nc.derive_seed(seed, "two-path"))
    d, h, sub = cfg["d"], cfg["hidden"], cfg["subspace"]
    basis = torch.linalg.qr(torch.randn(d, sub + 1, generator=gen, dtype=torch.float64))[0]
    v, noise_dirs = basis[:, 0], basis[:, 1:]

    def sample(m: int) -> tuple[torch.Tensor, torch.Tensor]:
        sign = torch.randint(0, 2, (m,), generator=gen)
        t = (2 * sign - 1) * (1 + torch.rand(m, generator=gen, dtype=torch.float64))
        # uniform in a ball of radius `noise`: the layer cushion is ≥ 1/√(1 + noise²) for
        # every point of the distribution, not just the sample's
        z = torch.randn(m, sub, generator=gen, dtype=torch.float64)
        radius = cfg["noise"] * torch.rand(m, 1, generator=gen, dtype=torch.float64) ** (1 / sub)
        z = z / z.norm(dim=1, keepdim=True) * radius
        return t[:, None] * v + z @ noise_dirs.T, sign

    u = 0.5 + torch.rand(h, generator=gen, dtype=torch.float64)
    ua, ub = u.clone(), u.clone()
    ua[h // 2 :], ub[: h // 2] = 0, 0
    A1 = torch.outer(ua - ub, v)
    A2 = torch.stack([ub / ub.norm() ** 2, ua / ua.norm() ** 2])
    # the data first: a padded net sees the same points as the plain one
    Xtr, ytr = sample(cfg["n"])
    Xte, yte = sample(cfg["n_test"])
    if cfg["padding"]:
        # weights in the directions the data never reach: f unchanged on every input
        P1 = torch.eye(d, dtype=torch.float64) - basis @ basis.T
        path = torch.linalg.qr(torch.stack([ua, ub], dim=1))[0]
        P2 = torch.eye(h, dtype=torch.float64) - path @ path.T

        def padded(A: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
            N = torch.randn(A.shape, generator=gen, dtype=torch.float64) @ P
            return A + cfg["padding"] * float(A.norm()) / float(N.norm()) * N

        A1 = padded(A1, P1)
        A2 = padded(A2, P2)
    return [A1, A2], (Xtr, ytr, Xte, yte)


def _digits(cfg: dict[str, Any], seed: int) -> tuple[list[torch.Tensor], Data]:
    """A TwoLayerClassifier trained by GD to the target loss; layers on (x, 1)."""
    Xtr, ytr, Xte, yte = nc.digits(cfg["n"], seed, dtype=torch.float32)
    net = nc.TwoLayerClassifier(Xtr.shape[1], cfg["width"], 10)
    traj = nc.gradient_descent(
        lambda p: nc.risk(net(p, Xtr), ytr, "cross_entropy", "mean"),
        net.init(nc.derive_seed(seed, "init"), dtype=torch.float32),
        lr=cfg["lr"],
        steps=cfg["max_steps"],
        target_loss=cfg["target_loss"],
        progress=False,
    )
    mats = list(net.layer_matrices({k: v.double() for k, v in traj.params.items()}))
    return mats, (net.augment(Xtr.double()), ytr, net.augment(Xte.double()), yte)


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    if cfg["setting"] == "moments":
        return _evaluate_moments(cfg, seed)
    return _evaluate_net(cfg, seed)


def _evaluate_moments(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    gen = nc.generator(nc.derive_seed(seed, "moments"))
    A = torch.randn(cfg["shape"], generator=gen, dtype=torch.float64)
    x = torch.randn(cfg["shape"][1], generator=gen, dtype=torch.float64)
    k = cfg["k"]
    errs = torch.stack([(nc.matrix_project(A, k, nc.derive_seed(seed, {"draw": s}))[0] - A) @ x
                        for s in range(cfg["draws"])])  # fmt: skip
    exact = float((A.shape[0] * A.norm() ** 2 * x.norm() ** 2 + (A @ x).norm() ** 2
                   - 2 * ((A**2) @ (x**2)).sum()) / k)  # fmt: skip
    second = nc.t_interval((errs**2).sum(dim=1).numpy())
    # every coordinate's mean error is 0: a Bonferroni t-interval per coordinate
    alpha = nc.STAT_ALPHA / A.shape[0]
    means = [nc.t_interval(errs[:, j].numpy(), alpha) for j in range(A.shape[0])]
    unbiased = all(m.lower <= 0.0 <= m.upper for m in means)
    matched = second.lower <= exact <= second.upper
    # a row A = e₁ᵀ on x = e₁: signs square to 1, so Â x = A x exactly for every helper string
    # (Gaussian helpers would err by 2/k on average); k above the chunk size on purpose
    aligned = torch.zeros(1, cfg["shape"][1], dtype=torch.float64)
    aligned[0, 0] = 1.0
    exact_zero = max(
        float((nc.matrix_project(aligned, cfg["k_aligned"], nc.derive_seed(seed, {"row": s}))[0]
               - aligned)[:, 0].abs().max())
        for s in range(cfg["aligned_draws"])
    )  # fmt: skip
    return nc.Outcome(
        hypotheses=[],
        conclusion_holds=unbiased and matched and exact_zero <= 1e-12,
        predicted={"second_moment": exact, "mean_error": 0.0, "aligned_error": 0.0},
        measured={
            "second_moment": second,
            "mean_error_interval_widest": max(m.upper - m.lower for m in means),
            "aligned_error": exact_zero,
            "unbiased": unbiased,
        },
        tightness=nc.Tightness.none(
            "a closed-form moment inside its interval or not; the planted faults stand in"
        ),
        details={"setting": "moments", "squared": (errs**2).sum(dim=1).tolist(), "exact": exact},
    )


def _evaluate_net(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    mats, (Xtr, ytr, Xte, yte) = (_two_path if cfg["setting"] == "two-path" else _digits)(cfg, seed)
    n = len(ytr)
    F = forward(mats, Xtr)
    margins = nc.multiclass_margins(F, ytr)
    # a γ read off the data is a choice the union bound must pay for: a power of two from
    # GAMMAS (G grows by their number); a γ fixed in advance costs nothing
    gamma, choices = cfg["gamma"], 1
    if gamma is None:
        gamma = 2.0 ** math.floor(math.log2(float(torch.quantile(margins, cfg["gamma_quantile"]))))
        gamma, choices = min(max(gamma, min(GAMMAS)), max(GAMMAS)), len(GAMMAS)
    below = float((margins <= gamma).double().mean())
    c = compress(mats, Xtr, gamma, seed)
    c["G"] *= choices
    p = sum(A.numel() for A in mats)
    rounded = [nc.round_to_levels(A, LEVELS) for A in mats]
    rounding_change = float((forward(rounded, Xtr) - F).abs().max())
    bound = _bound(below, c["q"], LEVELS, c["G"], DELTA, n)
    counting = _bound(below, p + len(mats), LEVELS, 1, DELTA, n)
    err_g, low_g = _error(c["mats"], Xte, yte)
    err_f, _ = _error(mats, Xte, yte)
    # measured here, not taken from the search: the change on S, and the lemma it implies
    G_train = forward(c["mats"], Xtr)
    change = float((G_train - F).abs().max())
    train_err_g = float((nc.multiclass_margins(G_train, ytr) <= 0).double().mean())
    inputs = nc.relu_layers(mats, Xtr)[:-1]
    cushions = [nc.layer_cushion(A, x) for A, x in zip(mats, inputs, strict=True)]
    order = (p / ORDER) / c["q"]
    holds_bound = low_g <= bound
    compressible = change <= gamma / 2 and train_err_g <= below
    stable = nc.hypothesis("noise-stable layers", min(cushions), ">=", MU_MIN,
                           note="smallest layer cushion min_x ‖Ax‖/(‖A‖_F‖x‖) on S")  # fmt: skip
    return nc.Outcome(
        hypotheses=[stable],
        conclusion_holds=compressible and holds_bound and order >= 1.0,
        predicted={
            "compressed logit change": nc.Bound(gamma / 2, "<="),
            "training error of g": nc.Bound(below, "<="),
            "q": nc.Bound(p / ORDER, "<="),
            "test error of g (lower end)": nc.Bound(bound, "<="),
        },
        measured={
            "compressed logit change": change,
            "training error of g": train_err_g,
            "q": c["q"],
            "test error of g (lower end)": low_g,
            "p": p,
            "k": c["k"],
            "gamma": gamma,
            "margin loss L̂_γ(f)": below,
            "compression bound": bound,
            "parameter-counting bound": counting,
            "rounding change of f": rounding_change,
            "test error f": err_f,
            "test error g": err_g,
            "cushions": cushions,
            "n": n,
        },
        # the logit change is held within γ/2 by the search itself, so it is no tightness
        tightness=nc.Tightness.ratio(
            min(order, bound / low_g if low_g > 0 else math.inf) if compressible else 0.0,
            "smaller of (p/10)/q and bound / test error (lower end); 0 if not compressible",
        ),
        details={
            "setting": cfg["setting"],
            "sizes": [A.numel() for A in mats],
            "k": c["k"],
            "compression": bound,
            "counting": counting,
            "test_error_g": err_g,
        },
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        if r.details["setting"] == "moments":
            sq = np.asarray(r.details["squared"])
            ax.hist(sq, bins=40, color="C0", alpha=0.7, label="‖(Â − A)x‖², one per helper string")
            ax.axvline(sq.mean(), color="C0", lw=2, label=f"mean {sq.mean():.3g}")
            ax.axvline(r.details["exact"], color="k", ls="--",
                       label=f"closed form {r.details['exact']:.3g}")  # fmt: skip
            ax.set(xlabel="squared error of Algorithm 1 on a fixed x", ylabel="draws")
            ax.legend(fontsize=7)
            return
        sizes, ks = r.details["sizes"], r.details["k"]
        x = np.arange(len(sizes))
        ax.bar(x - 0.2, sizes, 0.4, color="C7", label="parameters p_i")
        ax.bar(x + 0.2, ks, 0.4, color="C0", label="projections k_i (= p_i: kept)")
        ax.set_yscale("log")
        ax.set_ylim(1, 300 * max(sizes))  # headroom for the text and the legend
        ax.set_ylabel("numbers stored")
        ax.set_xticks(x, [f"layer {i + 1}" for i in x])
        ax.text(0.02, 0.97, f"compression bound {r.details['compression']:.3g}\n"
                f"parameter counting {r.details['counting']:.3g}\n"
                f"test error of g {r.details['test_error_g']:.3g}",
                transform=ax.transAxes, va="top", fontsize=7)  # fmt: skip
        ax.legend(fontsize=7, loc="upper right")

    return nc.record_figures(
        results, draw, "compression-bound: Algorithm 1 layer by layer, q against p"
    )


# --- instances -------------------------------------------------------------------------------
TWO_PATH = {
    "setting": "two-path",
    "d": 64,
    "hidden": 768,
    "subspace": 8,
    "noise": 0.6,
    "n": 20000,
    "n_test": 10000,
    "padding": 0.0,
    "gamma": 1.0,
}
DIGITS = {
    "setting": "digits",
    "n": 300,
    "width": 256,
    "lr": 10.0,
    "max_steps": 3000,
    "target_loss": 0.05,
    "gamma": None,
    "gamma_quantile": 0.1,
}
TWO_PATH_NET = nc.Instance(
    "two-path-net",
    TWO_PATH,
    "a two-layer net on data near a line, cushions ≈ 0.7: Algorithm 1 compresses it",
    quick={"n": 5000, "n_test": 5000},
)
INSTANCES = (
    nc.Instance(
        "projection-moments",
        {
            "setting": "moments",
            "shape": (6, 5),
            "k": 4,
            "draws": 2000,
            "k_aligned": 300,
            "aligned_draws": 5,
        },
        "Algorithm 1 on a fixed A, x: unbiased, E‖(Â − A)x‖² = closed form",
        quick={"draws": 1000},
    ),
    TWO_PATH_NET,
    TWO_PATH_NET.sharpened(10.0, "q ≤ p/100"),
    nc.Instance(
        "padded",
        {**TWO_PATH, "padding": 10.0},
        "the same function plus weights the data never reach: cushions ≈ 0.07",
        breaks="noise-stable layers",
        quick={"n": 5000, "n_test": 5000},
    ),
    nc.Instance(
        "digits",
        DIGITS,
        "a GD-trained digits net (NTK initialization): cushions 0.1–0.2",
        breaks="noise-stable layers",
        quick={"width": 128, "n": 200},
    ),
)

THEOREM = nc.Theorem(
    id="compression-bound",
    title="Compressible nets generalize: the compression bound (Algorithm 1, q against p)",
    citation="Arora, Ge, Neyshabur, Zhang, ICML 2018 (arXiv:1802.05296), Theorem 2.1, "
    "Algorithm 1, Theorem 4.1; lecture 'Expressivity, optimization & generalization'",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
