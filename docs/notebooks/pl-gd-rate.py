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
# # GD on Polyak–Łojasiewicz functions: the linear rate, and where it breaks
#
# The lecture's slide "GD on Polyak-Łojasiewicz functions" (Karimi, Nutini, Schmidt 2016,
# Theorem 1): if f is β-smooth and satisfies the PL inequality ½‖∇f(w)‖² ≥ μ (f(w) − f*),
# gradient descent with step 1/β contracts the gap by 1 − μ/β per step. This notebook runs the
# check, then moves one knob — the step size — with a prediction written down first.
#
# **Run it yourself** — install as in the README (the tests' command), then open this notebook
# in Jupyter, or run its script as plain Python:
#
# ```bash
# python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[test]'
# .venv/bin/pip install jupyterlab
# .venv/bin/jupyter lab docs/notebooks/pl-gd-rate.ipynb
# .venv/bin/python docs/notebooks/pl-gd-rate.py   # the same cells, no Jupyter
# ```

# %%
from IPython.display import display

import ntkconv as nc

THEOREM = nc.registry()["pl-gd-rate"]
display(THEOREM)  # statement (MathML of the sympy the docs render), legend, instances

# %% [markdown]
# ## The check
#
# Every instance at its quick size. Read the table by its columns: the *declared* verdict is
# what the instance is built to show; `as declared` says whether it did. The regular instances
# must `hold`; the controls break a hypothesis (a step above 2/β, a function that is not PL
# near its minimizer) or tighten the claim (the lecture's own constant), and must fail.

# %%
run = nc.run_checks([THEOREM], quick=True, progress=False)
display(run)

# %%
display(run.to_frame()[["instance", "role", "declared", "verdict", "tightness_kind", "tightness"]])

# %% [markdown]
# ## Vary one knob: the step size
#
# On overparameterized least squares, μ and β come exactly from the spectrum of XXᵀ, and the
# configuration's `lr_factor` sets η = lr_factor/β.
#
# **Prediction, written before running.**
#
# - `lr_factor` ≤ 1: the hypothesis "step ≤ 1/β" holds and so does the rate: `holds`. (A
#   β-smooth function is also β′-smooth for any β′ ≥ β, so the theorem with β′ = 1/η promises
#   1 − ημ for a smaller step — not 1 − μ/β. Writing this prediction down is how a bug in the
#   check was found: it used to hold a half step to 1 − μ/β and call the result `violated`.)
# - 1 < `lr_factor` < 2: the hypothesis is broken, but GD on a quadratic still converges (every
#   mode contracts by |1 − ηλ| < 1), faster in fact: `held-outside-hypotheses` — a conclusion
#   that held outside the theorem is a finding, not a verification.
# - `lr_factor` > 2: the top mode grows by |1 − 2.2| = 1.2 per step: `diverged`.

# %%
for factor in (0.5, 1.0, 1.5, 1.9, 2.2):
    r = THEOREM.check("linear-lsq", quick=True, lr_factor=factor)
    tight = "" if r.tightness is None else f"tightness {r.tightness}"
    print(f"lr_factor {factor}: {r.verdict.value:25s} {tight}")

# %% [markdown]
# The tightness of a rate claim is an *exponent*: the largest e with gap_k ≤ q^{e·k}·gap_0.
# Up to `lr_factor` = 1.5 it is 2 — on least squares the theorem's rate is loose by a factor
# of 2 in the exponent (exercise 1). At 1.9 the fastest mode, which contracts by
# |1 − 1.9| = 0.9 per step, starts to dominate, and beyond 2 it grows.
#
# ## Exercises
#
# 1. At `lr_factor` = 1 the measured gap contracts about twice as fast (in the exponent) as
#    (1 − μ/β)^k. Why? Hint: the gap is ½‖r_k‖² and each mode of the residual contracts by
#    1 − ηλ_i.
# 2. The control `lecture-convention` uses the lecture's PL constant μ_lec = 2μ with the rate
#    (1 − μ_lec/β)^k. Run it (`THEOREM.check("lecture-convention")`) and explain the verdict.
# 3. x⁴ is not PL near its minimizer. Which hypothesis does `non-pl-quartic` break, and what
#    does GD do there?
#
# <details><summary>Solutions</summary>
#
# 1. With r_0 in the span of the eigenvectors, ‖r_k‖² = Σ_i (1 − ηλ_i)^{2k} c_i²: the *squared*
#    residual contracts by (1 − ηλ_min)² ≈ 1 − 2μ/β per step for the slowest mode, twice the
#    exponent of the theorem's 1 − μ/β. The theorem only uses one step of the descent lemma,
#    which loses that factor. (The check compares the gap with this closed-form trajectory
#    too: that sharper prediction is what sees a step 10 % off.)
# 2. `violated`: with the ½ dropped from the descent lemma the claimed rate (1 − μ_lec/β)^k =
#    (1 − 2μ/β)^k has twice the theorem's exponent. Started on the slow eigenvector, the true
#    gap contracts by (1 − μ/β)² = 0.81 per step against the claimed 0.8, so it falls just
#    behind (tightness 0.944 = ln 0.81/ln 0.8 in the table above).
# 3. "PL inequality at every iterate": ½‖∇f‖² = 8x⁶ against μ·x⁴ fails as x → 0, and GD slows
#    to a sublinear crawl — the linear rate fails with it (`failed-without-hypothesis`).
#
# </details>
