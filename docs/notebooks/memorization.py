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
# # Memorization constructions: how many hidden units do N points need?
#
# The lecture's "A curious observation on fitting the data" (Yun, Sra, Jadbabaie, NeurIPS 2019,
# Theorem 3.1): a three-layer ReLU net with hidden widths d1, d2 memorizes any N points with
# distinct inputs once 4⌊d1/4⌋⌊d2/4⌋ ≥ N — Θ(√N) hidden units, Θ(N) weights, written down in
# linear time. Conversely, once 2·d1·d2 + d2 + 2 < N some dataset of N points cannot be
# memorized, so the count is tight up to a constant. Zhang, Bengio, Hardt, Recht and Vinyals
# (ICLR 2017, Theorem 1) do it with two layers and 2n + d weights. The three checks build the
# constructions, check them point by point in float64, and prove the converse by counting the
# linear pieces of a net on a line. This notebook runs them, then moves one knob — the hidden
# width — with a prediction written down first.
#
# **Run it yourself** — install as in the README (the tests' command), then open this notebook
# in Jupyter, or run its script as plain Python:
#
# ```bash
# python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[test]'
# .venv/bin/pip install jupyterlab
# .venv/bin/jupyter lab docs/notebooks/memorization.ipynb
# .venv/bin/python docs/notebooks/memorization.py   # the same cells, no Jupyter
# ```

# %%
from IPython.display import Image, display

import ntkconv as nc

registry = nc.registry()
UPPER, LOWER, ZHANG = (
    registry[i] for i in ("yun-memorization", "yun-lower-bound", "zhang-memorization")
)
display(LOWER)  # statement (MathML of the sympy the docs render), legend, instances

# %% [markdown]
# ## The check
#
# Every instance of the three theorems at its quick size (the pages:
# [yun-memorization](../theorems/yun-memorization.md),
# [yun-lower-bound](../theorems/yun-lower-bound.md),
# [zhang-memorization](../theorems/zhang-memorization.md)).
#
# - Regression (`gaussian`, `manifold`, for both constructions): N = 200 points in ℝ¹⁰ —
#   Gaussian, or spread along a closed curve — with labels drawn from U[−1, 1]; the constructed
#   net must reproduce every label to 10⁻⁸·max|y| in float64. These must `hold`.
# - The lower bound (`alternating-line`, described before the knob below): N = 39 points on a
#   line with alternating labels, widths d1 = d2 = 4; the check must prove that no net of these
#   widths fits them, and `hold`.
# - Classification. `random-classes-1e5`: N = 20 000 points at the quick size with random
#   labels ±1, where only the sign must come out right (every |f(x_i) − y_i| < ½). The others
#   use the paper's variant for K classes: the net has K outputs and must output the one-hot
#   vector e_(y_i) of each point's class, through a third hidden layer of width d3; the paper's
#   condition adds d3 ≥ 4K. `classes-10` (N = 200, K = 10, d3 = 40) and `classes-absent`
#   (labels from only 7 of the 10 classes; the net must still have 10 outputs). All three must
#   `hold`.
# - Two instances sit outside a hypothesis on purpose and are declared
#   `held-outside-hypotheses`: `classes-decoder-k` (d3 = K = 10, below the paper's 4K but
#   enough for our decoder, one unit per class) and `between-counts` (N = 27 on the lower
#   bound's line: the paper's condition no longer excludes memorization, the exact piece count
#   still does).
# - The controls break a hypothesis and must come out `failed-without-hypothesis`: widths below
#   the condition, gradient descent instead of the construction, inputs 10⁻⁶ apart that float64
#   cannot resolve, two identical inputs with different labels, fewer hidden units than points,
#   d3 = 9 < K = 10 (no weights can output 10 independent one-hot vectors through 9 units),
#   widths large enough for the construction on the lower bound's line. The sharpened control
#   halves the lower bound's piece count and must come out `violated`.

# %%
run = nc.run_checks([UPPER, LOWER, ZHANG], quick=True, progress=False)
display(run)

