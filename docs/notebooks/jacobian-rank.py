# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
# ---

# %% [markdown]
# # Jacobian rank and the last layer: how wide is wide enough to fit any labels?
#
# For the squared loss, a stationary point with a full-row-rank Jacobian is a global minimum:
# ∇L = Jᵀ(h − y) = 0 forces h = y (lecture 10, "It's all about the Jacobian"). Soudry and
# Carmon (arXiv:1605.08361, 2016; the lecture's "No bad local minima almost always?"; the page
# is [jacobian-rank](../theorems/jacobian-rank.md)) show that for a one-hidden-layer leaky-ReLU
# net with their dropout-like slope perturbation, the Jacobian of the N outputs in the first
# layer W₁ (d₁ hidden units, inputs in ℝ^d₀) has rank min(N, d₀d₁) for almost every dataset.
# The perturbation multiplies each unit's slope at each data point by its own random factor
# ε (here uniform on [0.5, 1.5]), like a dropout mask with continuous values; without it,
# points on the same side of every unit's hyperplane share their slopes exactly. The lecture's
# "What if we only trained the last layer?" freezes W₁ instead: with the feature matrix
# Q = σ(XWᵀ)/√m (n points, m hidden units), L(a) = ½‖Qa − y‖² is a convex quadratic, and GD
# fits any labels if rank Q = n (Du et al., ICLR 2019, Theorem 3.1, for the infinite-width
# Gram; the page is [last-layer-convex](../theorems/last-layer-convex.md)). This notebook runs
# both checks, then moves one knob — the width — with a prediction written down first.
#
# **Run it yourself** — install as in the README (the tests' command), then open this notebook
# in Jupyter, or run its script as plain Python:
#
# ```bash
# python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[test]'
# .venv/bin/pip install jupyterlab
# .venv/bin/jupyter lab docs/notebooks/jacobian-rank.ipynb
# .venv/bin/python docs/notebooks/jacobian-rank.py   # the same cells, no Jupyter
# ```

# %%
from IPython.display import Image, display

import ntkconv as nc

RANK = nc.registry()["jacobian-rank"]
LAST = nc.registry()["last-layer-convex"]
display(RANK)  # statement (MathML of the sympy the docs render), legend, instances

# %% [markdown]
# ## The check
#
# Every instance of both theorems at its quick size. In the last-layer check L(a) is β-smooth with
# β = λ_max(QᵀQ), GD runs with the step 1/β, and when rank Q = n the loss is PL with μ = λ_min(QQᵀ)
# (Polyak–Łojasiewicz: ½‖∇L(a)‖² ≥ μ(L(a) − L\*), L\* = min L), which gives the linear rate 1 − μ/β.
# The regular instances must `hold`. Four controls break a hypothesis and must come out
# `failed-without-hypothesis`: no slope perturbation, plain ReLU (slope 0 on dead units), parallel
# inputs, fewer hidden units than points. A fifth takes the step 2.5/β: it breaks the hypothesis
# "step ≤ 1/β", and since the step is also above 2/β, where GD on a quadratic is unstable, it is
# declared `diverged` (the loss blows up; its negative tightness says the same). The sharpened
# control claims a linear rate 1.5× faster than 1 − μ/β and must come out `violated`.

# %%
run = nc.run_checks([RANK, LAST], quick=True, progress=False)
display(run)

# %%
display(run.to_frame()[["instance", "role", "declared", "verdict", "tightness_kind", "tightness"]])

# %% [markdown]
# The rank is an equality, counted with a stated tolerance; the figure shows the phase
# transition of the first panel: rank J/N follows min(1, d₀d₁/N) and saturates exactly at
# d₀d₁ = N. Without the perturbation (last panel) points on the same side of every hidden
# unit's hyperplane share their slopes, and the rank falls short at d₀d₁ = N.

# %%
Image(nc.figure_bytes(RANK.figure(run.of("jacobian-rank"))[0]))

