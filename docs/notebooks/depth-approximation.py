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
# # Depth and approximation: rectangles, sawtooths, and how deep is deep enough
#
# The lecture "Expressivity, optimization and generalization" makes two points with two
# pictures. One hidden layer suffices: four ReLUs make an ε-sharp rectangle, and K rectangles
# with the heights f(cᵢ) approximate an L-Lipschitz f on [0, 1] within L(1/(2K) + ε) in sup
# norm (its `rect` construction; the classical theorem is Leshno, Lin, Pinkus and Schocken
# 1993). But width is expensive where depth is cheap: composing the triangle map t(x) =
# 2relu(x) − 4relu(x − ½) k times gives a sawtooth with 2^k linear pieces from 2k units ("1 more
# layer → 2x more oscillations"), while a one-hidden-layer net of width w has at most w + 1
# pieces, and by Telgarsky (COLT 2016, §2–3 and Theorem 1.1) no net with ≤ k layers and ≤ 2^k
# nodes comes within a constant of a sawtooth of depth polynomial in k. Three checks measure
# this: [relu-approximation](../theorems/relu-approximation.md) from a fine float64 grid, and
# [depth-separation](../theorems/depth-separation.md) and
# [telgarsky-depth](../theorems/telgarsky-depth.md) exactly, in rational arithmetic. This notebook
# runs them, then moves one knob — the depth of the sawtooth — with a prediction written down
# first.
#
# **Run it yourself** — install as in the README (the tests' command), then open this notebook
# in Jupyter, or run its script as plain Python:
#
# ```bash
# python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[test]'
# .venv/bin/pip install jupyterlab
# .venv/bin/jupyter lab docs/notebooks/depth-approximation.ipynb
# .venv/bin/python docs/notebooks/depth-approximation.py   # the same cells, no Jupyter
# ```

# %%
from IPython.display import Image, display

import ntkconv as nc

THEOREMS = [nc.registry()[t] for t in ("relu-approximation", "depth-separation", "telgarsky-depth")]
RECT, SAW, DEPTH = THEOREMS
display(DEPTH)  # statement (MathML of the sympy the docs render), legend, instances

# %% [markdown]
# ## The checks
#
# Every instance of the three checks at its quick size. `relu-approximation` certifies the sup
# error of the rectangle net for |x − ½| and sin 2πx at K = 4, 16, 64 — *certified* meaning a
# proven upper bound on sup |f − g_K|: the largest error on a grid that holds every kink of g_K,
# plus (L + |slope of g_K|)·spacing/2 for each grid segment, the most f − g_K can add between two
# grid points. Its control is √x, which is not Lipschitz at 0 (the allowance assumes L = 1, so
# there the "certified" sup is an estimate, not a proof). `depth-separation` compares t⁴
# (16 pieces) with certified one-hidden-layer nets of widths 2, 4, 6 — explicit nets whose L1
# error ∫|t⁴ − g_w| is integrated exactly, so each is an upper bound on the best error of its
# width — against the floor (2^(k−1) − w)/2^(k+1) of the counting argument; its control has
# enough units (w = 16). `telgarsky-depth` pits t⁸ against the class C₂ of nets with ≤ 2 hidden
# layers and ≤ 4 nodes (at most P₂ = 9 pieces); its control takes K = k = 2, where t² is itself
# in the class. The *tightness* is how far the two sides of the inequality are apart: the bound
# over the certified sup for the rectangles, the certified error over the floor for the
# sawtooths (1 would be exact).

# %%
run = nc.run_checks(THEOREMS, quick=True, progress=False)
display(run)


# %%
def records(theorem):
    return [r for r in run.results if r.id == theorem.id]


for r in records(RECT):
    sups = "  ".join(f"K={row['K']}: {row['certified_sup']:.5f}" for row in r.details["rows"])
    print(f"{r.instance:18s} certified sup |f − g_K|  {sups}")
for row in records(RECT)[0].details["rows"]:  # |x − ½|: the grid sup, the certificate, the bound
    print(
        f"abs, K = {row['K']:2d}: grid sup {row['grid_sup']:.5f}, 1/(2K) = {1 / (2 * row['K']):.5f}"
        f"  certified {row['certified_sup']:.5f}  bound {row['bound']:.5f}  ε = {row['eps']:.5f}"
    )
