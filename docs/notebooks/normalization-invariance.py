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
# # Normalization layers forget the weights' scale: four identities, and the ε that breaks them
#
# The lecture's slides "Batch Normalization" and "Layer Normalizations" (Ioffe and Szegedy, ICML
# 2015; Ba, Kiros and Hinton 2016) say a normalization makes training "less dependent on init".
# Van Laarhoven (2017, §3) and Arora, Li and Lyu (ICLR 2019, §2) make that exact: for
# f(x) = (1/√m) Σ_r a_r σ(N(Wx)_r) with N = BatchNorm and ε = 0, scaling any row w_r by c_r > 0
# leaves the loss L unchanged (for LayerNorm, one c for the whole W, and no bias before N).
# Differentiating L(cW) = L(W) gives the rest: ⟨∇L, w⟩ = 0, so GD only grows the weights,
# ‖W_{k+1}‖² = ‖W_k‖² + η²‖∇L(W_k)‖², and GD from cW_0 with step η is c times GD from W_0 with
# step η/c² — the effective step is η/‖W‖². The check measures each identity as a relative
# error that must stay below 10⁻⁹. This notebook runs it, then moves one knob — the ε in the
# normalization's denominator — with a prediction written down first.
#
# **Run it yourself** — install as in the README (the tests' command), then open this notebook
# in Jupyter, or run its script as plain Python:
#
# ```bash
# python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[test]'
# .venv/bin/pip install jupyterlab
# .venv/bin/jupyter lab docs/notebooks/normalization-invariance.ipynb
# .venv/bin/python docs/notebooks/normalization-invariance.py   # the same cells, no Jupyter
# ```

# %%
from IPython.display import Image, display

import ntkconv as nc

THEOREM = nc.registry()["normalization-invariance"]
display(THEOREM)  # statement (MathML of the sympy the docs render), legend, instances

# %% [markdown]
# ## The check
#
# Every instance at its quick size (width 64, n = 32, 40 GD steps at η = 1). The tightness is
# a *margin*: the number of decades between the tolerance 10⁻⁹ and the largest of the four
# errors. The regular instances must `hold` (float64 rounding leaves about 10⁻¹⁵, so a margin
# near 6); each control breaks one condition — per-unit scales for a LayerNorm, a bias before
# it, ε = 1, no normalization — and must fail.

# %%
run = nc.run_checks([THEOREM], quick=True, progress=False)
display(run)

# %%
display(run.to_frame()[["instance", "role", "declared", "verdict", "tightness_kind", "tightness"]])

# %%
Image(nc.figure_bytes(THEOREM.figure(run.results)[0]))

# %% [markdown]
# Left, the four errors; right, the practical side: the same step η = 1 from 0.3·W_0, W_0,
# 3·W_0 and 7·W_0. A larger init means a smaller effective step η/c², and the loss after 40
# steps is higher. The numbers, and the ε hypothesis of the `large-eps` control (ε = 1 over the
# smallest per-unit variance of the pre-activations at init):

# %%
batchnorm, large_eps = run.results[0], run.results[5]
print({k: f"{v:.1e}" for k, v in batchnorm.details["errors"].items()})
print({c: round(v, 3) for c, v in batchnorm.details["final_loss"].items()})
eps_over_var = next(h for h in large_eps.hypotheses if h.name.startswith("eps")).measured
print(f"large-eps: ε/σ²_min = {eps_over_var:.2f}, so σ²_min = {1 / eps_over_var:.3f}")

# %% [markdown]
# ## Vary one knob: ε
#
# BatchNorm divides by √(σ² + ε), not by σ. Torch's default is ε = 10⁻⁵; the theorem needs
# ε = 0, and the check's hypothesis asks ε/σ²_min ≤ 10⁻¹², with σ²_min = 0.164 here. How small
# must ε be for the identities to hold to 10⁻⁹?
#
# **Prediction, written before running.** Scaling unit r by c turns (h − μ)/√(σ² + ε) into
# (h − μ)/√(σ² + ε/c²): a relative change δ_r ≈ (ε/2σ_r²)(1/c² − 1). The scales are drawn
# log-uniform in [0.1, 10], where 1/c² reaches 100 and its root mean square is about 23; with
# σ_r² between 0.164 and about 1, δ_r is 10ε–300ε, and f, which sums 64 such units with random
# signs over √m, moves by about the typical δ: invariance error ≈ 10ε–30ε. Orthogonality and the
# other two identities are derivatives of the same defect, of the same order per unit,
# somewhat more for the unit with the smallest variance or at c = 0.3 (1/c² = 11). So the worst
# error should be ≈ 30ε (within a factor of 3), and the margin log10(10⁻⁹/(30ε)):
#
# - ε = 10⁻¹⁵ (ε/σ²_min ≈ 6·10⁻¹⁵, hypothesis met): the defect, ≈ 3·10⁻¹⁴, sits just above
#   rounding: `holds`, margin ≈ 4.5 (5.55 at ε = 0).
# - ε = 10⁻¹³ (≈ 6·10⁻¹³, met): worst ≈ 3·10⁻¹², `holds`, margin ≈ 2.5.
# - ε = 10⁻¹¹ (≈ 6·10⁻¹¹, broken): worst ≈ 3·10⁻¹⁰, below the tolerance:
#   `held-outside-hypotheses`, margin ≈ 0.5. The hypothesis's 10⁻¹² is conservative by about
#   two decades.
# - ε = 10⁻⁹: worst ≈ 3·10⁻⁸, `failed-without-hypothesis`, margin ≈ −1.5.
# - ε = 10⁻⁵, torch's default: worst ≈ 3·10⁻⁴, margin ≈ −5.5: `failed-without-hypothesis` —
#   though to the eye the network is still scale-invariant to four digits.

