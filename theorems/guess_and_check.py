"""Networks drawn at random until they fit the training set generalize about as well as gradient
descent's — Chiang, Ni, Miller, Bansal, Geiping, Goldblum, Goldstein, "Loss landscapes are all
you need: neural network generalization can be explained without the implicit bias of gradient
descent", ICLR 2023 (the guess-and-check optimizer on small two-class tasks); the lecture
overview "Rethinking generalization".

Claim. Guess and check (G&C) draws weights from the initialization distribution until the net
classifies every training point correctly; it has no implicit bias beyond the prior's volume. If
GD's good generalization came from GD itself, G&C's fitted nets would generalize worse; Chiang
et al. find them comparable when the training set is small enough for sampling to succeed.

What is checked. Two digits of scikit-learn's 8×8 images (on the sphere), n balanced training
points and the rest (about 350 images) as test set, over R random training sets. The net is
f(x) = aᵀrelu(Wx)/√h, h = 16, drawn as :class:`ntkconv.TwoLayerNet` draws it (W ~ N(0, I),
a ~ Unif{±1}). G&C keeps the first K draws (in batches of ``batch``, at most ``max_batches``)
that classify the training set correctly; GD trains K nets from that prior (W and a, full batch,
squared loss) until (1/2n)Σ(f − y)² ≤ 0.1/n, which forces every sign right; a run that stalls
(a training point with every unit off) is, like G&C's misses, not among the nets compared.
"About as well" is made operational as: G&C gains at least half of GD's gain over chance,
E[acc_G&C] − ½ ≥ ½·(E[acc_GD] − ½), decided at α = :data:`ntkconv.STAT_ALPHA` by the Student-t
lower bound of the mean over training sets of (acc_G&C − ½) − ½(acc_GD − ½). Hypotheses: G&C
found K fitting nets for every training set, and each kept net, re-checked on its set, fits it;
the training sets are balanced; GD fitted at least one run on every training set; the training
labels are the images' classes. Tightness: the largest c for which the data establish
E[acc_G&C − ½] > c·½·E[acc_GD − ½] — 2 would be parity with GD.

Finding. The claim holds, parity does not: G&C's nets reach 0.75 (n = 8) to 0.82 (n = 16) on 3
against 5, GD's 0.83–0.91 — G&C gains about three quarters of GD's gain, 8–9 points below it,
at every width from 16 to 256.

Controls. ``shuffled-labels``: the training labels permuted — both optimizers fit them, and G&C's
test accuracy falls to chance: the generalization comes from the data, not from the sampler.
``digits-3v5-sharpened``: factor 2, i.e. G&C as good as GD — violated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp
import torch

import ntkconv as nc

# --- statement -------------------------------------------------------------------------------
gain_gc, gain_gd = sp.symbols(
    r"\mathbb{E}[\mathrm{acc}_{G\&C}] \mathbb{E}[\mathrm{acc}_{GD}]", positive=True
)
ratio_ = sp.Symbol("r", positive=True)
STATEMENT = sp.Ge(gain_gc - sp.Rational(1, 2), ratio_ * (gain_gd - sp.Rational(1, 2)))
SYMBOLS = {
    r"\mathbb{E}[\mathrm{acc}_{G\&C}]": "guess-and-check's mean test accuracy over training "
    "sets (mean of its K fitted nets per set)",
    r"\mathbb{E}[\mathrm{acc}_{GD}]": "gradient descent's, the same way (chance: 1/2)",
    "r": "the fraction of GD's gain over chance that counts as 'about as well', RATIO = 1/2",
}
#: "about as well": G&C's test accuracy gains at least this fraction of GD's gain over chance
RATIO = 0.5
CHANCE = 0.5


# --- measurement -----------------------------------------------------------------------------
def _splits(cfg: dict[str, Any], seed: int, X: torch.Tensor, y: torch.Tensor):
    """R balanced training sets of n (labels shuffled in the control) and their test sets."""
    gen = nc.generator(nc.derive_seed(seed, "splits"))
    n, N = cfg["n"], X.shape[0]
    train, test = [], []
    for _ in range(cfg["training_sets"]):
        perm = torch.randperm(N, generator=gen)
        pos, neg = perm[y[perm] > 0][: n // 2], perm[y[perm] < 0][: n - n // 2]
        picked = torch.cat([pos, neg])
        train.append(picked)
        test.append(perm[~torch.isin(perm, picked)])
    labels = torch.stack([y[i] for i in train])
    if cfg["shuffle_labels"]:
        labels = torch.stack([row[torch.randperm(n, generator=gen)] for row in labels])
    return torch.stack(train), labels, test


def _signs_right(
    net: nc.TwoLayerNet, params: nc.Params, X: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    """(members, points): whether each stacked member's sign matches each label."""
    return net.stacked(params, X) * y > 0


