"""Quick-mode results of every registered theorem, computed once per test session."""

from __future__ import annotations

from functools import cache

import ntkconv as nc


@cache
def quick_results(theorem_id: str) -> dict[str, nc.CheckResult]:
    theorem = nc.registry()[theorem_id]
    return {inst.name: theorem.check(inst.name, quick=True) for inst in theorem.instances}
