"""The k-nearest-neighbour rule: the interpolating classifier of the generalization lectures."""

from __future__ import annotations

import torch
from sklearn.neighbors import NearestNeighbors

from ._validation import as_labels, as_matrix, check_positive_int


def knn_predict(
    X_train: object, y_train: object, X: object, k: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Classify ``X`` by a majority vote of its k nearest training points (Euclidean).

    With k = 1 the rule interpolates: every training point is its own nearest neighbour, so the
    training error is 0 whatever the labels (Cover & Hart, "Nearest neighbor pattern
    classification", IEEE Trans. Inf. Theory 1967). Ties in the vote go to the smallest class;
    ties in distance to the training point listed first (scikit-learn's exact KD-tree or brute
    search, not an approximation).

    Args:
        X_train: (n, d) training inputs, a finite float32/float64 tensor or NumPy array.
        y_train: (n,) integer class labels ≥ 0 (tensor or NumPy array).
        X: (m, d) inputs to classify, X_train's dtype.
        k: the number of neighbours, an integer in 1..n. Default 1.

    Returns:
        ``(labels, neighbors)``: the predicted classes, int64 of shape (m,), and the indices
        into X_train of each input's k nearest training points, nearest first, shape (m, k);
        both on X_train's device.

    Raises:
        TypeError: inputs of the wrong type or dtype, or labels that are not integers.
        ValueError: inputs that are not finite non-empty matrices with the same number of
            columns, labels of the wrong length or negative, or ``k`` not in 1..n.

    Examples:
        >>> X = torch.tensor([[0.0], [1.0], [2.0]], dtype=torch.float64)
        >>> labels, neighbors = knn_predict(X, torch.tensor([0, 1, 1]), X + 0.1)
        >>> labels.tolist(), neighbors[:, 0].tolist()
        ([0, 1, 1], [0, 1, 2])
        >>> knn_predict(X, torch.tensor([0, 1, 1]), X, k=3)[0].tolist()  # the vote: 1, 1, 1
        [1, 1, 1]
    """
    X_train = as_matrix(X_train, "X_train")
    n = X_train.shape[0]
    y_train = as_labels(y_train, "y_train", n=n, classes=None, device=X_train.device)
    X = as_matrix(X, "X", d=X_train.shape[1], like=X_train)
    k = check_positive_int(k, "k")
    if k > n:
        raise ValueError(f"k must be at most the number of training points n = {n}; got {k}")
    search = NearestNeighbors(n_neighbors=k).fit(X_train.detach().cpu().numpy())
    neighbors = torch.from_numpy(search.kneighbors(X.detach().cpu().numpy())[1])
    neighbors = neighbors.to(X_train.device)
    votes = y_train[neighbors]  # (m, k)
    classes = int(y_train.max()) + 1
    counts = torch.zeros(X.shape[0], classes, dtype=torch.int64, device=X_train.device)
    counts.scatter_add_(1, votes, torch.ones_like(votes))
    return counts.argmax(dim=1), neighbors
