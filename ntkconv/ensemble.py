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
from torch.func import vmap

from ._progress import tqdm
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
from .seeds import generator
from .training import _REDUCE, _TERMS, REDUCTIONS, _sq_norm, check_run_limits, value_and_grad


def stack_params(members: Sequence[Params]) -> Params:
    """Stack S params dicts (same keys and shapes) into one dict with a leading S axis.

    The layout of ``torch.func.stack_module_state``, which :func:`train_ensemble` and
    ``vmap`` over models take. The stacked tensors are copies, detached from any graph.

    Args:
        members: a list (or other non-mapping iterable) of S ≥ 1 params dicts with the same
            keys and shapes, all float32 or all float64 on one device, finite.

    Returns:
        A dict {name: tensor of shape (S, *shape)} in ``members[0]``'s key order.

    Raises:
        TypeError: ``members`` is a dict or not iterable, a member is not a valid params dict,
            or members differ in dtype or device.
        ValueError: ``members`` is empty, a member has NaN/inf, or members differ in keys or
            shapes.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerNet(d=3, width=50)
        >>> stacked = stack_params([net.init(seed=s) for s in range(3)])
        >>> {k: tuple(v.shape) for k, v in stacked.items()}
        {'W': (3, 50, 3), 'a': (3, 50)}
    """
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
    """Split stacked params into S params dicts: the inverse of :func:`stack_params`.

    Args:
        stacked: a dict of tensors that share the leading (ensemble) axis of size S, e.g.
            ``EnsembleTrajectory.params``.

    Returns:
        A list of S params dicts; member s maps each name to ``stacked[name][s]`` (views,
        not copies).

    Raises:
        ValueError: the tensors disagree on the size of the leading axis.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerNet(d=3, width=50)
        >>> members = [net.init(seed=s) for s in range(3)]
        >>> back = unstack_params(stack_params(members))
        >>> len(back), torch.equal(back[1]["W"], members[1]["W"])
        (3, True)
    """
    if not isinstance(stacked, Mapping) or not stacked:
        raise TypeError("stacked must be a non-empty dict of stacked tensors")
    if any(not isinstance(v, torch.Tensor) or v.ndim == 0 for v in stacked.values()):
        raise ValueError("stacked params need a leading ensemble axis on every tensor")
    sizes = {v.shape[0] for v in stacked.values()}
    if len(sizes) != 1:
        raise ValueError(f"stacked params disagree on the ensemble size: {sorted(sizes)}")
    return [{k: v[s] for k, v in stacked.items()} for s in range(sizes.pop())]


@dataclass
class EnsembleTrajectory:
    """The result of :func:`train_ensemble`: per-recorded-step losses of S members.

    R is the number of recorded steps: every ``record_every``-th step plus the step where the
    run ended (when the last active member stopped, or ``steps``).

    Attributes:
        step: (R,) int array of the recorded step indices, starting at 0.
        loss: (R, S) float64 array; ``loss[i, s]`` is member s's loss at ``step[i]`` (constant
            once it stopped: a diverged member keeps its last finite loss, NaN if none).
        grad_norm_sq: (R, S) ‖∇L_s‖² over the trained params, recorded like ``loss``.
        dist_from_init: (R, S) ‖w_s − w_s(0)‖ over the trained params, recorded like ``loss``.
        stopped_at: (S,) int array; the step where member s reached the target or diverged,
            else ``steps``.
        reached: (S,) bool array; whether member s's loss reached ``target_loss``.
        diverged: (S,) bool array; whether member s produced a non-finite loss/gradient or
            blew up (its params are then the last finite iterate).
        params: the stacked final params (leading axis S, fixed params included); split
            them with :func:`unstack_params`.

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerNet(d=3, width=50)
        >>> params = stack_params([net.init(seed=s) for s in range(2)])
        >>> X, y = nc.sphere_inputs(4, 3, seed=1), torch.zeros(4, dtype=torch.float64)
        >>> run = train_ensemble(net, params, X, y, lr=1.0, steps=5, record_every=2, progress=False)
        >>> run.step, run.loss.shape, run.final_loss.shape
        (array([0, 2, 4, 5]), (4, 2), (2,))
        >>> [tuple(p["W"].shape) for p in unstack_params(run.params)]
        [(50, 3), (50, 3)]
    """

    step: np.ndarray
    loss: np.ndarray
    grad_norm_sq: np.ndarray
    dist_from_init: np.ndarray
    stopped_at: np.ndarray
    reached: np.ndarray
    diverged: np.ndarray
    params: Params

    @property
    def final_loss(self) -> np.ndarray:
        """(S,) float64 array: each member's loss at its stopping point (``loss[-1]``)."""
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


