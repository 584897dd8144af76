"""The set-up shared by the lazy-training checks (du-gram-stability, ntk-linearization,
arora-fine-grained): Du, Zhai, Póczos, Singh (ICLR 2019), §3.

f(x) = (1/√m) Σ_r a_r relu(w_rᵀx), ‖x_i‖ = 1, a_r ~ Unif{±1} fixed, w_r(0) ~ N(0, κ²I) (κ = 1 in
Du et al.; small in Arora et al.), GD on W for ½‖u − y‖². H(k) is the Gram of W at step k,
H^∞ its m → ∞ limit, λ_0 = λ_min(H^∞).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

import ntkconv as nc

#: The instance the three lazy-training checks share, so their numbers compare directly:
#: n points uniform on S^{d−1}, labels U[−1, 1], GD for ``steps`` steps.
SETUP = {"n": 64, "d": 16, "steps": 300}


@dataclass
class Run:
    """One tracked GD run; arrays are per step k = 0..K (outputs only if asked for)."""

    width: int
    lr: float
    k: np.ndarray
    residual: np.ndarray  # ‖y − u(k)‖
    lambda_min: np.ndarray  # λ_min(H(k))
    drift: np.ndarray  # ‖H(k) − H(0)‖₂
    flips: np.ndarray  # fraction of the n·m activation signs changed since k = 0
    w_dist_max: np.ndarray  # max_r ‖w_r(k) − w_r(0)‖
    w_dist_fro: np.ndarray  # ‖W(k) − W(0)‖_F
    gram0: torch.Tensor  # H(0), float64
    outputs: torch.Tensor | None  # u(k), shape (K + 1, n)
    a_sq_mean: float  # mean of a_r²: 1 under the NTK scaling
    diverged: bool


def kernel(X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """H^∞ with its eigenvalues (ascending) and eigenvectors, float64."""
    H = nc.relu_ntk_infinite(X).double()
    evals, evecs = torch.linalg.eigh(H)
    return H, evals, evecs


def uniform_labels(n: int, seed: int) -> torch.Tensor:
    """y_i ~ U[−1, 1]: bounded labels, |y_i| ≤ C = 1 as Du et al. assume."""
    gen = nc.generator(seed)
    return 2 * torch.rand(n, generator=gen, dtype=torch.float64) - 1


def train_run(
    X: torch.Tensor,
    y: torch.Tensor,
    width: int,
    seed: int,
    *,
    lr: float,
    steps: int,
    init_scale: float = 1.0,
    output_scale: float = 1.0,
    keep_outputs: bool = False,
) -> Run:
    """GD on W from Du et al.'s initialization, tracking the Gram at every step.
    ``output_scale`` multiplies a (a_r = ±1/√m turns the NTK scaling into the mean-field one)."""
    net = nc.TwoLayerNet(X.shape[1], width, "relu")
    params = net.init(seed, scale=init_scale)
    params["a"] = params["a"] * output_scale
    W0 = params["W"].clone()
    outputs: list[torch.Tensor] = []
    traj = nc.train(
        net,
        params,
        X,
        y,
        lr=lr,
        steps=steps,
        track_gram=True,
        callbacks={
            "w_dist_max": lambda p: float(torch.linalg.vector_norm(p["W"] - W0, dim=1).max())
        },
        observe=(lambda k, p: outputs.append(net(p, X).detach())) if keep_outputs else None,
        progress=False,
    )
    return Run(
        width=width,
        lr=lr,
        k=traj.step,
        residual=np.sqrt(2 * traj.loss),
        lambda_min=traj.extras["gram_lambda_min"],
        drift=traj.extras["gram_drift"],
        flips=traj.extras["activation_flips"],
        w_dist_max=traj.extras["w_dist_max"],
        w_dist_fro=traj.dist_from_init,
        gram0=net.structured_ntk(params, X).double(),
        outputs=torch.stack(outputs) if keep_outputs else None,
        a_sq_mean=float((params["a"] ** 2).mean()),
        diverged=traj.diverged,
    )


def linear_residuals(
    evals: torch.Tensor, evecs: torch.Tensor, r0: torch.Tensor, lr: float, steps: int
) -> torch.Tensor:
    """r(k) = (I − ηH)^k r0 for k = 0..steps, H = V diag(λ) Vᵀ: the residual of GD on the
    linearized model (Du et al. eq. (10) with H(k) frozen). Shape (steps + 1, n)."""
    k = torch.arange(steps + 1, dtype=torch.float64)[:, None]
    return ((1 - lr * evals)[None, :] ** k * (evecs.T @ r0)[None, :]) @ evecs.T


def power_law_record(widths: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    """Exponent of values ∝ m^α over a sweep (flattened width/value pairs) as a JSON-able record;
    zeros (nothing moved) are left out, and fewer than two widths left give NaNs."""
    keep = values > 0
    if np.unique(widths[keep]).size < 2:
        return {"exponent": math.nan, "ci": (math.nan, math.nan), "prefactor": math.nan}
    fit = nc.fit_power_law(widths[keep], values[keep])
    return {"exponent": fit.exponent, "ci": fit.ci, "prefactor": fit.prefactor}


#: Widths at which H(0) is drawn to measure how fast it approaches H^∞ (initialization only).
GRAM_WIDTHS = tuple(2**p for p in range(8, 17, 2))
#: ‖H(0) − H^∞‖₂ is a Monte-Carlo error over m units: its fitted width exponent must lie within
#: this distance of −1/2. Over seeds 0–5 (sphere and digits data, 2 draws at each of 2^8 … 2^16)
#: the exponent is −0.44 … −0.55; a kernel 10% too large gives −0.03 … −0.06, I + XXᵀ gives 0.
GRAM_EXPONENT_TOL = 0.15


def gram_limit(
    X: torch.Tensor, H_inf: torch.Tensor, seed: int, widths: Sequence[int] = GRAM_WIDTHS
) -> dict[str, Any]:
    """How the finite-width Gram H(0) approaches the kernel used as its limit: the relative gap
    ‖H(0) − H^∞‖₂/‖H^∞‖₂ at each width (two draws), its fitted exponent, and whether that is
    within :data:`GRAM_EXPONENT_TOL` of the Monte-Carlo rate −1/2 — which a wrong H^∞ (a scale
    error, another kernel) cannot meet, since its gap stops shrinking."""
    top = float(nc.eigvalsh(H_inf)[-1])
    grid, gaps = [], []
    for width in widths:
        net = nc.TwoLayerNet(X.shape[1], width, "relu")
        for draw in range(2):
            H0 = net.structured_ntk(net.init(nc.derive_seed(seed, "gram", width, draw)), X)
            gaps.append(float(nc.eigvalsh(H0.double() - H_inf).abs().max()) / top)
            grid.append(width)
    fit = power_law_record(np.asarray(grid, float), np.asarray(gaps))
    margin = GRAM_EXPONENT_TOL - abs(fit["exponent"] + 0.5)
    return {"widths": grid, "gaps": gaps, "fit": fit, "margin": margin, "holds": margin >= 0}


def smallest_width(widths: Sequence[int], ok: np.ndarray) -> int | None:
    """The smallest grid width from which a conclusion holds in every seed at every larger
    grid width (``ok`` has shape (len(widths), seeds)); None if it fails at the largest."""
    found = None
    for width, row in zip(reversed(list(widths)), ok[::-1], strict=True):
        if not row.all():
            break
        found = width
    return found


def unit_norm_hypothesis(X: torch.Tensor) -> nc.Hypothesis:
    dev = float((torch.linalg.vector_norm(X, dim=1) - 1).abs().max())
    return nc.hypothesis("inputs unit-norm", dev, "<=", 1e-12, note="max |‖x_i‖ − 1|")


def lambda0_hypothesis(evals: torch.Tensor) -> nc.Hypothesis:
    cutoff = nc.rank_cutoff(float(evals[-1]), (len(evals), len(evals)))
    return nc.hypothesis(
        "no two inputs parallel (lambda_0 > 0)",
        float(evals[0]),
        ">",
        cutoff,
        note="the rank cutoff, for λ_0 = λ_min(H^∞)",
    )


def with_parallel_pair(X: torch.Tensor) -> torch.Tensor:
    """x_1 := x_0 (unit norm kept, so the only unit-norm parallel pair is a repeat): two rows of
    H^∞ coincide, λ_0 = 0, and labels y_0 ≠ y_1 can never both be fitted."""
    X = X.clone()
    X[1] = X[0]
    return X


def deep_net(
    d: int, depth: int, width: int, cfg: dict[str, Any], *, train_output: bool = True
) -> nc.DeepNet:
    """``DeepNet`` of ``depth`` hidden layers of ``width`` (activation and residual from
    ``cfg``) with every layer trained, the output ``a`` too unless ``train_output`` is False."""
    shape = dict(activation=cfg["activation"], residual=cfg["residual"])
    every = tuple(nc.DeepNet(d, (width,) * depth, **shape).param_shapes())
    trained = every if train_output else tuple(name for name in every if name != "a")
    return nc.DeepNet(d, (width,) * depth, **shape, trainable=trained)


@dataclass
class DeepRun:
    """One GD run of a deep net against its linearization at init (depth-lazy, du-deep)."""

    lr: float
    gram0: torch.Tensor  # Θ(0) of the trained params (nc.empirical_ntk), float64
    evals: torch.Tensor  # its eigenvalues, ascending
    residuals: torch.Tensor  # y − u(k), shape (K + 1, n)
    residuals_lin: torch.Tensor  # (I − ηΘ(0))^k (y − u(0)), the linearized model's
    traj: nc.Trajectory

    @property
    def linear_gap(self) -> float:
        """max_k ‖u(k) − u_lin(k)‖ / ‖y − u(0)‖."""
        gaps = torch.linalg.vector_norm(self.residuals - self.residuals_lin, dim=1)
        return float(gaps.max() / torch.linalg.vector_norm(self.residuals[0]))


def deep_gd(
    net: nc.DeepNet,
    params: nc.Params,
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    step_factor: float,
    steps: int,
    record_every: int,
    callbacks: dict[str, Any] | None = None,
) -> DeepRun:
    """GD with η = step_factor/λ_max(Θ(0)) on ½‖u − y‖², the Gram of the trained params
    tracked (``gram_drift``, ``gram_lambda_min``) at recorded steps, the outputs at every step,
    and the linearized model's residuals from the same Θ(0) and η — an exact trajectory, so a
    kernel or a step 10% off shows as an O(1) gap."""
    gram0 = nc.empirical_ntk(net, params, X).double()
    evals, evecs = torch.linalg.eigh(gram0)
    lr = step_factor / float(evals[-1])
    outputs: list[torch.Tensor] = []
    traj = nc.train(
        net,
        params,
        X,
        y,
        lr=lr,
        steps=steps,
        track_gram=True,
        record_every=record_every,
        callbacks=callbacks,
        observe=lambda k, p: outputs.append(net(p, X).detach()),
        progress=False,
    )
    residuals = y - torch.stack(outputs)
    lin = linear_residuals(evals, evecs, residuals[0], lr, len(outputs) - 1)
    return DeepRun(lr, gram0, evals, residuals, lin, traj)
