"""Ensembles: S independent copies of one architecture trained as one ``torch.func.vmap`` call.

Params are *stacked* — every tensor gains a leading axis of size S, as with
``torch.func.stack_module_state`` — so one batched matmul replaces S small ones. Each member has
its own data (X may be (n, d) shared or (S, n, d)), step size, stopping point and divergence
flag; a member that reaches ``target_loss`` or diverges is frozen (its params stop moving) while
the rest go on, so every member ends exactly where a sequential :func:`ntkconv.train` run of it
would have stopped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.func import grad_and_value, vmap
from tqdm.auto import tqdm

from ._validation import (
    Params,
    check_callable,
    check_choice,
    check_nonnegative_int,
    check_params,
    check_positive_int,
    finite,
    float_tensor,
)
from .autodiff import Model, resolve_wrt, scalar_model, split
from .training import REDUCTIONS, check_run_limits, squared_loss


def stack_params(members: Sequence[Params]) -> Params:
    """Stack S params dicts (same keys and shapes) into one dict with a leading S axis."""
    if isinstance(members, Mapping) or not isinstance(members, Iterable):
        raise TypeError(f"members must be a list of params dicts; got {type(members).__name__}")
    members = list(members)
    if not members:
        raise ValueError("members is empty; need at least one params dict to stack")
    first = check_params(members[0], "members[0]")
    ref = next(iter(first.values()))
    checked = [first]
    for i, p in enumerate(members[1:], 1):
        p = check_params(p, f"members[{i}]")
        kind = next(iter(p.values()))
        if (kind.dtype, kind.device) != (ref.dtype, ref.device):
            raise TypeError(
                f"members[{i}] is {kind.dtype} on {kind.device}; members[0] is {ref.dtype} on "
                f"{ref.device}"
            )
        checked.append(p)
        bad = [k for k in first if k not in p or p[k].shape != first[k].shape] + [
            k for k in p if k not in first
        ]
        if bad:
            raise ValueError(f"members[{i}] differs from members[0] in keys or shapes: {bad}")
    return {k: torch.stack([p[k] for p in checked]) for k in first}


def unstack_params(stacked: Params) -> list[Params]:
    """Inverse of :func:`stack_params`: a list of S params dicts (views, not copies)."""
    sizes = {v.shape[0] for v in stacked.values()}
    if len(sizes) != 1:
        raise ValueError(f"stacked params disagree on the ensemble size: {sorted(sizes)}")
    return [{k: v[s] for k, v in stacked.items()} for s in range(sizes.pop())]


@dataclass
class EnsembleTrajectory:
    """Per-recorded-step losses of S members. ``loss[i, s]`` is member s's loss at ``step[i]``
    (constant once it stopped); ``stopped_at[s]`` is the step where it reached the target or
    its last step; ``reached[s]`` says whether its loss reached ``target_loss``; ``diverged[s]``
    whether it produced a non-finite loss/gradient or blew up (its params are then the last
    finite iterate). ``params`` are the stacked final params."""

    step: np.ndarray
    loss: np.ndarray
    stopped_at: np.ndarray
    reached: np.ndarray
    diverged: np.ndarray
    params: Params

    @property
    def final_loss(self) -> np.ndarray:
        return self.loss[-1]


def _members(value: float | Sequence[float] | torch.Tensor, size: int, name: str) -> torch.Tensor:
    """A per-member float64 vector from a scalar or a length-S sequence."""
    if isinstance(value, bool) or (isinstance(value, torch.Tensor) and value.ndim > 1):
        raise TypeError(f"{name} must be a number or a 1-D sequence of them; got {value!r}")
    try:
        t = torch.as_tensor(value, dtype=torch.float64).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{name} must be a number or a sequence of them; got {value!r}") from None
    if t.numel() == 1:
        t = t.expand(size)
    if t.numel() != size or not torch.isfinite(t).all() or not bool((t > 0).all()):
        raise ValueError(
            f"{name} must be a finite scalar > 0 or have one such entry per member ({size})"
        )
    return t.clone()


def train_ensemble(
    model: Model,
    params: Params,
    X: object,
    y: object,
    *,
    lr: float | Sequence[float] | torch.Tensor,
    steps: int,
    reduction: str = "half_sum",
    wrt: Collection[str] | str | None = None,
    target_loss: float | None = None,
    blowup: float = 1e8,
    record_every: int = 1,
    observe: Callable[[int, Params], None] | None = None,
    progress: bool | None = None,
) -> EnsembleTrajectory:
    """Full-batch GD, w ← w − η_s ∇L_s(w), on S stacked members at once.

    ``params`` are stacked (:func:`stack_params`); ``X`` is (n, d) or (S, n, d), ``y`` is (n,)
    or (S, n); ``lr`` a scalar or one step size per member. Same loss normalization, target and
    divergence rules as :func:`ntkconv.train` (``reduction``, stop at loss ≤ ``target_loss``,
    diverge on non-finite values or loss > ``blowup`` × the initial loss), applied per member.
    ``observe(k, params)`` sees the stacked params at every recorded step.
    """
    check_callable(observe, "observe")
    params = check_params(params)
    ref = next(iter(params.values()))
    if ref.ndim == 0:
        raise ValueError("params must be stacked: every tensor needs a leading ensemble axis")
    size = ref.shape[0]
    if any(v.ndim == 0 or v.shape[0] != size for v in params.values()):
        raise ValueError("stacked params disagree on the ensemble size (leading axis)")
    X = finite(float_tensor(X, "X", ref), "X")
    y = finite(float_tensor(y, "y", ref), "y")
    if X.ndim not in (2, 3) or (X.ndim == 3 and X.shape[0] != size):
        raise ValueError(f"X must have shape (n, d) or ({size}, n, d); got {tuple(X.shape)}")
    if X.shape[-2] == 0 or X.shape[-1] == 0:
        raise ValueError(f"X is empty: shape {tuple(X.shape)}; need n >= 1 and d >= 1")
    n = X.shape[-2]
    if y.shape not in ((n,), (size, n)):
        raise ValueError(f"y must have shape ({n},) or ({size}, {n}); got {tuple(y.shape)}")
    steps = check_nonnegative_int(steps, "steps")
    record_every = check_positive_int(record_every, "record_every")
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    check_run_limits(1.0, target_loss, blowup)
    eta = _members(lr, size, "lr").to(device=ref.device, dtype=ref.dtype)
    first = {k: v[0] for k, v in params.items()}
    names = resolve_wrt(model, first, wrt)
    model = scalar_model(model, first, X if X.ndim == 2 else X[0], "model")
    sub, fixed = split(params, names)

    def loss(s: Params, f: Params, Xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
        return squared_loss(model({**f, **s}, Xs), ys, reduction)

    value_and_grad = vmap(
        grad_and_value(loss), in_dims=(0, 0, 0 if X.ndim == 3 else None, 0 if y.ndim == 2 else None)
    )
    # Per-member bookkeeping lives on the CPU; only the update mask travels to the device.
    active = torch.ones(size, dtype=torch.bool)
    reached = torch.zeros(size, dtype=torch.bool)
    diverged = torch.zeros(size, dtype=torch.bool)
    stopped_at = torch.full((size,), steps, dtype=torch.long)
    last = torch.full((size,), math.nan, dtype=torch.float64)
    loss0: torch.Tensor | None = None
    rows: list[torch.Tensor] = []
    recorded: list[int] = []
    prev = sub

    def where(mask: torch.Tensor, a: Params, b: Params) -> Params:
        m = mask.to(ref.device)
        return {k: torch.where(m.reshape(-1, *([1] * (v.ndim - 1))), v, b[k]) for k, v in a.items()}

    bar = tqdm(
        total=steps,
        desc="GD ensemble",
        leave=False,
        disable=None if progress is None else not progress,
    )
    for k in range(steps + 1):
        g, value = value_and_grad(sub, fixed, X, y)
        value = value.detach().double().cpu()
        loss0 = value if loss0 is None else loss0
        bad_loss = ~torch.isfinite(value) | (value > blowup * loss0.clamp_min(1e-300))
        bad_grad = torch.zeros(size, dtype=torch.bool)
        for v in g.values():
            bad_grad |= ~torch.isfinite(v.reshape(size, -1)).all(dim=1).cpu()
        # As in ntkconv.train: a member whose loss fails keeps its previous iterate; one whose
        # loss passed but whose gradient is non-finite keeps the current one.
        rollback = active & bad_loss
        if rollback.any():
            sub = where(rollback, prev, sub)
        newly = active & (bad_loss | bad_grad)
        diverged |= newly
        live = active & ~bad_loss
        last = torch.where(live, value, last)
        hit = live & ~bad_grad & (value <= (-math.inf if target_loss is None else target_loss))
        reached |= hit
        stopped_at = torch.where(newly | hit, torch.tensor(k), stopped_at)
        active &= ~(newly | hit)
        done = k == steps or not active.any()
        if k % record_every == 0 or done:
            recorded.append(k)
            rows.append(last)  # torch.where made a fresh tensor; nothing writes into it
            if observe is not None:
                observe(k, {**fixed, **sub})
        if done:
            break
        move = (eta * active.to(device=eta.device, dtype=eta.dtype)).reshape(-1)
        prev = sub
        sub = {
            name: v - move.reshape(-1, *([1] * (v.ndim - 1))) * g[name].nan_to_num()
            for name, v in sub.items()
        }
        bar.update(1)
    bar.close()
    return EnsembleTrajectory(
        step=np.asarray(recorded, dtype=int),
        loss=torch.stack(rows).numpy(),
        stopped_at=stopped_at.numpy(),
        reached=reached.numpy(),
        diverged=diverged.numpy(),
        params={**fixed, **sub},
    )