# %%
for eps in (1e-15, 1e-13, 1e-11, 1e-9, 1e-5):
    r = THEOREM.check("batchnorm", quick=True, eps=eps)
    ratio = next(h for h in r.hypotheses if h.name.startswith("eps")).measured
    errors = "  ".join(f"{k} {v:.0e}" for k, v in r.details["errors"].items())
    print(
        f"ε = {eps:.0e} (ε/σ²_min {ratio:.0e}): {r.verdict.value:25s} "
        f"margin {r.tightness.value:+.2f}  {errors}"
    )

# %% [markdown]
# All five verdicts came out as predicted, and the margins (+4.62, +2.62, +0.62, −1.38, −5.38)
# within 0.15 decades of the guesses. Two things the printout adds:
#
# - Every error is linear in ε: each decade of ε moves all four errors by one decade. The
#   defect is first order in ε/σ², as the expansion δ_r ≈ (ε/2σ_r²)(1/c² − 1) says. The worst
#   error (invariance and effective step, 2·10⁻¹⁴ at ε = 10⁻¹⁵) is about 20ε: the low end of
#   the guess.
# - At ε = 10⁻¹¹ the identities hold although ε/σ²_min = 6·10⁻¹¹ breaks the hypothesis: the
#   record says `held-outside-hypotheses`, not `holds`. The hypothesis's threshold is a
#   sufficient condition stated before measuring, about two decades on the safe side here.
#
# At torch's default ε = 10⁻⁵ the invariance is off by 2·10⁻⁴: no one would see it in a
# training curve, but it is no longer an identity, and the gradient has a radial component
# (orthogonality 10⁻⁴) that an exact analysis of weight growth must carry.
#
# ## Exercises
#
# 1. Using the linearity above, what is the largest ε at which the batchnorm instance still
#    meets the tolerance 10⁻⁹? Why does the check nevertheless state its hypothesis as
#    ε/σ²_min ≤ 10⁻¹², and measure σ² only at init?
# 2. `batchnorm-with-bias` holds, `layernorm-with-bias` fails. Why does a BatchNorm absorb a
#    bias before it, and a LayerNorm not?
# 3. Started at 0.3·W_0 (effective step η/0.09 ≈ 11η at the start), BatchNorm ends *higher*
#    (0.183 of its initial loss) than from W_0 (0.153). Use the norm-growth identity to explain
#    why the large effective step does not last. Hint: ∇L(cW) = ∇L(W)/c.
#
# <details><summary>Solutions</summary>
#
# 1. The worst error is 2·10⁻¹⁰ at ε = 10⁻¹¹, so it reaches 10⁻⁹ near ε ≈ 5·10⁻¹¹. The
#    constant (≈ 20 here) depends on things the hypothesis cannot know in advance: the scales
#    drawn (1/c² up to 100), the width, the data, the weights along the run. A hypothesis has
#    to be checkable before the conclusion is measured, so it is stated with room to spare, on
#    the one network every run shares: the init. (Along the run the weights' norm only grows,
#    which tends to raise σ²; but a unit's direction turns too, so nothing guarantees it.)
# 2. BatchNorm subtracts each unit's mean over the batch: (w_r·x + b_r) − mean(w_r·x + b_r)
#    = w_r·x − mean(w_r·x), so b_r cancels and scaling w_r scales what is left. LayerNorm
#    subtracts the mean over the units of one input; the b_r differ from unit to unit and do
#    not cancel, so scaling W alone changes the ratio of Wx to b, and the output.
# 3. GD grows ‖W‖² by η²‖∇L(W_k)‖² a step, and ∇L(cW) = ∇L(W)/c: from 0.3·W_0 the gradients
#    are 1/0.3 ≈ 3.3 times larger, and ‖W‖² grows 1/c⁴ ≈ 120 times faster relative to itself,
#    so the effective step η/‖W‖² falls quickly back towards that of the W_0 run (Arora, Li
#    and Lyu's "auto rate-tuning"): the runs differ by what the first, oversized steps did,
#    not by a lasting larger step. Check it with `nc.train` and the weights' norm along both.
#
# </details>