def _guess_and_check(cfg, seed, net, X_train, y_train, X, y, test):
    """The first K draws that fit each training set: their test accuracies (R, K), NaN where
    fewer were found; how many were found per set; the draws tried; the fraction of draws that
    fit a training set (over every set and draw evaluated); how many kept nets fit their set
    when re-checked."""
    R, n, d = X_train.shape
    K = cfg["nets"]
    gen = nc.generator(nc.derive_seed(seed, "guess"))
    accs = np.full((R, K), np.nan)
    found = np.zeros(R, dtype=int)
    tried = fitting = verified = 0
    for _ in range(cfg["max_batches"]):
        B = cfg["batch"]
        params = {
            "W": torch.randn(B, net.width, d, generator=gen, dtype=X.dtype),
            "a": (2 * torch.randint(0, 2, (B, net.width), generator=gen) - 1).to(X.dtype),
        }
        out = net.stacked(params, X_train.reshape(R * n, d)).reshape(B, R, n)
        fits = (out * y_train > 0).all(-1)  # (B, R)
        tried += B
        fitting += int(fits.sum())
        for r in range(R):
            need = K - found[r]
            picks = fits[:, r].nonzero().flatten()[:need]
            if need <= 0 or picks.numel() == 0:
                continue
            chosen = {k: v[picks] for k, v in params.items()}
            # re-checked on the set itself, not through the batch's bookkeeping
            verified += int(_signs_right(net, chosen, X_train[r], y_train[r]).all(-1).sum())
            right = _signs_right(net, chosen, X[test[r]], y[test[r]])  # (picked, test)
            accs[r, found[r] : found[r] + picks.numel()] = right.double().mean(-1)
            found[r] += picks.numel()
        if (found >= K).all():
            break
    return accs, found, tried, fitting / (tried * R), verified


def _gradient_descent(cfg, seed, net, X_train, y_train, X, y, test):
    """K GD runs per training set, all R·K as one ensemble: test accuracies (R, K) of the runs
    that fitted (NaN for the others), and which fitted."""
    R, n, _ = X_train.shape
    K = cfg["nets"]
    params = nc.stack_params(
        [
            net.init(nc.derive_seed(seed, "gd", r, k), dtype=X_train.dtype)
            for r in range(R)
            for k in range(K)
        ]
    )
    Xs = X_train.repeat_interleave(K, dim=0)
    ys = y_train.repeat_interleave(K, dim=0)
    target = 0.1 / n  # (1/2n)Σ(f − y)² ≤ 0.1/n ⇒ every |f_i − y_i| < 1: every sign right
    traj = nc.train_ensemble(
        net, params, Xs, ys, lr=cfg["lr"], steps=cfg["steps"], reduction="half_mean",
        target_loss=target, record_every=cfg["steps"], progress=False,
    )  # fmt: skip
    fitted = _signs_right(net, traj.params, Xs, ys).all(-1) & torch.from_numpy(traj.reached)
    accs = np.zeros((R, K))
    for r in range(R):
        member = {k: v[r * K : (r + 1) * K] for k, v in traj.params.items()}
        accs[r] = _signs_right(net, member, X[test[r]], y[test[r]]).double().mean(-1).numpy()
    fitted = fitted.reshape(R, K).numpy()
    # a run can stall with a training point on which every unit is off (f = 0 there, no
    # gradient): like G&C's misses, it is not one of the fitted nets compared
    return np.where(fitted, accs, np.nan), fitted