def _batch_generators(
    batch_size: int | None, seeds: Sequence[int] | None, size: int, n: int
) -> tuple[int, list[torch.Generator]]:
    """The validated SGD batch size and one batch generator per member (no generators for
    full-batch GD)."""
    if batch_size is None:
        if seeds is not None:
            raise ValueError("seeds are the SGD batches' seeds: pass them with batch_size")
        return n, []
    batch = check_positive_int(batch_size, "batch_size")
    if batch > n:
        raise ValueError(f"batch_size must be <= n = {n}; got {batch}")
    if seeds is None or isinstance(seeds, (str, bytes)) or len(seeds) != size:
        raise ValueError(f"seeds must be {size} SGD seeds, one per member, with batch_size")
    return batch, [generator(s, "seeds[...]") for s in seeds]


def _minibatch_gradient(
    forward: Callable[[Params, torch.Tensor], torch.Tensor],
    fixed: Params,
    X: torch.Tensor,
    y: torch.Tensor,
    reduction: str,
    gens: list[torch.Generator],
    batch: int,
    losses: Callable[[Params], torch.Tensor],
) -> Callable[[Params], tuple[Params, torch.Tensor]]:
    """Each member's gradient on its own batch (drawn as :func:`ntkconv.train` draws it, the
    sum reductions scaled by n/B to stay unbiased) and its full loss."""
    n = X.shape[-2]
    scale = n / batch if reduction in ("half_sum", "sum") else 1.0
    rows = torch.arange(len(gens), device=X.device)[:, None]

    def run(sub: Params) -> tuple[Params, torch.Tensor]:
        idx = torch.stack([torch.randperm(n, generator=g)[:batch] for g in gens]).to(X.device)
        Xb = X[idx] if X.ndim == 2 else X[rows, idx]
        yb = y[idx] if y.ndim == 1 else y[rows, idx]

        def batch_losses(p: Params) -> torch.Tensor:
            return scale * _REDUCE[reduction](_TERMS["squared"](forward(p, Xb), yb).sum(-1), batch)

        g, _ = value_and_grad(batch_losses, fixed)(sub)
        with torch.no_grad():
            return g, losses(sub)

    return run


