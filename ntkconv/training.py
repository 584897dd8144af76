"""Full-batch GD and minibatch SGD, recording what the theorems measure.

Losses: ``"squared"`` ℓ(u, y) = (u − y)², ``"logistic"`` ℓ(u, y) = log(1 + e^{−yu}) with
y ∈ {±1}, ``"cross_entropy"`` ℓ(u, y) = −log softmax(u)_y with u a row of logits and y an
integer class. Their normalization is explicit everywhere (every constant in every theorem
depends on it): ``"half_sum"`` ½Σᵢℓᵢ (Du et al. 2019; the default) · ``"sum"`` Σᵢℓᵢ (the
lecture's ‖h(X; w) − y‖²) · ``"half_mean"`` (1/2n)Σᵢℓᵢ · ``"mean"`` (1/n)Σᵢℓᵢ.
Minibatch gradients are scaled to be unbiased for the full loss's gradient (n/B for the sum
forms). Divergence — a non-finite loss or gradient, or a loss above ``blowup`` × the initial
loss — stops the run and is reported on the trajectory, never raised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch._C._functorch import is_functorch_wrapped_tensor
from torch.func import grad, vmap

from ._progress import tqdm
from ._validation import (
    Params,
    as_labels,
    as_matrix,
    as_vector,
    check_callable,
    check_choice,
    check_interval,
    check_nonnegative_int,
    check_params,
    check_positive_float,
    check_positive_int,
)
from .autodiff import Model, logits_model, resolve_wrt, scalar_model, split
from .kernels import empirical_ntk
from .seeds import check_seed, generator
from .spectra import eigvalsh, lambda_min

REDUCTIONS = ("half_sum", "sum", "half_mean", "mean")
LOSSES = ("squared", "logistic", "cross_entropy")
StepSize = float | Callable[[int, Params, Params], float]


def _pair(u: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    """The outputs ``u`` under the output-shape rule for ``loss``: (n, k) logits (k ≥ 2)
    against (n,) integer labels in 0..k−1 for cross-entropy; otherwise (n,) against (n,)
    floating targets of u's dtype (±1 for the logistic loss), an (n, 1) ``u`` squeezed. Value
    checks are skipped inside ``torch.func`` transforms (``vmap`` cannot trace them); the
    public entry points have made them before."""
    if not isinstance(u, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError("u and y must be torch tensors")
    checked = not (is_functorch_wrapped_tensor(u) or is_functorch_wrapped_tensor(y))
    if loss == "cross_entropy":
        if u.ndim != 2 or u.shape[1] < 2 or y.ndim != 1 or y.shape[0] != u.shape[0]:
            raise ValueError(
                "loss='cross_entropy' takes (n, k) logits u with k >= 2 and (n,) integer "
                f"labels y; got u {tuple(u.shape)}, y {tuple(y.shape)}"
            )
        if y.is_floating_point() or y.dtype == torch.bool:
            raise TypeError(f"loss='cross_entropy' takes integer class labels y; got {y.dtype}")
        if checked and y.numel() and (int(y.min()) < 0 or int(y.max()) >= u.shape[1]):
            raise ValueError(
                f"y must hold classes in 0..{u.shape[1] - 1}; got {int(y.min())}..{int(y.max())}"
            )
    else:
        if u.ndim == 2 and u.shape[1] == 1:
            u = u.squeeze(1)
        if u.ndim != 1 or y.shape != u.shape:
            hint = "; (n, k) logits take loss='cross_entropy'" if u.ndim == 2 else ""
            raise ValueError(
                f"loss={loss!r} takes (n,) outputs u (an (n, 1) u is squeezed) and (n,) "
                f"targets y; got u {tuple(u.shape)}, y {tuple(y.shape)}{hint}"
            )
        if y.dtype != u.dtype:
            raise TypeError(f"y has dtype {y.dtype} but the outputs u are {u.dtype}")
        if checked and loss == "logistic" and not bool(((y == 1) | (y == -1)).all()):
            raise ValueError("y must hold labels ±1 for loss='logistic'")
    if u.shape[0] == 0:
        raise ValueError("u and y are empty; need n >= 1")
    return u


def pointwise_loss(u: torch.Tensor, y: torch.Tensor, loss: str = "squared") -> torch.Tensor:
    """Per-example losses ℓ(uᵢ, yᵢ), shape (n,), with no normalization.

    ``"squared"`` ℓ(u, y) = (u − y)²; ``"logistic"`` ℓ(u, y) = log(1 + e^{−yu}) (computed as
    softplus(−yu), without overflow); ``"cross_entropy"`` ℓ(u, y) = −log softmax(u)_y (see the
    module docstring).

    Args:
        u: outputs, shape (n,) or (n, 1) (squeezed), float32/float64; (n, k) logits with
            k ≥ 2 for ``"cross_entropy"``.
        y: targets, shape (n,): reals of u's dtype (``"squared"``), ±1 of u's dtype
            (``"logistic"``) or integer classes in 0..k−1 (``"cross_entropy"``).
        loss: one of :data:`LOSSES`; default ``"squared"``.

    Returns:
        The (n,) per-example losses, in u's dtype.

    Raises:
        TypeError: ``u`` or ``y`` is not a tensor; ``y``'s dtype differs from u's (squared,
            logistic); floating or bool labels for ``"cross_entropy"``.
        ValueError: an unknown ``loss``; shapes outside the output-shape rule or empty
            (n = 0); logistic labels other than ±1; classes outside 0..k−1.

    Examples:
        >>> pointwise_loss(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]))
        tensor([0., 4.])
        >>> pointwise_loss(torch.tensor([0.0, 2.0]), torch.tensor([1.0, -1.0]), "logistic")
        tensor([0.6931, 2.1269])
        >>> pointwise_loss(torch.tensor([[2.0, 0.0]]), torch.tensor([0]), "cross_entropy")
        tensor([0.1269])
    """
    loss = check_choice(loss, "loss", LOSSES)
    return _TERMS[loss](_pair(u, y, loss), y)


# The losses and normalizations, unchecked: the training loops validate shapes and labels once
# on entry and then call these at every step (the checks cost as much as a small net's step).
_TERMS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "squared": lambda u, y: (u - y) ** 2,
    "logistic": lambda u, y: F.softplus(-y * u),  # log(1 + e^{−yu}) without overflow
    "cross_entropy": lambda u, y: F.cross_entropy(u, y, reduction="none"),
}
_REDUCE: dict[str, Callable[[torch.Tensor, int], torch.Tensor]] = {
    "half_sum": lambda s, n: s / 2,
    "sum": lambda s, n: s,
    "half_mean": lambda s, n: s / (2 * n),
    "mean": lambda s, n: s / n,
}


def _risk(u: torch.Tensor, y: torch.Tensor, loss: str, reduction: str) -> torch.Tensor:
    """:func:`risk` without its checks, for arguments validated before the loop."""
    return _REDUCE[reduction](_TERMS[loss](u, y).sum(), u.shape[0])


def risk(
    u: torch.Tensor, y: torch.Tensor, loss: str = "squared", reduction: str = "half_sum"
) -> torch.Tensor:
    """The empirical risk Σᵢℓ(uᵢ, yᵢ) with an explicit normalization.

    Every constant in every theorem depends on the normalization: ``"half_sum"`` ½Σᵢℓᵢ is Du
    et al.'s (2019) and the default; ``"sum"`` Σᵢℓᵢ is the lecture's ‖h(X; w) − y‖².

    Args:
        u: outputs, as for :func:`pointwise_loss`.
        y: targets, as for :func:`pointwise_loss`.
        loss: one of :data:`LOSSES`; default ``"squared"``.
        reduction: one of :data:`REDUCTIONS`: ``"half_sum"`` ½Σ (the default), ``"sum"`` Σ,
            ``"half_mean"`` (1/2n)Σ, ``"mean"`` (1/n)Σ.

    Returns:
        A scalar (0-d) tensor in u's dtype, differentiable in ``u``.

    Raises:
        TypeError: as for :func:`pointwise_loss` (tensor types and dtypes).
        ValueError: an unknown ``loss`` or ``reduction``, or inputs refused by
            :func:`pointwise_loss`.

    Examples:
        >>> float(risk(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]), reduction="mean"))
        2.0
    """
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    return _REDUCE[reduction](pointwise_loss(u, y, loss).sum(), u.shape[0])


def squared_loss(u: torch.Tensor, y: torch.Tensor, reduction: str = "half_sum") -> torch.Tensor:
    """Squared loss with an explicit normalization: ``risk(u, y, "squared", reduction)``.

    With the default ``"half_sum"`` this is ½‖u − y‖² (Du et al. 2019).

    Args:
        u: outputs, shape (n,) or (n, 1) (squeezed), float32/float64.
        y: real targets of shape (n,) and u's dtype.
        reduction: one of :data:`REDUCTIONS`; default ``"half_sum"`` ½Σᵢ(uᵢ − yᵢ)².

    Returns:
        A scalar (0-d) tensor in u's dtype.

    Raises:
        TypeError: ``u`` or ``y`` is not a tensor, or their dtypes differ.
        ValueError: an unknown ``reduction``, shapes that do not pair up, or n = 0.

    Examples:
        >>> u, y = torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0])
        >>> float(squared_loss(u, y)), float(squared_loss(u, y, reduction="sum"))
        (2.0, 4.0)
    """
    return risk(u, y, "squared", reduction)


def linearized_loss_ratio(
    kernel: torch.Tensor, residual: torch.Tensor, lr: float, reduction: str = "half_sum"
) -> float:
    """L(w₊)/L(w) for one GD step on the model linearized at w: ‖(I − 2cηK)r‖²/‖r‖².

    With L = c‖u − y‖² (c = ½, 1, 1/2n, 1/n for the reductions of :data:`REDUCTIONS`), a GD
    step moves the parameters by −2cηJᵀr, so the linearized outputs move by −2cηJJᵀr = −2cηKr.
    The actual ratio differs from this by the curvature of the model along the step,
    O(η²‖∇²f‖‖Jᵀr‖²): the comparison is how a check sees a wrong step or kernel at finite width
    (Liu, Zhu, Belkin, NeurIPS 2020: a wide net is close to its linearization).

    Args:
        kernel: the (n, n) tangent kernel K = J(w)J(w)ᵀ at w (e.g. :func:`empirical_ntk`).
        residual: r = u(w) − y, shape (n,), of the kernel's dtype and device.
        lr: the step η, a finite number > 0.
        reduction: the loss's normalization, one of :data:`REDUCTIONS`; default ``"half_sum"``.

    Returns:
        The predicted loss ratio, a float ≥ 0 (NaN when r = 0).

    Raises:
        ValueError: shapes that do not pair up, a non-positive ``lr`` or an unknown
            ``reduction``.

    Examples:
        >>> K, r = torch.eye(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
        >>> linearized_loss_ratio(K, r, 0.25)  # ½‖r‖²: r ← (1 − 0.25) r
        0.5625
    """
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    lr = check_positive_float(lr, "lr")
    n = residual.shape[0] if residual.ndim == 1 else -1
    if residual.ndim != 1 or tuple(kernel.shape) != (n, n):
        raise ValueError(
            f"kernel must be (n, n) and residual (n,); got {tuple(kernel.shape)} and "
            f"{tuple(residual.shape)}"
        )
    scale = 2 * _REDUCE[reduction](1.0, n)  # on a float: c exactly, not a float32 tensor
    moved = residual - lr * scale * (kernel @ residual)
    return float((moved**2).sum() / (residual**2).sum())


#: Steps whose loss is below this fraction of L(w_0) are left out of
#: :func:`linearized_step_errors`: there the float64 rounding of L_{k+1}/L_k is no longer small
#: against the decrease.
STEP_FLOOR = 1e-12


def linearized_step_errors(
    loss: object, predicted_ratio: object, floor: float = STEP_FLOOR
) -> np.ndarray:
    """Each GD step's loss decrease against the linearized model's, relative to the latter.

    With L_k the loss at step k (recorded at every step) and ρ_k the ratio
    :func:`linearized_loss_ratio` predicts from w_k, the error of step k is
    |(1 − L_{k+1}/L_k) − (1 − ρ_k)| / (1 − ρ_k) — what a wrong step or kernel moves by its own
    relative size, while the model's curvature moves it by O(η‖∇²f‖‖∇L‖²) only.

    Args:
        loss: (K + 1,) losses L_0 … L_K of consecutive steps (``record_every=1``).
        predicted_ratio: (K + 1,) the predicted ratios at the same steps (the last is unused).
        floor: steps with L_k ≤ floor·L_0 get NaN (float64 rounding); default
            :data:`STEP_FLOOR`.

    Returns:
        The K errors, NaN at the steps below the floor.

    Raises:
        ValueError: the two arrays differ in length or hold fewer than two steps.

    Examples:
        >>> linearized_step_errors([1.0, 0.5, 0.2], [0.5, 0.5, 0.5]).round(3).tolist()
        [0.0, 0.2]
    """
    loss = np.asarray(loss, dtype=float)
    predicted_ratio = np.asarray(predicted_ratio, dtype=float)
    if loss.ndim != 1 or loss.shape != predicted_ratio.shape or loss.size < 2:
        raise ValueError(
            "loss and predicted_ratio must be 1-D arrays of one length ≥ 2; got shapes "
            f"{loss.shape} and {predicted_ratio.shape}"
        )
    predicted = 1 - predicted_ratio[:-1]
    errors = np.abs(1 - loss[1:] / loss[:-1] - predicted) / predicted
    return np.where(loss[:-1] > floor * loss[0], errors, np.nan)


def accuracy(u: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction classified correctly.

    Args:
        u: (n, k) logits (the argmax is the prediction), or (n,) / (n, 1) scores (the sign is;
            a score of exactly 0 counts as wrong).
        y: (n,) integer classes for logits; (n,) labels ±1 for scores.

    Returns:
        The accuracy in [0, 1].

    Raises:
        TypeError: floating or bool labels for (n, k) logits, or score labels whose dtype
            differs from integer-valued scores.
        ValueError: shapes that do not pair up, n = 0, classes outside 0..k−1, or score
            labels other than ±1.

    Examples:
        >>> accuracy(torch.tensor([[0.5], [-1.0]]), torch.tensor([1.0, 1.0]))
        0.5
        >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]])
        >>> round(accuracy(logits, torch.tensor([0, 1, 1])), 4)
        0.6667
    """
    if not isinstance(u, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError("accuracy takes torch tensors u and y")
    if u.ndim == 2 and u.shape[1] > 1:
        pred = _pair(u, y, "cross_entropy").argmax(dim=1)
    else:
        if not isinstance(y, torch.Tensor) or not bool(((y == 1) | (y == -1)).all()):
            raise ValueError("y must hold labels ±1 for (n,) scores; give (n, k) logits otherwise")
        u = _pair(u, y.to(u.dtype) if u.is_floating_point() else y, "logistic")
        pred = torch.sign(u)
    return float((pred == y).double().mean())


def per_example_grads(
    model: Model,
    params: Params,
    X: object,
    y: object,
    *,
    loss: str = "squared",
    wrt: Collection[str] | str | None = None,
) -> Params:
    """Per-example gradients ∇_θ ℓ(f(θ; xᵢ), yᵢ) for every example at once.

    Computed as ``vmap`` of ``grad``. The loss is the un-normalized per-example ℓ of
    :func:`pointwise_loss`, so the sum over examples is the gradient of
    ``risk(..., reduction="sum")``; rescale for the other reductions.

    Args:
        model: a model ``model(params, X)`` returning (n,) or (n, 1) outputs (squared and
            logistic losses) or (n, k) logits (cross-entropy).
        params: the point θ, a dict of float32/float64 tensors of one dtype and device.
        X: the (n, d) inputs, a finite tensor or NumPy array in the params' dtype and device.
        y: the (n,) targets: reals (``"squared"``), ±1 (``"logistic"``), both in X's dtype;
            integer classes (``"cross_entropy"``).
        loss: one of :data:`LOSSES`; default ``"squared"``.
        wrt: the differentiated params, a name or collection of names; ``None`` (the
            default) means ``model.trainable``, or all params when the model has none.

    Returns:
        A dict name → (n, *shape) tensor over the ``wrt`` params: row i is example i's
        gradient.

    Raises:
        TypeError: bad params, an X or y of the wrong dtype, or a model output of another
            dtype.
        ValueError: an unknown ``loss``; X, y or the model output of the wrong shape;
            non-finite inputs; labels outside the loss's range; unknown ``wrt`` names.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerNet(d=3, width=4)
        >>> params, X = net.init(0), nc.sphere_inputs(5, 3, seed=1)
        >>> y = torch.ones(5, dtype=torch.float64)
        >>> g = per_example_grads(net, params, X, y)
        >>> {k: tuple(v.shape) for k, v in g.items()}
        {'W': (5, 4, 3)}
        >>> full = torch.func.grad(
        ...     lambda W: risk(net({**params, "W": W}, X), y, reduction="sum"))(params["W"])
        >>> torch.allclose(g["W"].sum(0), full)
        True
    """
    params = check_params(params)
    loss = check_choice(loss, "loss", LOSSES)
    X = as_matrix(X, "X", like=next(iter(params.values())))
    model, y = _targets(model, params, X, y, loss)
    sub, fixed = split(params, resolve_wrt(model, params, wrt))

    def one(s: Params, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return pointwise_loss(model({**fixed, **s}, x[None]), t[None], loss).sum()

    return vmap(grad(one), in_dims=(None, 0, 0))(sub, X, y)


def winsorize(grads: Params, c: float) -> Params:
    """Clip every coordinate of per-example gradients to its c-th and (100 − c)-th percentiles.

    Percentiles are taken across the examples (the leading axis), with linear interpolation
    as ``numpy.percentile`` — Chatterjee, ICLR 2020, §4 "winsorized gradient descent".

    Args:
        grads: a dict name → (n, *shape) tensor of per-example gradients, e.g. from
            :func:`per_example_grads` (not validated here).
        c: the percentile, a number in [0, 50); ``0`` clips to the min and max, i.e. leaves
            the gradients unchanged.

    Returns:
        A new dict with the same keys, shapes and dtypes, each coordinate clamped.

    Raises:
        ValueError: ``c`` is not in [0, 50).

    Examples:
        >>> g = {"w": torch.tensor([[0.0], [1.0], [2.0], [3.0], [100.0]])}
        >>> winsorize(g, 25)["w"].flatten()
        tensor([1., 1., 2., 3., 3.])
    """
    if not 0.0 <= float(c) < 50.0:
        raise ValueError(f"c must be a percentile in [0, 50); got {c!r}")
    out = {}
    for name, g in grads.items():
        n = g.shape[0]
        # sort each coordinate's n values along a contiguous last axis: 3× faster on CPU than
        # sorting along the leading axis, and torch.quantile refuses inputs over 16M entries
        s = torch.sort(g.reshape(n, -1).T.contiguous(), dim=1).values
        lo = _percentile(s, float(c)).reshape(g.shape[1:])
        hi = _percentile(s, 100.0 - float(c)).reshape(g.shape[1:])
        out[name] = g.clamp(lo, hi)
    return out


def _percentile(sorted_rows: torch.Tensor, q: float) -> torch.Tensor:
    """The q-th percentile of each row of a row-sorted matrix (linear interpolation)."""
    last = sorted_rows.shape[1] - 1
    pos = q / 100.0 * last
    lo = math.floor(pos)
    hi = min(lo + 1, last)
    return sorted_rows[:, lo] + (pos - lo) * (sorted_rows[:, hi] - sorted_rows[:, lo])


def _targets(
    model: Model, params: Params, X: torch.Tensor, y: object, loss: str
) -> tuple[Model, torch.Tensor]:
    """(model under the output-shape rule, validated y) for ``loss``: float targets (±1 for
    logistic) against (n,) outputs, or integer classes below the number of logits."""
    n = X.shape[0]
    if loss == "cross_entropy":
        classes = logits_model(model, params, X)
        return model, as_labels(y, "y", n=n, classes=classes, device=X.device)
    model = scalar_model(model, params, X, "model")
    y = as_vector(y, "y", n=n, like=X)
    if loss == "logistic" and not bool(((y == 1) | (y == -1)).all()):
        raise ValueError("y must hold labels ±1 for loss='logistic'")
    return model, y


@dataclass
class Trajectory:
    """Per-recorded-step arrays of a run of :func:`gradient_descent` or :func:`train`.

    Every array has one entry per record (r records: k = 0, every ``record_every`` steps, and
    the last step).

    Attributes:
        step: (r,) int array, the recorded step indices k.
        loss: (r,) the full loss L(w_k), in the objective's normalization (also for SGD).
        grad_norm_sq: (r,) ‖∇L(w_k)‖², the squared norm of the full gradient over the trained
            params.
        dist_from_init: (r,) ‖w_k − w_0‖ over the trained params.
        lr: (r,) ``lr[i]`` is the step size η_k of the step taken from ``step[i]`` (NaN
            where no step was taken from it, e.g. the last record).
        params: all params (trained and fixed) at the final iterate or, after a divergence,
            at the last iterate whose loss passed the check.
        diverged: whether the run stopped on divergence (a non-finite loss or gradient, or
            a loss above ``blowup`` × the initial loss).
        diverged_at: the step at which divergence was detected, else None.
        extras: column name → (r,) array, one per callback (``train`` adds
            ``activation_flips``, ``gram_lambda_min``, ``gram_drift``).
        grams: step → float64 (n, n) Gram, at ``train``'s ``gram_steps`` (empty otherwise).

    Examples:
        >>> loss = lambda p: 0.5 * (p["w"] ** 2).sum()
        >>> traj = gradient_descent(loss, {"w": torch.ones(2, dtype=torch.float64)}, lr=0.5,
        ...                         steps=3, progress=False)
        >>> traj.step.tolist(), traj.lr.tolist()
        ([0, 1, 2, 3], [0.5, 0.5, 0.5, nan])
        >>> traj.to_frame().columns.tolist()
        ['step', 'loss', 'grad_norm_sq', 'dist_from_init', 'lr']
    """

    step: np.ndarray
    loss: np.ndarray
    grad_norm_sq: np.ndarray
    dist_from_init: np.ndarray
    lr: np.ndarray
    params: Params
    diverged: bool = False
    diverged_at: int | None = None
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    grams: dict[int, torch.Tensor] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The records as a table.

        Returns:
            A ``pandas.DataFrame`` with one row per record and columns ``step``, ``loss``,
            ``grad_norm_sq``, ``dist_from_init``, ``lr`` and then the ``extras``.
        """
        cols = {
            "step": self.step,
            "loss": self.loss,
            "grad_norm_sq": self.grad_norm_sq,
            "dist_from_init": self.dist_from_init,
            "lr": self.lr,
            **self.extras,
        }
        return pd.DataFrame(cols)


def check_run_limits(lr: object, target_loss: object, blowup: object) -> None:
    """The step size (a finite float > 0, or a callable schedule), the target loss (None or a
    finite float) and the blow-up factor (>= 1, may be inf) of a GD run."""
    if not callable(lr):
        check_positive_float(lr, "lr")
    if target_loss is not None:
        check_interval(target_loss, "target_loss", -math.inf, math.inf, closed=(False, False))
    factor = check_positive_float(blowup, "blowup", allow_inf=True)
    if factor < 1:
        raise ValueError(f"blowup must be >= 1 (a factor on the initial loss); got {blowup!r}")


def _check_objective(loss_fn: object, params: Params) -> None:
    """``loss_fn(params)`` must be a real scalar tensor in the params' dtype."""
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable; got {type(loss_fn).__name__}")
    value = loss_fn(params)
    ref = next(iter(params.values()))
    if not isinstance(value, torch.Tensor) or value.ndim != 0 or value.dtype != ref.dtype:
        kind = (
            f"{value.dtype} tensor of shape {tuple(value.shape)}"
            if isinstance(value, torch.Tensor)
            else type(value).__name__
        )
        raise TypeError(f"loss_fn(params) must return a scalar {ref.dtype} tensor; got a {kind}")


def _check_step_grad(step: object, sub: Params) -> None:
    """``grad_fn(k, params)`` must return a dict like the trained params (keys, shapes, dtype)."""
    if not isinstance(step, Mapping) or set(step) != set(sub):
        raise TypeError(f"grad_fn(k, params) must return a dict with keys {sorted(sub)}")
    for k, v in sub.items():
        t = step[k]
        if not isinstance(t, torch.Tensor) or t.shape != v.shape or t.dtype != v.dtype:
            raise TypeError(
                f"grad_fn(k, params)[{k!r}] must be a {v.dtype} tensor of shape {tuple(v.shape)}"
            )


RECORDED = ("step", "loss", "grad_norm_sq", "dist_from_init", "lr")


def _check_callbacks(callbacks: object) -> dict[str, Callable[[Params], float]]:
    """A mapping of new column names to callables (a name of a recorded column is refused:
    its values would interleave with the recorded ones)."""
    if callbacks is None:
        return {}
    if not isinstance(callbacks, Mapping):
        raise TypeError(
            f"callbacks must be a dict of name → callable; got {type(callbacks).__name__}"
        )
    for name, cb in callbacks.items():
        if not isinstance(name, str) or name in RECORDED:
            raise ValueError(f"callbacks[{name!r}]: the name must be a str other than {RECORDED}")
        check_callable(cb, f"callbacks[{name!r}]")
    return dict(callbacks)


def _scheduled(eta: object, k: int) -> float:
    """A step size a schedule returned, refused unless finite and > 0."""
    try:
        return check_positive_float(eta, "lr")
    except (TypeError, ValueError):
        raise ValueError(
            f"lr(k, params, grad) must return a finite float > 0; got {eta!r} at k = {k}"
        ) from None


def _sq_norm(tree: Params, members: int | None = None) -> torch.Tensor:
    """Σ‖v‖² over a params dict in float64 on the params' device: a 0-d tensor, or one value
    per member, shape (S,), when ``members`` = S is the size of a leading ensemble axis."""
    shape = (-1,) if members is None else (members, -1)
    # vector_norm in float64, and no stack for a single param: this runs twice per GD step.
    parts = [
        torch.linalg.vector_norm(v.reshape(shape), dim=-1, dtype=torch.float64) ** 2
        for v in tree.values()
    ]
    return parts[0] if len(parts) == 1 else torch.stack(parts).sum(0)


def value_and_grad(
    objective: Callable[[Params], torch.Tensor], fixed: Params
) -> Callable[[Params], tuple[Params, torch.Tensor]]:
    """``sub ↦ (∇_sub Σ objective({**fixed, **sub}), objective(...))`` by reverse-mode autograd
    on fresh leaves, the way a hand-written loop does it: at the sweeps' small sizes
    ``torch.func.grad_and_value`` costs about a step's worth in its pytree wrapping
    (experiments/bench_train.py). The objective is a scalar, or one loss per ensemble member
    (independent members: the gradient of the sum is each member's own). A param the
    objective does not use gets a zero gradient, as under ``torch.func.grad``; the value is
    returned detached."""

    def run(sub: Params) -> tuple[Params, torch.Tensor]:
        leaves = {k: v.detach().requires_grad_(True) for k, v in sub.items()}
        with torch.enable_grad():
            value = objective({**fixed, **leaves})
        if not value.requires_grad:
            return {k: torch.zeros_like(v) for k, v in sub.items()}, value.detach()
        grads = torch.autograd.grad(value.sum(), tuple(leaves.values()), allow_unused=True)
        return {
            k: torch.zeros_like(sub[k]) if g is None else g
            for k, g in zip(leaves, grads, strict=True)
        }, value.detach()

    return run


def gradient_descent(
    loss_fn: Callable[[Params], torch.Tensor],
    params: Params,
    *,
    lr: StepSize,
    steps: int,
    wrt: Collection[str] | str | None = None,
    grad_fn: Callable[[int, Params], Params] | None = None,
    record_every: int = 1,
    callbacks: Mapping[str, Callable[[Params], float]] | None = None,
    observe: Callable[[int, Params], None] | None = None,
    target_loss: float | None = None,
    until: Callable[[Params], bool] | None = None,
    blowup: float = 1e8,
    progress: bool | None = None,
    desc: str = "GD",
) -> Trajectory:
    """Gradient descent w_{k+1} = w_k − η_k g_k on the ``wrt`` params of ``loss_fn(params)``.

    ``g_k`` is the exact gradient, or ``grad_fn(k, params)`` (e.g. a minibatch estimate).
    Records loss, ‖∇L‖², ‖w_k − w_0‖ and each ``callbacks[name](params)`` at k = 0,
    ``record_every``, ..., and at the last step; ``observe(k, params)`` is called at every
    step. Stops early once loss ≤ ``target_loss`` or, at a step it records, once
    ``until(params)`` is true. With a ``grad_fn`` (SGD) the full loss and gradient are
    evaluated only at recorded steps, so ``target_loss`` and divergence of the loss are
    checked there. Divergence stops the run and is reported on the trajectory, never raised.

    Args:
        loss_fn: the objective ``loss_fn(params) -> scalar tensor`` in the params' dtype
            (called once on entry to check that), differentiable in the ``wrt`` params.
        params: the initial point w_0, a dict of float32/float64 tensors of one dtype and
            device (detached on entry); params outside ``wrt`` are held fixed.
        lr: the step size: a finite float > 0, or a schedule ``lr(k, params, full_grad) ->
            η_k`` whose values are checked at every step. For SGD, ``lr`` receives the last
            full gradient computed (at the latest recorded step).
        steps: the maximum number of steps, an int ≥ 0.
        wrt: the trained params, a name or collection of names; ``None`` (the default)
            trains all of ``params``.
        grad_fn: ``grad_fn(k, params) -> dict`` of step directions with the trained params'
            keys, shapes and dtype (checked at k = 0); ``None`` (the default) uses the exact
            gradient.
        record_every: record every this many steps, an int ≥ 1 (the last step is always
            recorded).
        callbacks: name → ``callback(params) -> float``, recorded as extra columns at the
            recorded steps; names other than those of the recorded columns.
        observe: ``observe(k, params)``, called at every step k (before the step is taken).
        target_loss: stop once the loss is ≤ this (None or a finite float); default None.
        until: ``until(params) -> bool``, called at every recorded step (the last one too);
            stop when true.
        blowup: divergence factor ≥ 1 (may be inf): a loss above blowup × the initial loss
            counts as divergence.
        progress: show a tqdm progress bar; ``None`` (the default) shows it only on a
            terminal.
        desc: the progress bar's label.

    Returns:
        The :class:`Trajectory` of the run (``grams`` empty).

    Raises:
        TypeError: bad params; ``loss_fn`` not callable or not returning a scalar tensor of
            the params' dtype; ``lr`` / ``blowup`` not numbers; ``callbacks`` not a dict or
            ``grad_fn`` / ``observe`` / ``until`` / a callback not callable; ``grad_fn``
            returning a dict of the wrong keys, shapes or dtype; ``wrt`` not names.
        ValueError: ``steps`` not an int ≥ 0 or ``record_every`` not ≥ 1; ``lr`` not a finite
            float > 0 (also a schedule's value, at the step it is returned); ``target_loss``
            not None or finite; ``blowup`` < 1; a callback named like a recorded column;
            unknown or repeated ``wrt`` names; non-finite params.

    Examples:
        >>> loss = lambda p: 0.5 * (p["w"] ** 2).sum()  # GD with η = 0.5 halves w
        >>> w0 = {"w": torch.ones(2, dtype=torch.float64)}
        >>> traj = gradient_descent(loss, w0, lr=0.5, steps=3, progress=False)
        >>> traj.loss.tolist(), traj.params["w"].tolist()
        ([1.0, 0.25, 0.0625, 0.015625], [0.125, 0.125])
        >>> traj = gradient_descent(loss, w0, lr=3.0, steps=100, progress=False)  # η > 2/β
        >>> traj.diverged, traj.diverged_at, int(traj.step[-1])
        (True, 14, 13)
    """
    params = check_params(params)
    steps = check_nonnegative_int(steps, "steps")
    record_every = check_positive_int(record_every, "record_every")
    check_run_limits(lr, target_loss, blowup)
    names = resolve_wrt(None, params, wrt)
    sub, fixed = split(params, names)
    init = {k: v.clone() for k, v in sub.items()}
    _check_objective(loss_fn, params)
    gradient_and_loss = value_and_grad(loss_fn, fixed)
    callbacks = _check_callbacks(callbacks)
    check_callable(until, "until")
    check_callable(observe, "observe")
    check_callable(grad_fn, "grad_fn")
    rows: dict[str, list[float]] = {
        k: [] for k in ("step", "loss", "grad_norm_sq", "dist_from_init", "lr", *callbacks)
    }
    loss0: float | None = None
    diverged_at: int | None = None
    good = sub  # last iterate that passed the divergence checks (what the trajectory returns)
    bar = tqdm(
        total=steps, desc=desc, disable=None if progress is None else not progress, leave=False
    )
    for k in range(steps + 1):
        full = {**fixed, **sub}
        done = False
        # SGD evaluates the full loss only where it records; GD needs the gradient anyway.
        if grad_fn is None or k % record_every == 0 or k == steps:
            g, value = gradient_and_loss(sub)
            # One host transfer for the loss, ‖∇L‖² and ‖w_k − w_0‖² together.
            loss, gnorm, dist = torch.stack(
                [value.double(), _sq_norm(g), _sq_norm({n: sub[n] - init[n] for n in sub})]
            ).tolist()
            loss0 = loss if loss0 is None else loss0
            finite = math.isfinite(loss) and math.isfinite(gnorm)
            if not finite or loss > blowup * max(loss0, 1e-300):
                diverged_at = k
                break
            good = sub
            done = k == steps or (target_loss is not None and loss <= target_loss)
            recorded = k % record_every == 0 or done
            # ``until`` sees every recorded step, the last one too (callers read it as an
            # observer of the recorded steps, e.g. to log a training accuracy)
            stop = recorded and until is not None and bool(until(full))
            done = done or stop
            if recorded or done:
                rows["step"].append(k)
                rows["loss"].append(loss)
                rows["grad_norm_sq"].append(gnorm)
                rows["dist_from_init"].append(math.sqrt(dist))
                rows["lr"].append(math.nan)
                for name, cb in callbacks.items():
                    rows[name].append(float(cb(full)))
        if observe is not None:
            observe(k, full)
        if done:
            break
        # The exact gradient was checked finite with its norm; an estimate is checked here.
        step_grad = g if grad_fn is None else grad_fn(k, full)
        if grad_fn is not None:
            if k == 0:
                _check_step_grad(step_grad, sub)
            if not all(torch.isfinite(v).all() for v in step_grad.values()):
                diverged_at = k
                break
        eta = float(lr) if not callable(lr) else _scheduled(lr(k, full, g), k)
        if rows["step"] and rows["step"][-1] == k:
            rows["lr"][-1] = eta
        sub = {n: sub[n] - eta * step_grad[n] for n in sub}
        bar.update(1)
    bar.close()
    arrays = {k: np.asarray(v, dtype=float) for k, v in rows.items()}
    return Trajectory(
        step=arrays["step"].astype(int),
        loss=arrays["loss"],
        grad_norm_sq=arrays["grad_norm_sq"],
        dist_from_init=arrays["dist_from_init"],
        lr=arrays["lr"],
        params={**fixed, **(good if diverged_at is not None else sub)},
        diverged=diverged_at is not None,
        diverged_at=diverged_at,
        extras={k: arrays[k] for k in callbacks},
    )


def train(
    model: Model,
    params: Params,
    X: object,
    y: object,
    *,
    lr: StepSize,
    steps: int,
    loss: str = "squared",
    reduction: str = "half_sum",
    batch_size: int | None = None,
    seed: int = 0,
    wrt: Collection[str] | str | None = None,
    gram_steps: Collection[int] = (),
    track_gram: bool = False,
    track_activations: bool = True,
    record_every: int = 1,
    callbacks: Mapping[str, Callable[[Params], float]] | None = None,
    target_loss: float | None = None,
    until: Callable[[Params], bool] | None = None,
    blowup: float = 1e8,
    observe: Callable[[int, Params], None] | None = None,
    progress: bool | None = None,
) -> Trajectory:
    """GD (``batch_size=None``) or SGD on ``risk(model(params, X), y, loss, reduction)``.

    Output shapes: the model returns (n,) (an (n, 1) output is squeezed) for the squared and
    logistic losses, (n, k) logits with k ≥ 2 for cross-entropy; anything else is refused
    before the first step. Params are detached on entry (``dict(module.named_parameters())``
    is fine). Minibatch gradients are scaled by n/B for the sum reductions, so they are
    unbiased for the full loss's gradient. The run itself is :func:`gradient_descent`.

    Args:
        model: a model ``model(params, X)``; its ``trainable`` names the default ``wrt``, and
            an ``activation_pattern(params, X)`` method enables ``activation_flips``.
        params: the initialization, a dict of float32/float64 tensors of one dtype and device.
        X: the (n, d) training inputs, a finite tensor or NumPy array in the params' dtype and
            device.
        y: the (n,) targets: reals (``"squared"``) or ±1 (``"logistic"``) in X's dtype, or
            integer classes 0..k−1 (``"cross_entropy"``).
        lr: a finite number > 0 or a schedule ``lr(k, params, grad)`` whose values are checked
            at every step.
        steps: the maximum number of steps, an int ≥ 0.
        loss: one of :data:`LOSSES`; default ``"squared"``.
        reduction: the loss normalization, one of :data:`REDUCTIONS`; default ``"half_sum"``
            ½Σᵢℓᵢ (Du et al. 2019).
        batch_size: ``None`` (the default) for full-batch GD; an int in 1..n for SGD, each
            step's batch drawn without replacement (a fresh permutation prefix) from
            ``torch.Generator(seed)``.
        seed: the SGD batches' seed, following :func:`ntkconv.check_seed` (validated for GD
            too).
        wrt: the trained params; ``None`` (the default) means ``model.trainable`` (all params
            when the model has none).
        gram_steps: step indices in 0..steps at which float64 Grams (:func:`empirical_ntk`,
            method "auto") are stored in ``Trajectory.grams`` (steps after an early stop are
            absent).
        track_gram: record ``gram_lambda_min`` = λ_min(G(k)) and ``gram_drift`` =
            ‖G(k) − G(0)‖₂ (float64, the closed form where the model has one) at each
            recorded step.
        track_activations: record ``activation_flips`` — the fraction of the n·m first-layer
            activation signs that differ from initialization — for models with
            ``activation_pattern``.
        record_every: record every this many steps, an int ≥ 1 (the last step is always
            recorded).
        callbacks: name → ``callback(params) -> float``, extra recorded columns.
        target_loss: stop once the full loss is ≤ this (None or a finite float).
        until: ``until(params) -> bool``, called at every recorded step (the last one too);
            stop when true.
        blowup: divergence factor ≥ 1 (may be inf) on the initial loss.
        observe: ``observe(k, params)``, run at every step.
        progress: show a progress bar; ``None`` (the default) only on a terminal.

    Returns:
        The :class:`Trajectory`, with ``grams`` filled at ``gram_steps``.

    Raises:
        TypeError: bad params; X or y of the wrong dtype; model outputs of another dtype;
            ``gram_steps`` not a collection; arguments of :func:`gradient_descent` of the
            wrong type.
        ValueError: an unknown ``loss`` or ``reduction``; X, y or model outputs of the wrong
            shape; labels outside the loss's range; ``batch_size`` not in 1..n;
            ``gram_steps`` outside 0..steps; bad ``seed``, ``lr``, ``steps`` and the other
            checks of :func:`gradient_descent`.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerNet(d=3, width=16)
        >>> params, X = net.init(0), nc.sphere_inputs(4, 3, seed=1)
        >>> y = torch.tensor([1.0, -1.0, 0.5, -0.5], dtype=torch.float64)
        >>> traj = train(net, params, X, y, lr=1.0, steps=10, record_every=5, track_gram=True,
        ...              gram_steps=(0, 10), progress=False)
        >>> traj.step.tolist(), bool(traj.loss[-1] < 0.01 * traj.loss[0])
        ([0, 5, 10], True)
        >>> sorted(traj.extras), sorted(traj.grams), tuple(traj.grams[10].shape)
        (['activation_flips', 'gram_drift', 'gram_lambda_min'], [0, 10], (4, 4))
        >>> sgd = train(net, params, X, y, lr=0.5, steps=40, batch_size=2, seed=0,
        ...             record_every=20, progress=False)
        >>> sgd.step.tolist(), bool(sgd.loss[-1] < sgd.loss[0])
        ([0, 20, 40], True)
    """
    params = check_params(params)
    X = as_matrix(X, "X", like=next(iter(params.values())))
    loss = check_choice(loss, "loss", LOSSES)
    model, y = _targets(model, params, X, y, loss)
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    names = resolve_wrt(model, params, wrt)

    def loss_fn(p: Params) -> torch.Tensor:
        return _risk(model(p, X), y, loss, reduction)

    grad_fn = None
    n = X.shape[0]
    check_seed(seed)  # GD does not use it, but a bad seed is a user error either way
    if batch_size is not None:
        batch = check_positive_int(batch_size, "batch_size")
        if batch > n:
            raise ValueError(f"batch_size must be <= n = {n}; got {batch}")
        gen = generator(seed)
        scale = n / batch if reduction in ("half_sum", "sum") else 1.0

        def grad_fn(k: int, p: Params) -> Params:
            idx = torch.randperm(n, generator=gen)[:batch].to(X.device)
            sub, fixed = split(p, names)
            return grad(
                lambda s: scale * _risk(model({**fixed, **s}, X[idx]), y[idx], loss, reduction)
            )(sub)

    cbs = _check_callbacks(callbacks)
    check_callable(observe, "observe")
    check_callable(until, "until")
    pattern = getattr(model, "activation_pattern", None)
    if track_activations and pattern is not None:
        start = pattern(params, X)
        cbs.setdefault(
            "activation_flips", lambda p: float((pattern(p, X) != start).double().mean())
        )
    if track_gram:
        cbs.update(_gram_recorders(model, params, X, names))
    grams: dict[int, torch.Tensor] = {}
    if isinstance(gram_steps, (str, bytes)) or not isinstance(gram_steps, Collection):
        raise TypeError(f"gram_steps must be a collection of step indices; got {gram_steps!r}")
    wanted = {check_nonnegative_int(k, "gram_steps[...]") for k in gram_steps}
    if wanted and max(wanted) > check_nonnegative_int(steps, "steps"):
        raise ValueError(f"gram_steps must lie in 0..steps = {steps}; got {sorted(wanted)}")

    def observe_all(k: int, p: Params) -> None:
        if k in wanted:
            grams[k] = empirical_ntk(model, p, X, wrt=names).to(torch.float64)
        if observe is not None:
            observe(k, p)

    traj = gradient_descent(
        loss_fn,
        params,
        lr=lr,
        steps=steps,
        wrt=names,
        grad_fn=grad_fn,
        record_every=record_every,
        callbacks=cbs,
        observe=observe_all if wanted or observe is not None else None,
        target_loss=target_loss,
        until=until,
        blowup=blowup,
        progress=progress,
        desc="SGD" if batch_size else "GD",
    )
    traj.grams = grams
    return traj


def _gram_recorders(
    model: Model, params0: Params, X: torch.Tensor, names: tuple[str, ...]
) -> dict[str, Callable[[Params], float]]:
    """Callbacks for λ_min(G(k)) and ‖G(k) − G(0)‖₂ sharing one Gram evaluation per step
    (the recorder calls both with the same params dict). The Gram is recomputed in full each
    step: for a two-layer net that is the closed form, one BLAS product, which measured faster
    than re-evaluating only the units whose activation pattern flipped (those touch ~1/3 of the
    units within 100 lazy steps at n = 64, m = 2^14)."""
    gram0 = empirical_ntk(model, params0, X, wrt=names).double()
    last: list[tuple[Params, tuple[float, float]]] = []

    def spectra(p: Params) -> tuple[float, float]:
        if not last or last[0][0] is not p:
            gram = empirical_ntk(model, p, X, wrt=names).double()
            last[:] = [(p, (lambda_min(gram), float(eigvalsh(gram - gram0).abs().max())))]
        return last[0][1]

    return {
        "gram_lambda_min": lambda p: spectra(p)[0],
        "gram_drift": lambda p: spectra(p)[1],
    }
