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
# # SGD on smooth nonconvex functions: stationary points at rate T^-1/2, and the step it needs
#
# The lecture's slide "SGD/GD on general non convex functions" (a variant of Ghadimi and Lan,
# SIAM J. Optim. 2013, Theorem 2.1; the page is [sgd-stationary](../theorems/sgd-stationary.md)):
# if f = (1/n)Σᵢ fᵢ is β-smooth (its gradient is β-Lipschitz) with f ≥ f\*, and the stochastic
# gradients g_k = ∇f_i(w_k) SGD draws (i uniform) have second moment E‖g_k‖² at most L² on
# average over k, then T steps of SGD w_{k+1} = w_k − γg_k with the constant step
# γ = √(2R/(βL²T)), R = f(w_0) − f\*, satisfy
# min_k E‖∇f(w_k)‖² ≤ (1/T)Σ_k E‖∇f(w_k)‖² ≤ √(2RβL²/T). The expectations are over SGD's
# draws: the check estimates them over 16 (cosine sum) or 8 (network) independent runs and
# decides with a one-sided Student-t confidence bound at level 10⁻⁶ — strict on purpose: the
# conclusion counts as failed only when the *lower* confidence bound on the average exceeds
# the bound, and the chance that this happens while the true average is within the bound is at
# most 10⁻⁶ (a calibration run makes about 10⁴ such decisions). This notebook runs the check,
# then moves one knob — the step size — with a prediction written down first.
#
# **Run it yourself** — install as in the README (the tests' command), then open this notebook
# in Jupyter, or run its script as plain Python:
#
# ```bash
# python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[test]'
# .venv/bin/pip install jupyterlab
# .venv/bin/jupyter lab docs/notebooks/sgd-stationary.ipynb
# .venv/bin/python docs/notebooks/sgd-stationary.py   # the same cells, no Jupyter
# ```

# %%
from IPython.display import Image, display

import ntkconv as nc

THEOREM = nc.registry()["sgd-stationary"]
display(THEOREM)  # statement (MathML of the sympy the docs render), legend, instances

# %% [markdown]
# ## The check
#
# Every instance at its quick size (T = 16, 64, 256). The regular instances must `hold`: a
# nonconvex cosine sum fᵢ(w) = Σ_j (1 − cos(w_j − c_ij)) in d = 8 dimensions (random offsets
# c_ij), with β = 1 and L² = d = 8 exactly, and a small tanh network whose β and L² are
# estimated at w_0 with a margin of 1.5. The controls take a step 30 times the
# prescribed one, underestimate L² tenfold (a weak control: the bound survives it), and divide
# the bound by 2.5.

# %%
run = nc.run_checks([THEOREM], quick=True, progress=False)
display(run)

# %%
display(run.to_frame()[["instance", "role", "declared", "verdict", "tightness_kind", "tightness"]])

# %%
Image(nc.figure_bytes(THEOREM.figure(run.results)[0]))

# %% [markdown]
# The record keeps one row per horizon T. On the cosine sum: the step, the bound, the average
# E‖∇f‖² over k with its lower confidence bound ("lower", at level 10⁻⁶ over the 16 runs: it
# sits well below the average), and the second moment of the gradients SGD actually applied,
# which the proof needs below L².

# %%
cosine = run.results[0]
print(f"R = {cosine.details['R']:.2f}, β = {cosine.details['beta']}, L² = {cosine.details['L2']}")
for row in cosine.details["rows"]:
    print(
        f"T = {row['T']:3d}: step {row['step']:.3f}  bound {row['bound']:.2f}  "
        f"avg {row['avg']:.2f} (lower {row['avg_lower']:.2f})  "
        f"avg/bound {row['avg'] / row['bound']:.2f}  E‖g‖² {row['second_moment'].estimate:.2f}"
    )