def _recovered(gc: np.ndarray, gd: np.ndarray, c: float) -> nc.MeanInterval:
    """Interval of the mean over training sets of (acc_G&C − ½) − c·RATIO·(acc_GD − ½)."""
    return nc.t_interval((gc - CHANCE) - c * RATIO * (gd - CHANCE))


def _largest_factor(gc: np.ndarray, gd: np.ndarray) -> float:
    """The largest c for which the data still establish E[acc_G&C − ½] > c·RATIO·E[acc_GD − ½]
    (the lower end of :func:`_recovered` falls with c: bisection); 0 if not even c = 0."""
    if _recovered(gc, gd, 0.0).lower <= 0:
        return 0.0
    lo, hi = 0.0, 1.0
    while _recovered(gc, gd, hi).lower > 0:
        lo, hi = hi, 2 * hi
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _recovered(gc, gd, mid).lower > 0 else (lo, mid)
    return lo


def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    # float32: signs are all that is read, and sampling is the cost
    X, y = nc.digits_two_class(tuple(cfg["classes"]), dtype=torch.float32)
    net = nc.TwoLayerNet(X.shape[1], cfg["width"], trainable=("W", "a"))
    train, y_train, test = _splits(cfg, seed, X, y)
    X_train = X[train]
    gc, found, tried, acceptance, verified = _guess_and_check(
        cfg, seed, net, X_train, y_train, X, y, test
    )
    smaller_class = int(torch.minimum((y_train > 0).sum(1), (y_train < 0).sum(1)).min())
    gd, fitted = _gradient_descent(cfg, seed, net, X_train, y_train, X, y, test)
    true_labels = float((y_train == y[train]).double().mean())
    complete = (found >= cfg["nets"]) & fitted.any(axis=1)
    # training sets where either came up short are left out (the hypotheses say so)
    gc_mean, gd_mean = np.nanmean(gc[complete], axis=1), np.nanmean(gd[complete], axis=1)
    usable = complete.sum() >= 2
    factor = _largest_factor(gc_mean, gd_mean) if usable else 0.0
    gap = nc.t_interval(gc_mean - gd_mean) if usable else None
    acc_gc = float(gc_mean.mean()) if usable else math.nan
    acc_gd = float(gd_mean.mean()) if usable else math.nan
    return nc.Outcome(
        hypotheses=[
            nc.hypothesis(
                "guess-and-check fit every training set",
                int(found.min()),
                ">=",
                cfg["nets"],
                note=f"fewest fitting draws found for one training set, of {tried} tried",
            ),
            nc.hypothesis(
                "every kept guess fits its training set",
                verified / max(int(found.sum()), 1),
                "==",
                1.0,
                note="fraction of kept draws whose signs match the training labels, re-checked",
            ),
            nc.hypothesis(
                "training sets balanced",
                smaller_class,
                "==",
                cfg["n"] // 2,
                note="fewest training points of one class in a set (chance is 1/2 only then)",
            ),
            nc.hypothesis(
                "gradient descent fit every training set",
                float(fitted.any(axis=1).mean()),
                "==",
                1.0,
                note=f"fraction of training sets with a fitted GD run; {fitted.mean():.1%} of "
                "runs fitted (a stalled run has a point with every unit off)",
            ),
            nc.hypothesis(
                "training labels are the images' classes",
                true_labels,
                "==",
                1.0,
                note="fraction of training labels equal to the digit's class",
            ),
        ],
        conclusion_holds=factor >= 1.0,
        predicted={"gain_recovered": nc.Bound(RATIO, ">=")},
        measured={
            "gain_recovered": (acc_gc - CHANCE) / (acc_gd - CHANCE),
            "guess_and_check_accuracy": acc_gc,
            "gradient_descent_accuracy": acc_gd,
            "accuracy_gap": gap,
            "acceptance_rate": acceptance,
        },
        tightness=nc.Tightness.ratio(
            factor,
            "largest c with E[acc_G&C − ½] > c·½·E[acc_GD − ½] established at level α",
        ),
        details={
            "gc": gc_mean,
            "gd": gd_mean,
            "n": cfg["n"],
            "classes": cfg["classes"],
            "tried": tried,
            "found": found,
        },
    )