for r in records(SAW):
    m = r.measured
    errs = "  ".join(f"{key[3:]}: {value:.4f}" for key, value in m.items() if key.startswith("l1"))
    print(f"{r.instance:18s} pieces of t^4 {m['pieces_t^k']}  ∫|t^4 − g_w|  {errs}")

# %%
for fig in RECT.figure(records(RECT)):  # two figures: the control √x is on the second
    display(Image(nc.figure_bytes(fig)))

# %% [markdown]
# Above: the rectangle nets at K = 8 (top left), then per instance the certified sup against K,
# just under the bound's line L(1/(2K) + ε) (dashed) and the ω-form ω(1/(2K) + ε) (dotted) —
# ω(δ), the *modulus of continuity*, is the most f changes over a distance δ, at most Lδ for an
# L-Lipschitz f. The second figure is the control √x: far above the Lipschitz line, just under
# ω's. Below: the L1 errors of the certified one-hidden-layer nets against the floor (top left),
# then t⁴ against those nets of widths 2, 4 and 6 — they follow the first tents exactly and stay
# near ½ beyond, the best affine fit of a tent they cannot afford.

# %%
Image(nc.figure_bytes(SAW.figure(records(SAW))[0]))

# %% [markdown]
# The rectangles meet their bound to within 5 % (tightness 1.05). For |x − ½| the error f − g_K
# is linear between grid points (the grid holds every kink of f and of g_K), so the grid sup is
# the true sup: exactly 1/(2K), 0.12500 at K = 4. The certified sup is 1/(2K) + ε/2 (0.13125,
# with ε = 0.0125): the certificate's allowance (L + |slope|)·spacing/2 is largest on the first
# segment [0, ε], where g_K is flat and the grid has no point inside, and there it is ε/2. The
# bound L(1/(2K) + ε) adds another ε/2: the tightness is 0.55/0.525 = 1.048, and the sharpened
# control, the bound divided by 1.1, asks for 0.5/K — the true sup itself, which the certified
# sup cannot get under. The sawtooth's certified shallow nets sit above the floor — 1.29 times it
# at the narrowest gap — and at w = 16 the construction with a kink at every j/16 matches t⁴
# exactly (error 0), which is why that control breaks the hypothesis w < 2^(k−1): the floor is
# for nets too narrow to follow every tent.
#
# ## Vary one knob: the depth of the sawtooth
#
# `telgarsky-depth` fixes the shallow class C₂ (≤ 2 hidden layers, ≤ 4 nodes, so at most
# P₂ = 3·3 = 9 pieces and 8 kinks) and the deep net t^K; the configuration's `depth` is K. The
# floor is (2^(K−1) − P₂ + 1)/2^(K+1): each of the 2^(K−1) tents of width h = 2^(1−K) that holds
# no kink of g costs h/4.
#
# **Prediction, written before running.**
#
# - K = 2: t² is in C₂ (2 layers × 2 nodes): error 0 and a negative floor (−0.75) —
#   `failed-without-hypothesis`, the `depth-k` control.
# - K = 3 and 4: 8 kinks can spoil all 4 or 8 tents, the floor is −0.25 and 0: the hypothesis
#   P₂ − 1 < 2^(K−1) breaks and the record is `failed-without-hypothesis`, although the certified
#   nets keep a positive error (the 4-unit shallow net, one tent matched and ½ beyond, should be
#   near 0.17 and 0.21). That is the counting argument running out, not a proof that C₂ can
#   follow t³ or t⁴.
# - K = 5: floor 1/8 = 0.125, the first positive one; the certified 4-unit net at
#   (2^(K−1) − 2)·h/4 + 3h/16 ≈ 0.2305: `holds`, tightness ≈ 1.84.
# - K = 6 = k² + 2, the separating depth of the check's statement: floor 0.1875 ≥ 1/8, certified
#   ≈ 0.2402, tightness ≈ 1.28; and K = 8, the quick default: 0.2344 against 0.2476, 1.056.
#
# The tightness should fall towards 1: every extra layer doubles the tents while C₂'s nine pieces
# stay nine, so both the floor and the best certified net approach ¼, the error of the constant ½.