# %% [markdown]
# The two last-layer GD runs at their full widths, m = 120 (the regular instance) and m = 20
# (the narrow-width control), with n = 30 points: rank Q, the initial loss L(a₀), the fraction
# L\*/L(a₀) that no choice of a can remove, and the condition number κ(QQᵀ) that sets the rate.

# %%
for r in run.of("last-layer-convex"):
    if r.instance in ("gd-lstsq", "narrow-width"):
        d = r.details
        print(
            f"{r.instance:12s} m = {d['width']:3d}: rank Q {d['rank_Q']}  "
            f"L* {d['L_star']:.2f} of L(a0) {d['L_star'] + d['excess'][0]:.1f} "
            f"({r.measured['L_star_over_L0']:.2f})  κ {d['kappa']:.3g}  {r.verdict.value}"
        )

# %% [markdown]
# ## Vary one knob: the width
#
# Fix N = n = 30 points in d₀ = d = 10 dimensions (the last-layer check's size) and move the
# hidden width m = d₁ through 2, 3, 15, 30, 120. For each width: the first-layer Jacobian's rank
# (`jacobian-rank`, leaky-ReLU with the perturbation, two draws), and last-layer GD on random
# labels (`last-layer-convex`, ReLU features, step 1/β, 2000 steps instead of 6000 to save
# time): rank Q, L\*/L(a₀) (0 means any labels are fitted), κ(QQᵀ) and the excess
# L(a_k) − L\* — how far the loss still is above its minimum L\* — left at the last step.
#
# **Prediction, written before running.**
#
# - First layer: rank J = min(30, 10m) = 20 at m = 2 and 30 from m = 3 on. The verdict is
#   `holds` at every width — the claim is min(N, d₀d₁), not N. What changes is whether the
#   corollary "no bad local minima" applies: only from m = 3, when d₀d₁ ≥ N.
# - Last layer: each unit adds one parameter, not d₀, so rank Q = min(30, m): 2, 3, 15, 30, 30.
#   Below m = 30 the hypothesis "rank Q = n" breaks and L\* > 0: `failed-without-hypothesis`.
#   For labels independent of Q, L\* ≈ ½(n − m) (the part of y outside an m-dimensional
#   range), and L(a₀) should not depend much on m; with the narrow-width record above
#   (L\*/L(a₀) = 0.11 at m = 20) that gives L\*/L(a₀) ≈ 0.3 at m = 2 and 3, ≈ 0.17 at m = 15.
# - m = 30 = n: rank Q = 30, `holds`, but Q is square and nearly singular. Random-matrix scaling
#   (σ_min ≈ s(√m − √n) for m > n, ≈ s/√n for m = n, s the standard deviation of Q's entries about
#   their mean; λ_max set by the features' mean and independent of m) makes κ about 900 times the
#   κ ≈ 466 of m = 120: of order 10⁵. Then 1 − μ/β ≈ 1 and 2000 steps leave the slow modes almost
#   untouched — an excess of order 0.1–1 at the end. The verdict still holds: the theorem promises a
#   rate, and at this κ the rate promises almost nothing.
# - m = 120: `holds`, the same Q as the regular instance (κ ≈ 466); the slowest mode of the
#   excess contracts by (1 − 1/κ)² per step, e^{−4000/466} ≈ 2·10⁻⁴ over 2000 steps, so an
#   excess of order 10⁻³ is left at the end.

# %%
for m in (2, 3, 15, 30, 120):
    jr = RANK.check("noisy-leaky-relu", quick=True, configs=((30, 10, m, None),))
    ll = LAST.check("gd-lstsq", quick=True, width=m, steps=2000)
    ranks = [row["rank"] for row in jr.details["rows"]]
    d = ll.details
    print(
        f"m = {m:3d}: rank J {ranks} {jr.verdict.value} | rank Q {d['rank_Q']:2d}  "
        f"L* {d['L_star']:.2f} of L(a0) {d['L_star'] + d['excess'][0]:.1f} "
        f"({ll.measured['L_star_over_L0']:.2f})  κ {d['kappa']:.2g}  "
        f"excess {ll.measured['excess_at_end']:.1e}  {ll.verdict.value}"
    )