# --- figure ----------------------------------------------------------------------------------
def figure(results: Sequence[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        gc, gd = np.asarray(r.details["gc"]), np.asarray(r.details["gd"])
        ax.scatter(gd, gc, s=8, alpha=0.7, label="one training set (mean of K nets each)")
        lo = min(gc.min(), gd.min(), 0.4) if gc.size else 0.4
        line = np.array([lo, 1.0])
        ax.plot(line, line, "k-", lw=0.8, label="parity")
        ax.plot(line, CHANCE + RATIO * (line - CHANCE), "k--", lw=0.8,
                label="half of GD's gain over chance")  # fmt: skip
        ax.axhline(CHANCE, color="gray", lw=0.8, ls=":", label="chance")
        classes, n = r.details["classes"], r.details["n"]
        ax.set(xlim=(lo, 1), ylim=(lo, 1), xlabel="GD test accuracy",
               ylabel="guess-and-check test accuracy")  # fmt: skip
        ax.text(0.02, 0.98, f"{classes[0]} vs {classes[1]}, n = {n}\n"
                f"gain recovered {r.measured['gain_recovered']:.2f}",
                transform=ax.transAxes, va="top", fontsize=7)  # fmt: skip
        ax.legend(fontsize=6, loc="lower right")

    return nc.record_figures(results, draw, "guess-and-check: test accuracy against GD's")


# --- instances -------------------------------------------------------------------------------
BASE = {
    "classes": [3, 5],
    "n": 8,
    "width": 16,
    "training_sets": 100,
    "nets": 8,
    "batch": 20_000,
    "max_batches": 20,
    "lr": 2.0,
    "steps": 1000,  # fitting runs stop by step 520 (median 10 at n = 8, 32 at n = 16)
    "shuffle_labels": False,
}
QUICK = {"training_sets": 60}
DIGITS = nc.Instance(
    "digits-3v5",
    BASE,
    "3 against 5, n = 8: G&C's fitted nets gain at least half of GD's gain over chance",
    quick=QUICK,
)
INSTANCES = (
    DIGITS,
    DIGITS.sharpened(2.0, "parity: G&C's gain over chance at least GD's"),
    nc.Instance(
        "digits-3v5-n16",
        {**BASE, "n": 16, "nets": 4},
        "3 against 5, n = 16: rarer fits, the same claim",
        quick={"training_sets": 40, "nets": 2},
    ),
    nc.Instance(
        "digits-0v1",
        {**BASE, "classes": [0, 1]},
        "0 against 1, an easy pair: the same claim",
        quick=QUICK,
    ),
    nc.Instance(
        "shuffled-labels",
        {**BASE, "shuffle_labels": True},
        "training labels permuted: both fit them, G&C's test accuracy falls to chance",
        breaks="training labels are the images' classes",
        # permuted labels are rarely fit by a random draw: fewer sets show chance well enough
        quick={"training_sets": 12, "nets": 2},
    ),
)

THEOREM = nc.Theorem(
    id="guess-and-check",
    title="Nets drawn at random until they fit generalize about as well as GD's",
    citation="Chiang, Ni, Miller, Bansal, Geiping, Goldblum, Goldstein, ICLR 2023 (guess and "
    "check); lecture 'Rethinking generalization'",
    statement=STATEMENT,
    symbols=SYMBOLS,
    instances=INSTANCES,
    evaluate=evaluate,
    figure=figure,
)
check = THEOREM.check