# %%
for K in (2, 3, 4, 5, 6, 8):
    r = DEPTH.check("deep-vs-shallow", quick=True, depth=K)
    m = r.measured
    t = r.tightness.value
    tight = "" if t is None else f"tightness {t:.3f}"
    print(
        f"K = {K}: {r.verdict.value:25s} pieces {m['pieces_t^K']:3d}  floor {m['floor']:+.4f}  "
        f"best certified {m['l1_best_in_C_k']:.4f} ({m['best_certified']})  {tight}"
    )

# %% [markdown]
# The prediction held at every depth. At K = 3 and 4 the 4-unit shallow net stays 0.1705 and
# 0.2107 away from t^K, but the floor is −0.2500 and 0.0000: the counting argument has no tent
# left to charge, so the record cannot certify a separation — `failed-without-hypothesis` says
# exactly that, not that C₂ can follow t³. The floor turns positive at K = 5 (0.1250, tightness
# 1.843), and from there the sandwich floor ≤ best in C₂ ≤ certified closes: 1.281 at K = 6,
# 1.056 at K = 8. Nine pieces against 2^K: the shallow class's best is pinned near ¼, the error
# of the constant ½, and each extra layer of the sawtooth costs it one more octave of tents.
#
# ## Exercises
#
# 1. t⁸ has slope ±256, so it is 256-Lipschitz. How many ReLUs does the rectangle bound
#    L(1/(2K) + ε), with ε = 0.05/K, need for a sup error ≤ 0.1 on t⁸? Compare with the 16
#    nodes of the depth-8 width-2 net, and with what depth-separation's floor says about a
#    one-hidden-layer net of width w < 128 in L1.
# 2. The control `sqrt-not-lipschitz` printed the certified sups 0.35980, 0.17834 and 0.08878
#    at K = 4, 16, 64. Read off the rate. Which form of the bound does √x obey instead
#    (`r.measured["omega_bound_holds"]`)?
# 3. At the full size k = 3 (P₃ = 48 pieces), from which depth K is the floor positive? Predict,
#    then run `r = DEPTH.check("deep-vs-shallow", quick=True, k=3, depth=K)` and print
#    `r.verdict.value, r.measured["floor"], r.measured["l1_best_in_C_k"], r.tightness.value`
#    (one run takes a few seconds). At K = 11, compare the best certified error at the quick
#    `grid` (2049 points) with `grid=8193`, and explain the difference.
#
# <details><summary>Solutions</summary>
#
# 1. 256·(1/(2K) + 0.05/K) = 140.8/K ≤ 0.1 needs K ≥ 1408 rectangles: 5632 ReLUs against 16
#    nodes. And no one-hidden-layer net of width w < 128 comes within (128 − w)/512 of t⁸ in
#    L1, whatever its weights: the rectangles are not wasteful by accident, the width is needed.
# 2. Each factor 4 in K halves the error: K^(−1/2), not K^(−1). √x has modulus of continuity
#    ω(δ) = √δ, and the ω-form sup ≤ ω(1/(2K) + ε) = √(0.55/K) holds (`omega_bound_holds` is
#    True); the Lipschitz form with L = 1 promises 0.55/K, which the error exceeds by a factor
#    growing like √K — hence the tightness 0.097.
# 3. The floor (2^(K−1) − 47)/2^(K+1) is positive from K = 7 on (17/256 there), and the record
#    holds (certified error 0.2373, tightness 3.57); at K = 6 the floor is −0.1172 and the record
#    is `failed-without-hypothesis`. The statement's depth k² + 2 = 11 gives the floor 0.2385,
#    above 1/8. At K = 11 the tents have width 2^(−10), and the quick grid's spacing 1/2048 puts
#    its points only on the peaks and valleys of t¹¹: the certified net's weights are a
#    least-absolute-deviation fit (they minimize the mean of |t¹¹ − g| over the grid's points),
#    which cannot tell the constant ½ from other constants there, so the certified error (an
#    upper bound on the best in C₃) comes out at 0.3323, far above the floor (tightness 1.39).
#    With `grid=8193` the grid resolves the tents and the certified 8-unit net comes out at
#    0.2492, 1.045 times the floor. The verdict is `holds` both times — an upper bound above the
#    floor is consistent — but the tightness is loose until the grid resolves the tents.
#
# </details>
