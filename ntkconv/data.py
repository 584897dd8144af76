"""Datasets the checks run on: synthetic inputs on the sphere and scikit-learn's bundled digits
(shipped inside the scikit-learn wheel, so nothing is downloaded)."""

from __future__ import annotations

import math

import numpy as np
import torch

from ._validation import as_labels, check_dtype, check_positive_int
from .seeds import check_seed, generator, legacy_random_state, numpy_rng


def sphere_inputs(
    n: int,
    d: int,
    seed: int | torch.Generator = 0,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """n points drawn uniformly on the unit sphere S^{d−1} (normalized Gaussians): unit norm
    and, almost surely, no two parallel — Du et al.'s (2019) Assumption on the data.

    ``seed`` is an int or a CPU ``torch.Generator`` to draw from (and advance), so labels can
    come from the same stream."""
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    dtype = check_dtype(dtype)
    gen = seed if isinstance(seed, torch.Generator) else generator(seed)
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    X = X / torch.linalg.vector_norm(X, dim=1, keepdim=True)
    return X.to(device=device, dtype=dtype)


def _on_sphere(A: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Rows of ``A`` centred on ``mean`` and scaled to unit norm (inputs on the sphere, as the
    NTK theorems assume)."""
    A = A - mean
    return A / np.linalg.norm(A, axis=1, keepdims=True)


def digits_two_class(
    classes: tuple[int, int] = (0, 1),
    n: int | None = None,
    seed: int = 0,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two classes of scikit-learn's 8×8 digits as (X, y): pixels centred on the pair's mean
    and scaled to unit norm (inputs on the sphere, as the NTK theorems assume), labels ±1
    (+1 for ``classes[0]``). ``n`` draws a class-balanced subsample (seeded); default all."""
    from sklearn.datasets import load_digits

    dtype = check_dtype(dtype)
    check_seed(seed)
    if (
        not isinstance(classes, (tuple, list))
        or len(classes) != 2
        or not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in classes)
        or classes[0] == classes[1]
        or not set(classes) <= set(range(10))
    ):
        raise ValueError(f"classes must be two distinct digits in 0..9; got {classes!r}")
    a, b = (int(c) for c in classes)
    data = load_digits()
    keep = np.flatnonzero(np.isin(data.target, (a, b)))
    if n is not None:
        n = check_positive_int(n, "n")
        rng = numpy_rng(seed)
        per_class = []
        for c, size in ((a, (n + 1) // 2), (b, n // 2)):
            pool = keep[data.target[keep] == c]
            if size > pool.size:
                raise ValueError(f"n = {n} asks for {size} images of digit {c}; {pool.size} exist")
            per_class.append(rng.choice(pool, size=size, replace=False))
        keep = np.sort(np.concatenate(per_class))
    X = data.data[keep].astype(np.float64)
    X = _on_sphere(X, X.mean(axis=0))
    y = np.where(data.target[keep] == a, 1.0, -1.0)
    return (
        torch.from_numpy(X).to(device=device, dtype=dtype),
        torch.from_numpy(y).to(device=device, dtype=dtype),
    )


def digits(
    n_train: int,
    seed: int = 0,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """All ten classes of scikit-learn's 1797 8×8 digits as (X_train, y_train, X_test, y_test):
    a seeded class-stratified split with ``n_train`` training images, pixels centred on the
    training mean and rows scaled to unit norm; labels are int64 digits 0..9."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    dtype = check_dtype(dtype)
    n_train = check_positive_int(n_train, "n_train")
    if not 10 <= n_train <= data.target.size - 10:
        raise ValueError(f"n_train must lie in 10..{data.target.size - 10}; got {n_train}")
    Xtr, Xte, ytr, yte = train_test_split(
        data.data.astype(np.float64),
        data.target,
        train_size=n_train,
        stratify=data.target,
        random_state=legacy_random_state(seed),
    )
    mean = Xtr.mean(axis=0)

    def rows(A: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(_on_sphere(A, mean)).to(device=device, dtype=dtype)

    def labels(t: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(t.astype(np.int64)).to(device=device)

    return rows(Xtr), labels(ytr), rows(Xte), labels(yte)


def _length(labels: object, name: str) -> int:
    if not isinstance(labels, (torch.Tensor, np.ndarray)) or labels.ndim != 1:
        raise TypeError(f"{name} must be a 1-D integer tensor of class labels")
    return int(labels.shape[0])


def corrupt_labels(labels: torch.Tensor, ratio: float, classes: int, seed: int = 0) -> torch.Tensor:
    """Zhang et al. (ICLR 2017), §3: independently with probability ``ratio`` each label is
    replaced by a class drawn uniformly from ``classes`` (which may equal the true one);
    ``ratio = 1`` gives fully random labels."""
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
        raise ValueError(f"ratio must be a number in [0, 1]; got {ratio!r}")
    classes = check_positive_int(classes, "classes")
    labels = as_labels(labels, "labels", n=_length(labels, "labels"), classes=classes)
    gen = generator(seed)
    n = labels.shape[0]
    hit = torch.rand(n, generator=gen, dtype=torch.float64) < float(ratio)
    fresh = torch.randint(0, classes, (n,), generator=gen)
    return torch.where(hit, fresh, labels.cpu()).to(labels.device)


MEMORIZATION_KINDS = ("gaussian", "classes", "manifold", "near-duplicates", "duplicate-conflict")


def memorization_data(
    kind: str, n: int, d: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Labelled point sets for the memorization checks (float64, CPU).

    Args:
        kind: ``"gaussian"`` (X ~ N(0, I)); ``"classes"`` (the same with labels ±1);
            ``"manifold"`` (a closed curve through R^d: 1-D data in d dimensions, stratified
            along the curve so no two points are closer than half an arc — with i.i.d. angles
            the closest pair is arbitrarily close and float64 fails at random seeds);
            ``"near-duplicates"`` (pairs 1e-6 apart with independent labels);
            ``"duplicate-conflict"`` (x_1 = x_0 with a different label).
        n: number of points.
        d: input dimension.
        seed: see :func:`ntkconv.check_seed`.

    Returns:
        (X, y): X of shape (n, d), labels y ~ U[−1, 1] of shape (n,) (±1 for ``"classes"``).

    Example:
        >>> X, y = memorization_data("manifold", 8, 3, seed=0)
        >>> tuple(X.shape), tuple(y.shape)
        ((8, 3), (8,))
    """
    if kind not in MEMORIZATION_KINDS:
        raise ValueError(f"unknown data kind {kind!r}; expected one of {MEMORIZATION_KINDS}")
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    gen = generator(seed)
    labels = 2 * torch.rand(n, generator=gen, dtype=torch.float64) - 1
    if kind in ("gaussian", "classes"):
        X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    elif kind == "manifold":
        jitter = 0.5 * (torch.rand(n, generator=gen, dtype=torch.float64) - 0.5)
        theta = 2 * math.pi * (torch.arange(n, dtype=torch.float64) + 0.5 + jitter) / n
        feats = torch.stack([f(k * theta) for k in (1, 2, 3) for f in (torch.cos, torch.sin)], 1)
        X = feats @ torch.randn(6, d, generator=gen, dtype=torch.float64)
    elif kind == "near-duplicates":
        centres = torch.randn(n // 2, d, generator=gen, dtype=torch.float64)
        step = torch.randn(n // 2, d, generator=gen, dtype=torch.float64)
        twins = centres + 1e-6 * step / step.norm(dim=1, keepdim=True)
        X = torch.cat([centres, twins])[:n]
    else:  # duplicate-conflict
        X = torch.randn(n, d, generator=gen, dtype=torch.float64)
        X[1] = X[0]
        labels[1] = -labels[0] if labels[0] != 0 else 1.0
    if kind == "classes":
        labels = torch.where(labels >= 0, 1.0, -1.0).to(torch.float64)
    return X, labels
