"""One seed rule for the whole engine, and one way to derive child seeds.

A **seed** is a Python or NumPy integer in ``[0, SEED_BOUND)`` = ``[0, 2^63)``, the range
every consumer in the stack accepts (``torch.Generator.manual_seed``,
``numpy.random.default_rng``). Bools, floats and strings are refused rather than truncated or
parsed, so ``init(1.7)`` cannot silently equal ``init(1)``.

A **child seed** (the labels of one instance, the k-th restart, one sweep cell) is
:func:`derive_seed` of its parent and of what names the child: a SHA-256 of their canonical
JSON. Child seeds never overflow, never collide by arithmetic (``1000·seed + s`` collides at
``s = 1000``) and do not depend on the order in which they are drawn.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import torch

#: Seeds lie in [0, SEED_BOUND): the range of torch's generators (signed 64-bit) and NumPy's.
SEED_BOUND = 2**63


def check_seed(seed: object, name: str = "seed") -> int:
    """Validate a seed: a Python or NumPy integer in ``[0, SEED_BOUND)`` = ``[0, 2^63)``.

    Bools, floats and strings are refused rather than truncated or parsed, so ``1.7`` cannot
    silently act as ``1``.

    Args:
        seed: a Python or NumPy integer in ``[0, 2^63)``.
        name: the argument's name, for the error message.

    Returns:
        ``seed`` as a Python int.

    Raises:
        TypeError: ``seed`` is not an integer (bools, floats and strings included).
        ValueError: ``seed`` is negative or not below ``2^63``.

    Examples:
        >>> check_seed(np.int64(7))
        7
        >>> check_seed(-1)
        Traceback (most recent call last):
        ...
        ValueError: seed must be an integer in [0, 2^63); got -1
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be an integer in [0, 2^63); got {type(seed).__name__}")
    if not 0 <= int(seed) < SEED_BOUND:
        raise ValueError(f"{name} must be an integer in [0, 2^63); got {seed}")
    return int(seed)


def _json_scalar(value: Any) -> Any:
    """NumPy scalars as the Python numbers they hold; anything else JSON cannot encode is
    refused (``str`` of an object holds its address, so its hash would differ between runs)."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(
        f"seed names and sweep configs must be JSON values (numbers, str, bool, None, lists, "
        f"dicts with str keys); got {value!r} of type {type(value).__name__}"
    )


def _canonical(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, NumPy scalars as numbers, nothing else coerced."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_scalar)


def derive_seed(seed: object, *names: Any) -> int:
    """The child seed of ``seed`` named by ``names``: a SHA-256 of their canonical JSON.

    Child seeds never overflow, never collide by arithmetic (``1000·seed + s`` collides at
    ``s = 1000``) and do not depend on the order in which they are drawn.

    Args:
        seed: the parent seed (any JSON-able value; an instance's or a sweep's seed).
        *names: JSON-able labels of the child, e.g. ``"labels"`` or ``{"width": 64, "rep": 2}``
            (dict keys are sorted, so their order does not matter; the order of ``names`` does).

    Returns:
        An int in ``[0, 2^63)``: the first 63 bits of the SHA-256 of ``[seed, *names]``,
        the same on every machine and Python version.

    Raises:
        TypeError: ``seed`` or a name is not a JSON value (numbers, str, bool, None, lists,
            dicts with str keys; NumPy scalars count as the numbers they hold).

    Examples:
        >>> derive_seed(0, "labels")
        5307876873663319897
        >>> derive_seed(0, "labels") == derive_seed(0, "labels")
        True
        >>> derive_seed(0, {"n": 8, "rep": 1}) == derive_seed(0, {"rep": 1, "n": 8})
        True
    """
    digest = hashlib.sha256(_canonical([seed, *names]).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def generator(seed: object, name: str = "seed") -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with a validated ``seed`` (see :func:`check_seed`).

    Draw on the CPU and move the result, so a seed gives the same numbers on every device.

    Args:
        seed: a Python or NumPy integer in ``[0, 2^63)``.
        name: the argument's name, for the error message; default "seed".

    Returns:
        A new ``torch.Generator`` on the CPU, ``manual_seed(seed)`` applied.

    Raises:
        TypeError: ``seed`` is not an integer (bools, floats and strings included).
        ValueError: ``seed`` is negative or not below ``2^63``.

    Examples:
        >>> a = torch.randn(2, generator=generator(3))
        >>> bool((a == torch.randn(2, generator=generator(3))).all())
        True
    """
    return torch.Generator().manual_seed(check_seed(seed, name))


def numpy_rng(seed: object, name: str = "seed") -> np.random.Generator:
    """A NumPy ``Generator`` seeded with a validated ``seed`` (see :func:`check_seed`)."""
    return np.random.default_rng(check_seed(seed, name))


def legacy_random_state(seed: object, name: str = "seed") -> np.random.RandomState:
    """A NumPy ``RandomState`` for scikit-learn's ``random_state``, seeded through
    ``SeedSequence`` so every seed in ``[0, 2^63)`` works (an int ``random_state`` must lie
    below 2^32)."""
    return np.random.RandomState(np.random.MT19937(check_seed(seed, name)))