# %% [markdown]
# ## Vary one knob: the step size
#
# `lr_factor` multiplies the prescribed step: γ = c·√(2R/(βL²T)). Every c ≠ 1 breaks the
# hypothesis "step = √(2R/(βL²T))", so the best a run can earn is `held-outside-hypotheses`;
# the question is where the conclusion — the average below √(2RβL²/T) — still holds. To keep
# the notebook fast the knob runs T = 16 and 64 only.
#
# **Prediction, written before running.** The proof's inequality holds for *any* step: summed,
# the descent lemma gives avg ≤ (f(w_0) − E f(w_T))/(γT) + (βγ/2)·(1/T)ΣE‖g_k‖². Divided by
# the bound, with γ = c·γ\*, the first term is ρ/(2c), where ρ ≤ 1 is the fraction of R that
# SGD actually descends, and the second is (c/2)·κ·E‖g‖²/L², where κ ≤ 1 is how much of β the
# run's curvature uses; the table above has E‖g‖²/L² ≈ 3.9/8 ≈ 0.49. So
# avg/bound ≲ 1/(2c) + 0.24c (0.74 at c = 1, where 0.59 and 0.63 were measured).
#
# - c = 0.25: the steps are so short that SGD covers only part of R in T steps (ρ well below
#   1), but the 1/(2c) = 2 leaves no room: avg/bound between 1 and 2, the conclusion fails at
#   T = 64 if not at 16: `failed-without-hypothesis`.
# - c = 0.5: the estimate is 1.12, less with ρ < 1: avg/bound ≈ 0.8–1.0, close to the bound,
#   the lower confidence bound likely below it: `held-outside-hypotheses`, but narrowly.
# - c = 2: 0.25 + 0.48 at most, about 0.5–0.6 with κ < 1 — about as far below the bound as
#   c = 1: `held-outside-hypotheses`. The prescribed step minimizes the *bound*, not the
#   measured average.
# - c = 4: the noise term dominates, 0.125 + 0.96 at most, ≈ 0.7–0.9:
#   `held-outside-hypotheses`, narrowly. (γ = 1.42 at T = 16 is still below 2/β.)
# - c = 8: γ = 2.83 at T = 16 exceeds 2/β: the descent lemma no longer yields descent, SGD
#   bounces around, and ‖∇f‖² stays at the level of an arbitrary point (the step-30x control
#   sits at several times the bound): `failed-without-hypothesis`.

# %%
for c in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0):
    r = THEOREM.check("cosine-sum", quick=True, lr_factor=c, Ts=(16, 64))
    ratios = "  ".join(
        f"T = {row['T']}: avg/bound {row['avg'] / row['bound']:.2f} "
        f"(lower {row['avg_lower'] / row['bound']:.2f})"
        for row in r.details["rows"]
    )
    print(f"lr_factor {c}: {r.verdict.value:26s} {ratios}  proof {1 / (2 * c) + 0.24 * c:.2f}")

# %% [markdown]
# Four of the five predicted verdicts came out, one did not, and one right verdict came for
# the wrong reason.
#
# - c = 0.25 failed as predicted (1.23 of the bound at T = 16, 1.88 at T = 64); c = 2 and
#   c = 4 held outside the hypotheses, c = 2 with a *smaller* average than the prescribed step
#   (0.47 and 0.52 against 0.59 and 0.63). At c = 4 the ratios (0.61, 0.67) came out below the
#   guess: the run uses less of β's curvature (κ nearer ½ than 1) than assumed.
# - **c = 0.5 failed** (lower confidence bound 1.01 of the bound at T = 64), where the
#   prediction said it would narrowly hold. What was wrong: ρ does not stay well below 1. The
#   distance SGD travels, γT = c·√(2RT/(βL²)), grows like √T, so by T = 64 it descends nearly
#   all of R and the first term alone approaches 1/(2c) = 1 — the bound itself; the noise term
#   then pushes it over. For c ≤ ½ the term R/(γT) is not loose at all.
# - **c = 8 failed, but not for the predicted reason.** At T = 16, where γ = 2.83 > 2/β, it
#   *held* (0.74); it failed at T = 64, where γ = 1.42 is below 2/β. On the cosine sum a big
#   step does not diverge — every ‖∇fᵢ‖² ≤ d — it makes SGD hop between basins, and the average
#   levels off at what ‖∇f‖² is at an arbitrary point. The step-30x control shows that level:
#   about 2 at every T, below the bound at T = 16, above it from T = 64 on (the next cell). A
#   bound that falls like T^-1/2 must eventually cross a level that does not.

