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
# # Random Fourier features: the N^-1/2 rate, and how small a mistake it can see
#
# Rahimi and Recht (NIPS 2007; the lecture's "more features ⇒ a better approximation"): for a
# shift-invariant kernel k with spectral density p, the features
# z(x) = √(2/N)·cos(Ωx + b), with the rows of Ω drawn from p, satisfy z(x)ᵀz(x′) → k(x − x′)
# with an error of order N^-1/2. The check measures the largest entry error on a sample, at
# N = 16 … 4096 (quick), against Hoeffding's bound with a union bound, and fits the exponent.
#
# **Run it yourself** — install as in the README (the tests' command), then open this notebook
# in Jupyter, or run its script as plain Python:
#
# ```bash
# python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[test]'
# .venv/bin/pip install jupyterlab
# .venv/bin/jupyter lab docs/notebooks/random-fourier-features.ipynb
# .venv/bin/python docs/notebooks/random-fourier-features.py   # the same cells, no Jupyter
# ```

# %%
from IPython.display import display

import ntkconv as nc

THEOREM = nc.registry()["random-fourier-features"]
run = nc.run_checks([THEOREM], quick=True, progress=False)
display(run)

# %% [markdown]
# `wrong-bandwidth` draws the frequencies for σ = 1.25 against the σ = 1 kernel: the features
# converge to *another* kernel, the error levels off, the fitted exponent is far from −1/2, and
# the hypothesis "frequencies follow the kernel's spectral density" (a Kolmogorov–Smirnov test
# of the drawn frequencies) breaks.
#
# ## Vary one knob: the size of the mistake
#
# A user's bug is rarely a factor 1.25. How small a bandwidth error does the check see?
#
# **Prediction, written before running.** The features converge to the kernel with bandwidth
# σ′ = fσ, so the error cannot fall below the gap max|k_σ′ − k_σ| between the two kernels,
# roughly (f − 1)·max_Δ ‖Δ‖²e^{−‖Δ‖²/2} ≈ 0.7·(f − 1) on these inputs. The Monte-Carlo error
# at N = 4096 is about 0.07. So a 10 % error (gap ≈ 0.07) should already bend the exponent, a
# 2 % error (gap ≈ 0.015) should hide under the noise: the conclusion holds. The KS test sees
# 160 000 drawn coordinates; its p-value for a 2 % scale error should be small but not below
# the α = 10⁻⁶ the protocol decides at.

# %%
for f in (1.0, 1.02, 1.1, 1.25):
    r = THEOREM.check("gaussian", quick=True, feature_bandwidth_factor=f)
    m = r.measured
    print(
        f"f = {f}: {r.verdict.value:26s} exponent {m['exponent']:+.3f}  "
        f"KS p = {m['spectral_pvalue']:.1e}  error at N = 4096: {m['error_at_largest_N']:.3f}"
    )

# %% [markdown]
# A 2 % bandwidth error passes: the verdict is `holds`, with every hypothesis met, because at
# N ≤ 4096 neither the error curve nor the KS test can resolve it. That is not a defect of the
# protocol but the resolution of this experiment, and the record says so through its numbers —
# the exponent's interval, the p-value. At 10 % the exponent is off by 0.15 and the KS test
# rejects: `failed-without-hypothesis`.
#
# ## Exercises
#
# 1. Which N would make the 2 % error visible in the exponent? Estimate it from the gap
#    (≈ 0.015) and the error at N = 4096 (≈ 0.07, falling like N^-1/2).
# 2. The sharpened control divides Hoeffding's bound by 5 and is violated; the regular
#    instance's tightness is ≈ 3.4. What does the bound ignore that makes it this loose?
# 3. The Laplacian kernel's spectral density is Cauchy, with no finite variance. Why does the
#    rate stay N^-1/2 anyway?
#
# <details><summary>Solutions</summary>
#
# 1. The error falls to the gap when 0.07·√(4096/N) ≈ 0.015, i.e. N ≈ 4096·(0.07/0.015)² ≈
#    9·10⁴; to bend the fitted exponent clearly, the range of N has to extend a few times past
#    that — about 2¹⁸ features.
# 2. Each term cos(ωᵀx + b)cos(ωᵀx′ + b) lies in a range of width 2 (that is what Hoeffding
#    uses), but its variance is much smaller; a Bernstein bound would be tighter.
# 3. The features are bounded whatever ω is: the N^-1/2 comes from averaging bounded terms,
#    and only their range enters Hoeffding's inequality, not ω's moments.
#
# </details>