# %%
display(run.to_frame()[["id", "instance", "declared", "verdict", "tightness_kind", "tightness"]])

# %% [markdown]
# The construction against gradient descent on the very same 32 × 32 architecture (the
# `gradient-descent` control, 1500 full-batch steps at the quick size):

# %%
for r in run.of("yun-memorization"):
    if r.instance in ("gaussian", "gradient-descent"):
        m = r.measured
        print(
            f"{r.instance:16s} {m['n_params']} weights, N = {m['N']}: "
            f"max|f(x_i) − y_i|/max|y| {m['relative_error_float64']:.1e}  "
            f"largest weight {m['max_abs_weight']:.1e}"
        )

# %%
Image(nc.figure_bytes(LOWER.figure(run.of("yun-lower-bound"))[0]))

# %% [markdown]
# The lower bound's argument, in the figure: on a line a net with widths d1, d2 is piecewise
# linear with at most (d1 + 1)(d2 + 1) pieces (counted exactly, in rational arithmetic), and N
# points with alternating labels ±1 need N − 1 of them, one per sign change. The *extremal*
# net is one whose weights are written down by hand to attain the count: its first layer makes
# a zigzag along the line with d1 kinks, and every second-layer unit crosses zero once on each
# of the zigzag's d1 + 1 pieces. Random and trained nets use far fewer pieces.
#
# ## Vary one knob: the width, on N = 39 alternating points
#
# `yun-lower-bound` runs N = 39 points t_i = i − 19 on a line with labels (−1)^i at
# d1 = d2 = 4; `d1` and `d2` are config keys. At every width it counts the pieces of an extremal
# net, of random nets and of a net trained by GD, counts their sign changes along the data, and
# asks `ntkconv.yun_memorizer` for a net: the lower bound and the construction on the same data.
# In the output, "any" is the most sign changes of any of these nets, the construction's
# included.
#
# **Prediction, written before running.** With d1 = d2 = w, the paper's threshold is
# 2w² + w + 2, the exact piece count (w + 1)², the construction's capacity 4⌊w/4⌋², and 38
# pieces are needed.
#
# - w = 4: threshold 38 < 39, 25 pieces < 38: `holds`, as the declared instance.
# - w = 5: threshold 57 ≥ 39, so the paper's hypothesis fails, but 36 pieces < 38 still exclude
#   memorization: `held-outside-hypotheses`, like the `between-counts` instance.
# - w = 6 and w = 8: 49 and 81 pieces ≥ 38: the count no longer excludes anything, while the
#   construction's capacity (4 and 16) is still below 39, so it refuses: the conclusion fails,
#   `failed-without-hypothesis` — nothing here memorizes, but nothing proves it impossible.
# - w = 16: capacity 64 ≥ 39: the construction memorizes, with all 38 sign changes:
#   `failed-without-hypothesis`, the `enough-width` control.
# - The extremal net has exactly (w + 1)² pieces at every w; random nets reach about half of
#   it; GD nets make only a handful of sign changes (≤ 5) of the 38 at every width below 16.
#
# Between w = 6 and w = 15 neither side decides: the truth for these 39 points lies between the
# lower bound's width and the construction's.

# %%
for w in (4, 5, 6, 8, 16):
    r = LOWER.check("alternating-line", quick=True, d1=w, d2=w)
    m, rows = r.measured, r.details["rows"]
    random_pieces = max(row["pieces"] for row in rows if row["net"].startswith("random"))
    gd_changes = max(row["sign_changes"] for row in rows if row["net"].startswith("gd"))
    print(
        f"w = {w:2d}: {r.verdict.value:26s} threshold {m['paper_threshold']:3d}  "
        f"pieces: extremal {m['pieces_extremal']:3d}, random ≤ {random_pieces:3d}  "
        f"sign changes of {m['pieces_needed']}: GD {gd_changes:2d}, any {m['sign_changes']:2d}  "
        f"constructor refuses: {m['constructor_refuses']}"
    )