# %% [markdown]
# The ranks and verdicts came out as predicted: rank J = 20 at m = 2 and 30 from m = 3 on,
# `holds` at every width; rank Q = min(30, m), `failed-without-hypothesis` below m = 30 and
# `holds` from there. At m = 30 κ = 6.8·10⁴ and 2000 steps leave an excess of 0.91 — GD has
# barely started on the slow modes, and the verdict is `holds`. κ came out of the predicted
# order, but about 150 times the 466 of m = 120, not 900: the square-matrix estimate σ_min ≈ s/√n
# is good to an order of magnitude only. At m = 120 the excess left is 3.0·10⁻⁴, a little below
# the predicted order 10⁻³.
#
# **What the prediction got wrong: L\*/L(a₀) at small widths** — 0.72 and 0.70 at m = 2 and 3,
# not ≈ 0.3. The model L\* ≈ ½(n − m) was not the problem (L\* = 15.62 and 15.93 against 14
# and 13.5; two or three features remove almost nothing from random labels). The calibration
# was: scaling from the one narrow-width record assumed its L\* was typical and L(a₀) the same
# at every width. Its L\* = 3.06 is well below ½(n − m) = 5 — a lucky draw of labels against
# those 20 features — and L(a₀) moves with the features (21.8 at m = 2, 31.9 at m = 15). With
# the record's own L(a₀), ½(n − m)/L(a₀) is 0.64 and 0.59 at m = 2 and 3. A ratio of one
# random quantity to another is a poor thing to extrapolate from a single draw.
#
# Read the two rows side by side: a hidden unit adds d₀ = 10 trainable weights to the first
# layer's Jacobian but only one column to Q. Training W₁ reaches rank N at d₁ = N/d₀ = 3 units;
# training the last layer alone needs m ≥ n = 30, and a well-conditioned Q needs several times
# more.
#
# ## Exercises
#
# 1. At m = 2 the first-layer Jacobian has rank 20 < N = 30 and the verdict is `holds`. Does
#    "no bad local minima" follow at this width? What does ∇_W L = Jᵀ(h − y) = 0 allow?
# 2. At m = 30 the verdict is `holds` with an excess of 0.91 left after 2000 steps. What did the
#    check verify, and roughly how many steps would GD need to bring the slowest mode down by a
#    factor e?
# 3. Would a wider hidden layer help a *linear* net? Run
#    `RANK.check("linear-net", quick=True, configs=((20, 10, 40, 5),))` — N = 20 points of rank
#    5 in d₀ = 10, width 40 — and explain the ranks in `r.details["rows"]`.
#
# <details><summary>Solutions</summary>
#
# 1. No. The claim rank J = min(N, d₀d₁) is true there, but the corollary needs rank J = N:
#    Jᵀe = 0 only says the error e = h − y is orthogonal to the 20-dimensional range of J, and
#    a 10-dimensional space of errors is left. A stationary point with e ≠ 0 is possible.
# 2. That the loss followed GD's closed-form trajectory ½Σ_i(1 − ηλ_i)^{2k}c_i² step by step
#    and stayed under the 1/k and PL rates, and that L\* = 0 (rank Q = n): a rate, not
#    convergence by step 2000. The slowest mode contracts by (1 − 1/κ)² per step, so a factor e
#    takes about κ/2 ≈ 3.4·10⁴ steps.
# 3. No: rank J = rank X = 5 at width 40 as at width 8. With σ(z) = z the Jacobian in W₁ is
#    v ⊗ X, and rank(v ⊗ X) = rank v · rank X = rank X: the width multiplies columns that are
#    copies of X scaled by v_h, and no bad local minima needs rank X = N (at most d₀ = 10 here).
#
# </details>
