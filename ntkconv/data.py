"""Datasets the checks run on: synthetic inputs on the sphere and scikit-learn's bundled digits
(shipped inside the scikit-learn wheel, so nothing is downloaded)."""

from __future__ import annotations

import math

import numpy as np
import torch

from ._validation import (
    as_labels,
    check_dtype,
    check_interval,
    check_nonnegative_int,
    check_positive_int,
)
from .seeds import check_seed, generator, legacy_random_state, numpy_rng


def sphere_inputs(
    n: int,
    d: int,
    seed: int | torch.Generator = 0,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """n points drawn uniformly on the unit sphere S^{d−1} (normalized Gaussians).

    Unit norm and, almost surely, no two parallel — Du et al.'s (2019) Assumption on the data.
    The draw is made on the CPU in float64 and then cast and moved, so a seed gives the same
    points on every device and dtype.

    Args:
        n: the number of points, an int ≥ 1.
        d: the input dimension, an int ≥ 1.
        seed: an int seed (see :func:`ntkconv.check_seed`) or a CPU ``torch.Generator`` to
            draw from (and advance), so labels can come from the same stream.
        dtype: ``torch.float64`` (the default) or ``torch.float32``.
        device: where the result lives; ``None`` (the default) is the CPU.

    Returns:
        The (n, d) tensor X of unit-norm rows, in ``dtype`` on ``device``.

    Raises:
        TypeError: ``dtype`` is not float32/float64, or an int ``seed`` is not an integer.
        ValueError: ``n`` or ``d`` is not an int ≥ 1, or an int ``seed`` is out of range.

    Examples:
        >>> X = sphere_inputs(5, 3, seed=0)
        >>> tuple(X.shape), X.dtype
        ((5, 3), torch.float64)
        >>> torch.allclose(torch.linalg.vector_norm(X, dim=1), torch.ones(5, dtype=X.dtype))
        True
        >>> gen = generator(0)  # inputs and labels from one stream
        >>> X, y = sphere_inputs(4, 2, gen), torch.randn(4, generator=gen)
    """
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    dtype = check_dtype(dtype)
    gen = seed if isinstance(seed, torch.Generator) else generator(seed)
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    X = X / torch.linalg.vector_norm(X, dim=1, keepdim=True)
    return X.to(device=device, dtype=dtype)


def random_signs(
    shape: tuple[int, ...],
    seed: int = 0,
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """I.i.d. Rademacher signs σ ∈ {−1, +1}, each with probability ½ (the σ of an empirical
    Rademacher complexity, or random ±1 labels).

    Drawn on the CPU in float64 from ``seed`` and then cast and moved, so a seed gives the same
    signs on every device and dtype.

    Args:
        shape: the tensor's shape, integers ≥ 1, e.g. (draws, n).
        seed: an integer seed (see :func:`ntkconv.check_seed`).
        dtype: ``torch.float64`` (the default) or ``torch.float32``.
        device: where the tensor goes; ``None`` (the default) is the CPU.

    Returns:
        A tensor of ``shape`` with entries ±1.

    Raises:
        TypeError: ``dtype`` is not float32/float64, or ``seed`` is not an integer.
        ValueError: a dimension of ``shape`` is not an integer ≥ 1, or ``seed`` is out of range.

    Examples:
        >>> random_signs((2, 4), seed=0).tolist()
        [[-1.0, -1.0, 1.0, -1.0], [-1.0, -1.0, 1.0, 1.0]]
    """
    shape = tuple(check_positive_int(k, "shape entry") for k in shape)
    draw = torch.rand(shape, generator=generator(seed), dtype=torch.float64) < 0.5
    return (2.0 * draw.double() - 1.0).to(dtype=check_dtype(dtype), device=device)


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
    """Two classes of scikit-learn's 8×8 digits as (X, y), inputs on the sphere, labels ±1.

    Pixels are centred on the pair's mean (of the images kept) and scaled to unit norm
    (inputs on the sphere, as the NTK theorems assume); labels are ±1 (+1 for
    ``classes[0]``). The images ship inside scikit-learn, so nothing is downloaded.

    Args:
        classes: two distinct digits in 0..9; the first gets label +1, the second −1.
        n: the number of images, a class-balanced subsample (⌈n/2⌉ of ``classes[0]``, ⌊n/2⌋
            of ``classes[1]``) drawn without replacement; ``None`` (the default) keeps all
            images of both classes (about 360).
        seed: seeds the subsample (see :func:`ntkconv.check_seed`); unused when ``n`` is None.
        dtype: ``torch.float64`` (the default) or ``torch.float32``, for X and y.
        device: where the tensors live; ``None`` (the default) is the CPU.

    Returns:
        (X, y): X of shape (N, 64) with unit-norm rows, y of shape (N,) with values ±1, in
        ``dtype``; rows in the dataset's order.

    Raises:
        TypeError: ``dtype`` is not float32/float64, or ``seed`` is not an integer.
        ValueError: ``classes`` are not two distinct digits in 0..9; ``n`` is not an int ≥ 1
            or asks for more images of a digit than exist; ``seed`` is out of range.

    Examples:
        >>> X, y = digits_two_class((3, 8), n=11, seed=0)
        >>> tuple(X.shape), tuple(y.shape), int((y == 1).sum()), int((y == -1).sum())
        ((11, 64), (11,), 6, 5)
    """
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
    """All ten classes of scikit-learn's 1797 8×8 digits, split into train and test.

    A seeded class-stratified split (``sklearn.model_selection.train_test_split``) with
    ``n_train`` training images; pixels centred on the *training* mean and rows scaled to unit
    norm, for both splits.

    Args:
        n_train: the number of training images, an int in 10..1787 (every split keeps at least
            ten images, one per class).
        seed: seeds the split (see :func:`ntkconv.check_seed`).
        dtype: ``torch.float64`` (the default) or ``torch.float32``, for the inputs.
        device: where the tensors live; ``None`` (the default) is the CPU.

    Returns:
        (X_train, y_train, X_test, y_test): inputs of shape (n_train, 64) and
        (1797 − n_train, 64) in ``dtype`` with unit-norm rows; labels of shape (n_train,) and
        (1797 − n_train,), int64 digits 0..9.

    Raises:
        TypeError: ``dtype`` is not float32/float64, or ``seed`` is not an integer.
        ValueError: ``n_train`` is not an int in 10..1787, or ``seed`` is out of range.

    Examples:
        >>> X_train, y_train, X_test, y_test = digits(100, seed=0)
        >>> tuple(X_train.shape), tuple(X_test.shape), y_train.dtype
        ((100, 64), (1697, 64), torch.int64)
        >>> sorted(set(y_train.tolist())) == list(range(10))
        True
    """
    dtype = check_dtype(dtype)
    Xtr, ytr, Xte, yte = _digits_split(n_train, seed)
    mean = Xtr.mean(axis=0)

    def rows(A: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(_on_sphere(A, mean)).to(device=device, dtype=dtype)

    def labels(t: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(t.astype(np.int64)).to(device=device)

    return rows(Xtr), labels(ytr), rows(Xte), labels(yte)


def _digits_split(n_train: object, seed: object) -> tuple[np.ndarray, ...]:
    """The raw pixels (0..16) and labels of :func:`digits`' seeded stratified split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
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
    return Xtr, ytr, Xte, yte


def digits_translations(
    n_train: int,
    seed: int = 0,
    *,
    max_shift: int = 1,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Every training image of :func:`digits` translated by up to ``max_shift`` pixels.

    Data augmentation by translation, the 8×8 analogue of the random crops of Zhang et al.
    (ICLR 2017, §3): each raw image is shifted by (dy, dx) ∈ {−s..s}² with the vacated pixels
    set to 0 (the digits' background), then preprocessed exactly as :func:`digits` preprocesses
    the training set — centred on the *unshifted* training mean, rows scaled to unit norm — so
    view ``(S − 1) // 2`` (no shift) equals ``digits(n_train, seed)[0]``.

    Args:
        n_train: the number of training images, as for :func:`digits`.
        seed: seeds the split, as for :func:`digits`.
        max_shift: the largest shift s in pixels along each axis, an int in 0..7.
        dtype: ``torch.float64`` (the default) or ``torch.float32``.
        device: where the tensor lives; ``None`` (the default) is the CPU.

    Returns:
        A tensor of shape (S, n_train, 64) with S = (2s + 1)²; view v shifts by
        (dy, dx) = (v // (2s + 1) − s, v % (2s + 1) − s), positive dy moving the digit down.

    Raises:
        TypeError: ``dtype`` is not float32/float64, or ``seed`` is not an integer.
        ValueError: ``n_train`` or ``seed`` as for :func:`digits`; ``max_shift`` not an int in
            0..7.

    Examples:
        >>> views = digits_translations(100, seed=0)
        >>> tuple(views.shape), bool(torch.equal(views[4], digits(100, seed=0)[0]))
        ((9, 100, 64), True)
    """
    dtype = check_dtype(dtype)
    s = check_nonnegative_int(max_shift, "max_shift")
    if s > 7:
        raise ValueError(f"max_shift must be an int in 0..7 (the images are 8×8); got {s}")
    Xtr = _digits_split(n_train, seed)[0]
    mean = Xtr.mean(axis=0)
    images = Xtr.reshape(-1, 8, 8)
    views = []
    for dy in range(-s, s + 1):
        for dx in range(-s, s + 1):
            # np.roll then zero the wrapped rows/columns: a shift with zero fill
            shifted = np.roll(images, (dy, dx), axis=(1, 2))
            if dy > 0:
                shifted[:, :dy] = 0
            elif dy < 0:
                shifted[:, dy:] = 0
            if dx > 0:
                shifted[:, :, :dx] = 0
            elif dx < 0:
                shifted[:, :, dx:] = 0
            views.append(_on_sphere(shifted.reshape(-1, 64), mean))
    return torch.from_numpy(np.stack(views)).to(device=device, dtype=dtype)


def _length(labels: object, name: str) -> int:
    if not isinstance(labels, (torch.Tensor, np.ndarray)) or labels.ndim != 1:
        raise TypeError(f"{name} must be a 1-D integer tensor of class labels")
    return int(labels.shape[0])


def corrupt_labels(labels: torch.Tensor, ratio: float, classes: int, seed: int = 0) -> torch.Tensor:
    """Randomly corrupted labels, as in Zhang et al. (ICLR 2017), §3.

    Independently with probability ``ratio`` each label is replaced by a class drawn uniformly
    from ``classes`` (which may equal the true one, so a fraction ratio·(1 − 1/classes) changes
    on average); ``ratio = 1`` gives fully random labels. The draws are made on the CPU, so a
    seed gives the same labels on every device.

    Args:
        labels: a 1-D integer tensor or NumPy array of classes in 0..classes−1, shape (n,).
        ratio: the corruption probability, a number in [0, 1].
        classes: the number of classes, an int ≥ 1.
        seed: see :func:`ntkconv.check_seed`.

    Returns:
        The (n,) int64 tensor of (partly) corrupted labels, on ``labels``' device.

    Raises:
        TypeError: ``labels`` is not a 1-D tensor/array of integers, or ``seed`` is not an
            integer.
        ValueError: ``ratio`` is not in [0, 1]; ``classes`` is not an int ≥ 1; ``labels``
            holds a class outside 0..classes−1; ``seed`` is out of range.

    Examples:
        >>> labels = torch.arange(10)
        >>> bool((corrupt_labels(labels, 0.0, 10) == labels).all())
        True
        >>> corrupt_labels(labels, 0.5, 10, seed=0)
        tensor([0, 1, 1, 3, 4, 5, 9, 9, 8, 0])
    """
    ratio = check_interval(ratio, "ratio", 0, 1)
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
        kind: one of ``MEMORIZATION_KINDS``: ``"gaussian"`` (X ~ N(0, I)); ``"classes"``
            (the same with labels ±1); ``"manifold"`` (a closed curve through R^d: 1-D data
            in d dimensions, stratified along the curve so no two points are closer than half
            an arc — with i.i.d. angles the closest pair is arbitrarily close and float64 fails
            at random seeds); ``"near-duplicates"`` (pairs 1e-6 apart, rows i and i + n/2,
            with independent labels; use an even n); ``"duplicate-conflict"`` (x_1 = x_0 with
            a different label; needs n ≥ 2).
        n: number of points, an int ≥ 1.
        d: input dimension, an int ≥ 1.
        seed: see :func:`ntkconv.check_seed`.

    Returns:
        (X, y): X of shape (n, d), labels y ~ U[−1, 1] of shape (n,) (±1 for ``"classes"``),
        both float64 on the CPU.

    Raises:
        TypeError: ``seed`` is not an integer.
        ValueError: an unknown ``kind``; ``n`` or ``d`` not an int ≥ 1; ``seed`` out of range.

    Examples:
        >>> X, y = memorization_data("manifold", 8, 3, seed=0)
        >>> tuple(X.shape), tuple(y.shape)
        ((8, 3), (8,))
    """
    if kind not in MEMORIZATION_KINDS:
        raise ValueError(f"unknown data kind {kind!r}; expected one of {MEMORIZATION_KINDS}")
    n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
    if kind == "duplicate-conflict" and n < 2:
        raise ValueError(f"kind='duplicate-conflict' needs n >= 2 (a pair); got n = {n}")
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
        centres = torch.randn(n - n // 2, d, generator=gen, dtype=torch.float64)
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