def train_ensemble(
    model: Model,
    params: Params,
    X: object,
    y: object,
    *,
    lr: float | Sequence[float] | torch.Tensor,
    steps: int,
    reduction: str = "half_sum",
    batch_size: int | None = None,
    seeds: Sequence[int] | None = None,
    wrt: Collection[str] | str | None = None,
    target_loss: float | None = None,
    blowup: float = 1e8,
    record_every: int = 1,
    observe: Callable[[int, Params], None] | None = None,
    progress: bool | None = None,
) -> EnsembleTrajectory:
    """Full-batch GD, w ← w − η_s ∇L_s(w), or SGD, on S stacked members at once.

    One ``vmap``-ed gradient per step for all members, on the squared loss
    L_s(w) = ``squared_loss(model(w, X_s), y_s, reduction)``. Same loss normalization, target
    and divergence rules as :func:`ntkconv.train` (``reduction``, stop at loss ≤
    ``target_loss``, diverge on non-finite values or loss > ``blowup`` × the initial loss),
    applied per member: a member that stops is frozen while the others go on, so each ends
    where a sequential :func:`ntkconv.train` run of it would have stopped. With
    ``batch_size``, member s takes SGD steps on batches drawn as ``train(...,
    batch_size=batch_size, seed=seeds[s])`` draws them (and its loss, for stopping and
    recording, is the full one), so it follows that sequential run too.

    Args:
        model: a scalar-output model ``model(params, X) -> (n,)`` ((n, 1) is squeezed),
            applied to one member's params.
        params: stacked params (:func:`stack_params`), float32 or float64: every tensor has
            the leading ensemble axis of size S.
        X: (n, d) inputs shared by all members, or (S, n, d) one set per member; the params'
            dtype and device, finite.
        y: (n,) shared targets or (S, n) per member; the params' dtype, finite.
        lr: the step size η, a finite number > 0, or one per member (a length-S sequence or
            1-D tensor).
        steps: the number of GD steps, an integer ≥ 0.
        reduction: the loss normalization, one of :data:`ntkconv.REDUCTIONS`:
            ``"half_sum"`` ½Σ (default), ``"sum"`` Σ, ``"half_mean"`` (1/2n)Σ, ``"mean"``
            (1/n)Σ.
        batch_size: ``None`` (the default) for full-batch GD; an int in 1..n for SGD, each
            member's batch a fresh permutation prefix per step, as in :func:`ntkconv.train`.
        seeds: the S members' SGD seeds (see :func:`ntkconv.check_seed`); required with
            ``batch_size``, refused without it.
        wrt: the trained params (default: ``model.trainable`` for ntkconv models, else all);
            the others stay fixed.
        target_loss: stop a member once its loss is ≤ this finite value (default: never).
        blowup: a member diverges when its loss exceeds ``blowup`` × its initial loss; a
            number ≥ 1, ``inf`` allowed. Default 1e8.
        record_every: record the losses every this many steps (an integer ≥ 1; default 1).
        observe: called as ``observe(k, params)`` with the stacked params at every recorded
            step (default: none).
        progress: show a tqdm bar (default: only when stderr is a terminal).

    Returns:
        An :class:`EnsembleTrajectory` with the per-member losses, stopping steps, flags and
        the stacked final params.

    Raises:
        TypeError: ``params`` is not a valid params dict, ``X``/``y`` of the wrong type or
            dtype, ``lr`` not a number or sequence of numbers, ``observe`` not callable,
            ``blowup`` not a number, or ``model`` returning no tensor or one of another dtype.
        ValueError: unstacked params or ones that disagree on S, ``X``/``y`` of the wrong
            shape, empty, non-finite or on another device, ``lr`` not > 0 and finite (or not
            S of them), invalid ``steps``/``record_every``/``reduction``/``target_loss``/
            ``blowup``/``wrt``, or ``model`` outputs neither (n,) nor (n, 1).

    Examples:
        >>> import ntkconv as nc
        >>> net = nc.TwoLayerNet(d=3, width=50)
        >>> params = stack_params([net.init(seed=s) for s in range(3)])
        >>> X = nc.sphere_inputs(4, 3, seed=1)
        >>> y = torch.tensor([1.0, -1.0, 0.5, 0.0], dtype=torch.float64)
        >>> run = train_ensemble(net, params, X, y, lr=[0.5, 1e3, 1.0], steps=20, progress=False)
        >>> run.loss.shape, run.diverged, run.stopped_at
        ((21, 3), array([False,  True, False]), array([20,  2, 20]))
        >>> bool(run.final_loss[0] < run.loss[0, 0])
        True
        >>> run = train_ensemble(net, params, X, y, lr=1.0, steps=200, target_loss=1e-3,
        ...                      record_every=50, progress=False)
        >>> run.step, run.reached
        (array([ 0, 13]), array([ True,  True,  True]))
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
    batch, gens = _batch_generators(batch_size, seeds, size, n)
    first = {k: v[0] for k, v in params.items()}
    names = resolve_wrt(model, first, wrt)
    model = scalar_model(model, first, X if X.ndim == 2 else X[0], "model")
    sub, fixed = split(params, names)

    batched = getattr(model, "stacked", None)
    forward = batched if callable(batched) else vmap(model, in_dims=(0, 0 if X.ndim == 3 else None))

    def losses(s: Params) -> torch.Tensor:
        u = forward({**fixed, **s}, X)  # (S, n)
        return _REDUCE[reduction](_TERMS["squared"](u, y).sum(-1), n)

    # The members are independent, so the gradient of their summed losses is each member's own
    # gradient: one backward pass, as a hand-written ensemble loop would do it.
    gradient_and_loss = value_and_grad(losses, {})
    if gens:
        per_member = forward if callable(batched) else vmap(model, in_dims=(0, 0))
        gradient_and_loss = _minibatch_gradient(
            per_member, fixed, X, y, reduction, gens, batch, losses
        )
    init = {k: v.clone() for k, v in sub.items()}

    # Per-member bookkeeping is NumPy on the host (a few dozen tiny torch ops per step would
    # cost as much as a small net's step); the step sizes travel to the device only when a
    # member stops.
    active = np.ones(size, dtype=bool)
    reached = np.zeros(size, dtype=bool)
    diverged = np.zeros(size, dtype=bool)
    stopped_at = np.full(size, steps, dtype=np.int64)
    last = np.full((3, size), math.nan)  # loss, ‖∇L‖², ‖w − w₀‖
    target = -math.inf if target_loss is None else target_loss
    limit: np.ndarray | None = None  # blowup × the initial losses
    rows: list[np.ndarray] = []
    recorded: list[int] = []
    prev = sub

    def shaped(per: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return per.reshape(-1, *([1] * (v.ndim - 1)))

    def where(mask: np.ndarray, a: Params, b: Params) -> Params:
        m = torch.from_numpy(mask).to(ref.device)
        return {k: torch.where(shaped(m, v), v, b[k]) for k, v in a.items()}

    move = eta
    bar = tqdm(
        total=steps,
        desc="GD ensemble",
        leave=False,
        disable=None if progress is None else not progress,
    )
    for k in range(steps + 1):
        g, value = gradient_and_loss(sub)
        # One host transfer per step for the three recorded quantities of all members.
        moved = _sq_norm({name: sub[name] - init[name] for name in sub}, size).sqrt_()
        stats = torch.stack([value.double(), _sq_norm(g, size), moved]).cpu().numpy()
        value, gnorm = stats[0], stats[1]
        if limit is None:
            limit = blowup * np.maximum(value, 1e-300)
        bad_loss = ~np.isfinite(value) | (value > limit)
        bad_grad = ~np.isfinite(gnorm)
        # As in ntkconv.train: a member whose loss fails keeps its previous iterate; one whose
        # loss passed but whose gradient is non-finite keeps the current one.
        rollback = active & bad_loss
        if rollback.any():
            sub = where(rollback, prev, sub)
        newly = active & (bad_loss | bad_grad)
        live = active & ~bad_loss
        last[0, live] = value[live]
        kept = live & ~bad_grad
        last[1:, kept] = stats[1:, kept]
        hit = kept & (value <= target)
        stop = newly | hit
        if stop.any():
            diverged |= newly
            reached |= hit
            stopped_at[stop] = k
            active &= ~stop
            move = eta * torch.from_numpy(active).to(device=eta.device, dtype=eta.dtype)
        done = k == steps or not active.any()
        if k % record_every == 0 or done:
            recorded.append(k)
            rows.append(last.copy())
            if observe is not None:
                observe(k, {**fixed, **sub})
        if done:
            break
        prev = sub
        # nan_to_num only once a member has stopped: its step is 0, but 0 × NaN is NaN.
        clean = (lambda t: t) if active.all() else torch.nan_to_num
        sub = {name: v - shaped(move, v) * clean(g[name]) for name, v in sub.items()}
        bar.update(1)
    bar.close()
    table = np.stack(rows)  # (R, 3, S)
    return EnsembleTrajectory(
        step=np.asarray(recorded, dtype=int),
        loss=table[:, 0],
        grad_norm_sq=table[:, 1],
        dist_from_init=table[:, 2],
        stopped_at=stopped_at,
        reached=reached,
        diverged=diverged,
        params={**fixed, **sub},
    )
