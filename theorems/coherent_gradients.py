"""Coherent gradients — Chatterjee, "Coherent gradients: an approach to understanding
generalization in gradient descent-based optimization", ICLR 2020 (arXiv:2002.10657), §4
(winsorized gradient descent) and Fig. 3; the companion lecture "Learning, memorization and
generalization" (suppressing weak gradients, clipping gradients).

Statement (a mechanism, checked by its prediction). The full gradient is the sum of per-example
gradients; where many examples agree (true labels: similar images, similar gradients) their
sum is strong, where one example pulls alone (a random label has to be memorized) it is weak.
Winsorizing — clipping every coordinate of every per-example gradient to the c-th and
(100 − c)-th percentiles of that coordinate across the batch before summing — removes the weak,
idiosyncratic directions and keeps the coherent ones. Prediction: it slows the fitting of random
labels far more than of true labels,
    steps_c(random)/steps_0(random) > steps_c(true)/steps_0(true).

What is checked, on scikit-learn's digits (n training images, 10 classes): a
``TwoLayerClassifier`` trained by full-batch GD on the mean cross-entropy, with per-example
gradients from ``ntkconv.per_example_grads`` (``vmap`` of ``grad``) winsorized by
``ntkconv.winsorize``; steps-to-fit = first step with train accuracy ≥ the target, within a step
budget. A run that never gets there is censored: its ratio is reported as a lower bound
(budget/steps₀), and the conclusion uses that bound. Hypothesis: c > 0. The control sets c = 0
— plain GD both times — where both ratios are 1 and the prediction must fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
c_ = sp.Symbol("c", nonnegative=True)
steps = sp.Function(r"\mathrm{steps}")
rand, true = sp.Symbol("random"), sp.Symbol("true")
STATEMENT = sp.Implies(
    sp.Gt(c_, 0),
    sp.Gt(steps(c_, rand) / steps(0, rand), steps(c_, true) / steps(0, true)),
)
SYMBOLS = {
    "c": "winsorizing percentile (clip at the c-th and (100 − c)-th)",
    r"\mathrm{steps}": "GD steps until train accuracy reaches the target",
}
CLASSES = 10


def fit(
    net: nc.TwoLayerClassifier,
    X: torch.Tensor,
    labels: torch.Tensor,
    c: float,
    cfg: dict[str, Any],
    seed: int,
) -> nc.Trajectory:
    """Full-batch GD with winsorized per-example gradients (c = 0: plain GD)."""

    def winsorized(k: int, p: nc.Params) -> nc.Params:
        g = nc.per_example_grads(net, p, X, labels, loss="cross_entropy")
        return {name: v.mean(dim=0) for name, v in (nc.winsorize(g, c) if c else g).items()}

    return nc.gradient_descent(
        lambda p: nc.risk(net(p, X), labels, "cross_entropy", "mean"),
        net.init(seed, dtype=X.dtype),
        lr=cfg["lr"],
        steps=cfg["budget"],
        grad_fn=winsorized,
        callbacks={"train_accuracy": lambda p: nc.accuracy(net(p, X), labels)},
        until=lambda p: nc.accuracy(net(p, X), labels) >= cfg["target_accuracy"],
        progress=False,
    )


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    Xtr, ytr, Xte, yte = nc.digits(cfg["n"], seed, dtype=torch.float32)
    net = nc.TwoLayerClassifier(Xtr.shape[1], cfg["width"], CLASSES)
    runs: dict[str, dict[str, Any]] = {}
    for kind, labels in (("true", ytr), ("random", nc.corrupt_labels(ytr, 1.0, CLASSES, seed))):
        for c in (0.0, cfg["c"]):
            traj = fit(net, Xtr, labels, c, cfg, seed)
            reached = bool(traj.extras["train_accuracy"][-1] >= cfg["target_accuracy"])
            runs[f"{kind}, c={c:g}"] = {
                "steps": int(traj.step[-1]),
                "reached": reached,
                "test_accuracy": nc.accuracy(net(traj.params, Xte), yte),
                "step": traj.step,
                "train_accuracy": traj.extras["train_accuracy"],
                "diverged": traj.diverged,
            }
    ratio = {}
    for kind in ("true", "random"):
        base, clipped = runs[f"{kind}, c=0"], runs[f"{kind}, c={cfg['c']:g}"]
        ratio[kind] = clipped["steps"] / max(base["steps"], 1)
        ratio[f"{kind}_censored"] = not clipped["reached"]
    # a censored true-label ratio is only a lower bound: it cannot support the conclusion
    ok = ratio["random"] > ratio["true"] and not ratio["true_censored"]
    ok &= runs["true, c=0"]["reached"] and runs["random, c=0"]["reached"]
    ratio_of_ratios = ratio["random"] / ratio["true"]

    def censored(value: float, is_censored: bool) -> float | nc.Bound:
        """A censored run's ratio is only a lower bound."""
        return nc.Bound(value, ">=") if is_censored else value

    return nc.Outcome(
        hypotheses=[nc.hypothesis("c > 0 (winsorizing on)", cfg["c"], ">", 0.0)],
        conclusion_holds=bool(ok),
        predicted={"ratio_random_over_ratio_true": nc.Bound(1.0, ">")},
        measured={
            "ratio_random_over_ratio_true": censored(ratio_of_ratios, ratio["random_censored"]),
            "steps": {k: v["steps"] for k, v in runs.items()},
            "ratio_true": ratio["true"],
            "ratio_random": censored(ratio["random"], ratio["random_censored"]),
            "test_accuracy": {k: v["test_accuracy"] for k, v in runs.items() if "true" in k},
        },
        tightness=nc.Tightness.ratio(
            ratio_of_ratios,
            "(steps_c/steps_0 for random labels) / (the same for true labels), claimed > 1; a "
            "lower bound when the random-label run is censored",
        ),
        details={
            "runs": {k: {"step": v["step"], "acc": v["train_accuracy"]} for k, v in runs.items()}
        },
        diverged=any(v["diverged"] for v in runs.values()),
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        for name, run in r.details["runs"].items():
            ls = "-" if "c=0" in name and "c=0." not in name else "--"
            ax.plot(run["step"], run["acc"], ls, label=name)
        ax.axhline(r.config["target_accuracy"], color="k", lw=0.8, ls=":")
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlabel("GD step")
        ax.set_ylabel("train accuracy")
        ax.legend(fontsize=7)

    return nc.record_figures(
        results, draw, "coherent-gradients: winsorized per-example gradients, digits"
    )


BASE = {
    "n": 200,
    "width": 64,
    "lr": 10.0,
    "c": 10.0,
    "target_accuracy": 0.9,
    "budget": 2000,
}
INSTANCES = (
    nc.Instance(
        "winsorized",
        BASE,
        "200 digits, width 64, c = 10, steps to 90% train accuracy",
        quick={"budget": 1000},
    ),
    nc.Instance(
        "no-winsorizing",
        {**BASE, "c": 0.0},
        "c = 0: plain GD twice, both ratios are 1",
        breaks="c > 0 (winsorizing on)",
        quick={"budget": 1000},
    ),
)

THEOREM = nc.Theorem(
    id="coherent-gradients",
    title="Winsorizing per-example gradients slows random labels far more than true labels",
    citation="Chatterjee, ICLR 2020 (arXiv:2002.10657), §4",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
