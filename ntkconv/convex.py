"""Convex reference solutions, from a real conic solver (cvxpy with Clarabel), that the implicit
bias of gradient descent is compared against."""

from __future__ import annotations

import numpy as np
import torch

from ._validation import as_vector, finite, float_tensor


def min_nuclear_norm(A: object, y: object, *, psd: bool = False) -> torch.Tensor:
    r"""The minimum nuclear-norm matrix that fits linear measurements exactly.

    .. math::

        \hat X = \arg\min_X \|X\|_* \quad\text{s.t.}\quad \langle A_i, X\rangle = y_i,\;
        i = 1..p,

    with X ⪰ 0 added when ``psd`` (then ‖X‖_* = tr X). It is the limit that gradient descent on
    a factorization X = UUᵀ from a small initialization approaches when the A_i commute
    (Gunasekar, Woodworth, Bhojanapalli, Neyshabur, Srebro, "Implicit regularization in matrix
    factorization", NeurIPS 2017, Thm 1), and, with indicator matrices A_i = e_j e_kᵀ, matrix
    completion's convex relaxation (Candès & Recht 2009).
    Solved as a semidefinite program by Clarabel's interior-point method through cvxpy, in
    float64; the answer is feasible to the solver's tolerance (about 1e-8 relative).

    Args:
        A: the measurement matrices, shape (p, n1, n2), a finite float32/float64 tensor or
            NumPy array; with ``psd`` they must be square (n1 = n2), and only their symmetric
            parts matter.
        y: the measurements, shape (p,), finite.
        psd: restrict to symmetric positive semidefinite X. Default False.

    Returns:
        X̂, shape (n1, n2), in A's dtype and on its device (symmetric when ``psd``).

    Raises:
        TypeError: A or y is not a floating tensor or array.
        ValueError: A is not a non-empty finite (p, n1, n2) array, y not finite of length p,
            ``psd`` with non-square A, or no X satisfies the measurements.

    Examples:
        >>> import torch
        >>> A = torch.zeros(3, 2, 2, dtype=torch.float64)  # observe W01, W10 and W11
        >>> A[0, 0, 1] = A[1, 1, 0] = A[2, 1, 1] = 1.0
        >>> X = min_nuclear_norm(A, torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64))
        >>> round(float(torch.linalg.matrix_norm(X, "nuc")), 6), abs(float(X[0, 0])) < 1e-6
        (2.0, True)

    References:
        Recht, Fazel, Parrilo, "Guaranteed minimum-rank solutions of linear matrix equations
        via nuclear norm minimization", SIAM Review 2010.
    """
    A = finite(float_tensor(A, "A", None), "A")
    if A.ndim != 3 or 0 in A.shape:
        raise ValueError(
            f"A must be a non-empty stack of matrices, shape (p, n1, n2); got {tuple(A.shape)}"
        )
    p, n1, n2 = A.shape
    y = as_vector(y, "y", n=p, like=A)
    if psd and n1 != n2:
        raise ValueError(f"psd=True needs square measurement matrices; got n1 = {n1}, n2 = {n2}")
    import cvxpy as cp  # here, not at the top: it adds a second to every `import ntkconv`

    A_np = A.detach().cpu().double().numpy()
    y_np = y.detach().cpu().double().numpy()
    X = cp.Variable((n1, n2), PSD=True) if psd else cp.Variable((n1, n2))
    objective = cp.trace(X) if psd else cp.normNuc(X)
    fits = [cp.sum(cp.multiply(A_np[i], X)) == y_np[i] for i in range(p)]
    problem = cp.Problem(cp.Minimize(objective), fits)
    problem.solve(solver=cp.CLARABEL)
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or X.value is None:
        raise ValueError(
            f"no{' positive semidefinite' if psd else ''} X satisfies <A_i, X> = y_i for all "
            f"{p} measurements (the solver reports {problem.status!r})"
        )
    value = np.asarray(X.value)
    if psd:
        value = (value + value.T) / 2
    return torch.from_numpy(value).to(dtype=A.dtype, device=A.device)