# %%
for row in run.results[3].details["rows"]:  # step-30x
    print(
        f"step-30x, T = {row['T']:3d}: step {row['step']:5.2f}  bound {row['bound']:.2f}  "
        f"avg {row['avg']:.2f} (lower {row['avg_lower']:.2f})  "
        f"avg/bound {row['avg'] / row['bound']:.2f}"
    )

# %% [markdown]
# The prediction for c = 8 also rested on a wrong premise: "the step-30x control sits at several
# times the bound". At the knob's horizons it does not — its average is 0.72 of the bound at
# T = 16 (below it) and 1.34 times it at T = 64; only at T = 256, which the knob does not run,
# does it reach 2.96 times. The level is about 2 at every T; "several times the bound" holds
# only once the bound has fallen far enough below it. The knob's c = 8 verdict
# (`failed-without-hypothesis`) was right, but at T = 64 its average is 1.11 times the bound
# (lower confidence bound 1.06), not several times.

# %% [markdown]
# ## Exercises
#
# 1. At c = 0.25 the ratio average/bound grows from T = 16 to T = 64. Where does it go as
#    T → ∞, and why?
# 2. At c = 2 the average is smaller than at the prescribed step. Why does the theorem still
#    prescribe γ = √(2R/(βL²T))? Which step would the proof's sum recommend if it knew
#    E‖g‖² ≈ 3.7 instead of L² = 8?
# 3. The slide writes the step as γ = R/(βL²T). What is that on the cosine sum at T = 64, as
#    a multiple of the prescribed step 0.177? What does the proof's sum R/(γT) + βγL²/2 give
#    with it? Check with `r = THEOREM.check("cosine-sum", quick=True, lr_factor=0.09, Ts=(64,))`
#    and print `r.verdict.value` and `r.details["rows"][0]` (its "avg" and "bound").
#
# <details><summary>Solutions</summary>
#
# 1. With a short step SGD is close to gradient flow, so avg ≈ (f(w_0) − E f(w_T))/(γT), and
#    (divided by the bound) that is ρ/(2c). γT grows like √T, so ρ → 1 and the ratio climbs
#    to 1/(2c) = 2 (plus a small noise term): the conclusion fails by a factor of about 2.
# 2. The prescribed step minimizes the *worst case* R/(γT) + βγL²/2, which assumes SGD spends
#    all of R (ρ = 1), uses all of β (κ = 1) and draws gradients as large as L². Minimizing
#    R/(γT) + κβγm/2 with the measured second moment m ≈ 3.7 instead of L² = 8 gives a step
#    √(8/3.7) ≈ 1.5 times larger even at κ = 1, and larger still with κ < 1 — in line with c = 2
#    beating c = 1. The theorem needs its step before the run, so it uses the assumed L².
# 3. R/(βL²) = 8.02/8 ≈ 1, so γ ≈ 1/T = 0.016, about 0.09 times the prescribed 0.177. Then
#    R/(γT) = βL² = 8 and the sum is βL² + R/(2T) ≈ 8.06: it does not decay with T, and the
#    run confirms it — SGD travels γT ≈ 1 in total, the average is 3.55, 2.5 times the bound
#    1.42, and the verdict is `failed-without-hypothesis`. The slide's 2·√(RβL²/T) is what the
#    prescribed step gives (with room to spare), not its own step.
#
# </details>
