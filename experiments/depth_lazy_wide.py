"""depth-lazy beyond the check's grid: wider, deeper, and along a fixed depth-to-width ratio.

The check (``theorems/depth_lazy.py``) fits widths 64–1024 at depths 1, 2, 4 on the CPU. This
script runs its ``evaluate`` unchanged on larger grids — on CUDA when given ``--device cuda`` —
and prints, per architecture and depth, the fitted width exponents of the NTK drift and of the
gap to the linearized model with their 95% intervals, then the drift along L/m = ``--ratio``
(Hanin & Nica's β; their Theorem 1 predicts it does not vanish there). Each finished block is
appended to ``--out`` as one JSON line, so an interrupted run keeps what it measured.

Run: ``python -m experiments.depth_lazy_wide [--device cuda] [--widths 128,...,4096]
[--depths 1,2,4,8] [--seeds 3] [--ratio 0.03125] [--diagonal-only] [--out depth-lazy-wide.jsonl]``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from theorems import depth_lazy

ARCHITECTURES = {
    "tanh-mlp": {"activation": "tanh", "residual": False},
    "tanh-resnet": {"activation": "tanh", "residual": True},
    "relu-mlp": {"activation": "relu", "residual": False},
}


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(","))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--widths", type=_ints, default=(128, 256, 512, 1024, 2048, 4096))
    parser.add_argument("--depths", type=_ints, default=(1, 2, 4, 8))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ratio", type=float, default=1 / 32)
    parser.add_argument("--diagonal-depths", type=_ints, default=(1, 2, 4, 8, 16, 32))
    parser.add_argument("--out", type=Path, default=Path("depth-lazy-wide.jsonl"))
    parser.add_argument("--diagonal-only", action="store_true", help="skip the width grids")
    args = parser.parse_args()
    base = {**depth_lazy.BASE, "device": args.device, "seeds": args.seeds}

    def emit(row: dict) -> None:
        with args.out.open("a") as f:
            f.write(json.dumps(row) + "\n")

    for name, arch in {} if args.diagonal_only else ARCHITECTURES.items():
        depths = tuple(L for L in args.depths if L > 1 or not arch["residual"])
        start = time.perf_counter()
        out = depth_lazy.evaluate(
            {**base, **arch, "widths": args.widths, "depths": depths}, args.seed
        )
        seconds = time.perf_counter() - start
        per_depth = out.details["per_depth"]
        for L, row in per_depth.items():
            d, g = row["drift_fit"], row["gap_fit"]
            print(
                f"{name:12s} L={L:>2}  drift m^{d['exponent']:.3f} [{d['ci'][0]:.3f}, "
                f"{d['ci'][1]:.3f}]  gap m^{g['exponent']:.3f} [{g['ci'][0]:.3f}, "
                f"{g['ci'][1]:.3f}]  drift at m={args.widths[-1]}: "
                f"{np.mean(row['drift'][-1]):.3e}",
                flush=True,
            )
        emit(
            {
                "architecture": name,
                "widths": list(args.widths),
                "seconds": seconds,
                "measured": out.measured,
                "per_depth": {
                    L: {
                        "drift": np.asarray(row["drift"]).tolist(),
                        "gap": np.asarray(row["gap"]).tolist(),
                        "drift_fit": row["drift_fit"],
                        "gap_fit": row["gap_fit"],
                    }
                    for L, row in per_depth.items()
                },
            }
        )
        print(f"{name}: {seconds:.0f} s", flush=True)

    for name in ("relu-mlp", "tanh-mlp"):
        diagonal = []
        for L in args.diagonal_depths:
            m = round(L / args.ratio)
            out = depth_lazy.evaluate(
                {**base, **ARCHITECTURES[name], "widths": (m,), "depths": (L,)}, args.seed
            )
            drift = np.asarray(out.details["per_depth"][str(L)]["drift"])
            diagonal.append({"L": L, "m": m, "drift": drift.ravel().tolist()})
            print(
                f"{name:12s} L/m={args.ratio:g}  L={L:>2} m={m:>5}  drift {drift.mean():.3e}",
                flush=True,
            )
        emit({"architecture": name, "ratio": args.ratio, "diagonal": diagonal})


if __name__ == "__main__":
    main()