# %% [markdown]
# Every verdict came out as predicted: `holds` at w = 4, `held-outside-hypotheses` at w = 5
# (36 pieces, 38 needed, though the paper's threshold 57 no longer applies), and
# `failed-without-hypothesis` from w = 6, where the extremal net's 49 pieces are more than the
# 38 needed. The extremal net has exactly (w + 1)² pieces at every width, and the construction
# refuses until w = 16, where it makes all 38 sign changes.
#
# **What was wrong: the random nets.** They do not reach "about half" of the count: 11 of 25 at
# w = 4 but 39 of 289 at w = 16 — their pieces grow roughly like w, not like w². The count
# (w + 1)² supposes that every layer-2 unit crosses zero on every one of the d1 + 1 pieces of
# layer 1; the extremal net is built to do that, but a random unit's pre-activation is a random
# piecewise-linear function that crosses zero only a few times along the whole line, so each
# unit adds a few kinks, not d1 + 1. GD did even less than predicted: 2 sign changes at w = 4
# and none at any larger width — in the quick run's 1000 steps it does not begin to alternate.
#
# So, on these 39 points, the widths 6 … 15 are open: enough pieces exist, the construction
# cannot use them, and neither random nor trained nets come near. Θ(√N) is tight, but here its
# two constants sit a factor 16/5 apart in width: w = 5 is excluded, w = 16 is built.
#
# ## Exercises
#
# 1. The construction's weights grow like max|Δy|/(smallest gap of the projections), and the
#    smallest gap of N random projections shrinks like span/N². Predict the verdict of
#    `UPPER.check("gaussian", n=N)` for N = 500, 1000 and 2000, then run them.
# 2. `ZHANG.check("gaussian").measured["conditioning"]` solves the same triangular system with
#    the biases b_{j+1} at 1/8, 1/2 and 7/8 of each gap (run
#    `print(ZHANG.check("gaussian").measured["conditioning"])`). Why does the last placement
#    fail in float64 although A is invertible in every case?
# 3. The construction memorizes N = 200 points with 1440 weights; gradient descent on the very
#    same architecture stays far from the labels (the two lines printed after the check's
#    table, starting `gaussian` and `gradient-descent`). Compare the largest weights. What does
#    that say about the lecture's question — why does SGD need so much more
#    overparameterization than the constructions?
#
# <details><summary>Solutions</summary>
#
# 1. N = 500 `holds`. At N = 1000 the rounding floor estimate passes 10⁻⁸/100, so the
#    hypothesis "float64 resolves the projections" fails, and the error itself lands above the
#    tolerance: `failed-without-hypothesis`. At N = 2000 the error happens to come in under the
#    tolerance again: `held-outside-hypotheses`. The floor estimate grows steadily with N; the
#    error wanders around a multiple of it from one dataset to the next — which is why the
#    check puts its hypothesis on 100 × the floor and not on the error, so that rounding never
#    decides a `holds` or a `violated`.
# 2. Forward substitution runs a recurrence on the slopes in which an error is multiplied by
#    ρ = f/(1 − f) at every point, f the bias's fraction of the gap: ρ = 1/7, 1 and 7. At 7/8 an
#    error of one rounding unit (about 10⁻¹⁶) is multiplied by 7 at each of 200 points:
#    7²⁰⁰ ≈ 10¹⁶⁹, so the error can reach about 10¹⁵³. The measured solve error, 2.6·10¹⁵¹
#    relative to the solution, is a representable float64 number (they go up to 1.8·10³⁰⁸), but
#    it is far beyond float64's 16 or so significant digits: not one digit of the solution is
#    right. The condition numbers say the same (2.1·10⁶, 1.0·10⁸ and 2.1·10²⁰), although A is
#    lower triangular with a positive diagonal. Invertible is not the same as well conditioned.
# 3. The construction's largest weight is 5.2·10⁵, GD's 2.6: the construction's slopes are
#    max|Δy| over gaps between neighbouring projections, a function with steep ramps between
#    nearby points. GD from a standard initialization moves its weights by small
#    amounts and finds smooth functions first; nothing in its dynamics leads to such a net. The
#    constructions show what the architecture *can* represent, not what training reaches.
#
# </details>
