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
# # Check your own bound
#
# You have a bound and a model — an `nn.Module` of your own — and want the same record the
# built-in theorems give: hypotheses measured, a verdict from the protocol's vocabulary, the
# tightness, a figure. No package, no entry point, no reinstall: build an `ntkconv.Theorem` here
# and call it.
#
# **Run it yourself** — install as in the README (the tests' command), then open this notebook
# in Jupyter, or run its script as plain Python:
#
# ```bash
# python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[test]'
# .venv/bin/pip install jupyterlab
# .venv/bin/jupyter lab docs/notebooks/check-your-own-bound.ipynb
# .venv/bin/python docs/notebooks/check-your-own-bound.py   # the same cells, no Jupyter
# ```
#
# The bound: for x ↦ W_L σ(⋯ σ(W₁x)) with 1-Lipschitz activations, the Jacobian at every input
# satisfies ‖J(x)‖_σ ≤ Π_i ‖W_i‖_σ (chain rule and submultiplicativity; the Lipschitz product in
# Bartlett, Foster and Telgarsky's spectral complexity). The statement is written once, in sympy:
# the docs, the report and the numbers come from it.

# %%
import itertools
from typing import Any

import sympy as sp
import torch
from torch.func import functional_call, jacrev, vmap

import ntkconv as nc

# --- the statement, in sympy: the docs, the report and the numbers come from it --------------
J_, P_ = sp.symbols(r"\|J(x)\|_{\sigma} \prod_{i}\|W_{i}\|_{\sigma}", positive=True)
STATEMENT = sp.Le(J_, P_)

# %% [markdown]
# Your model: an ordinary `torch.nn.Sequential`. `Scaled(c)` is c·tanh — 1-Lipschitz only
# for c ≤ 1, which one control below breaks on purpose.


# %%
class Scaled(torch.nn.Module):
    """c·tanh: 1-Lipschitz only for c ≤ 1 (the control below breaks that)."""

    def __init__(self, c: float) -> None:
        super().__init__()
        self.c = c

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.c * torch.tanh(z)


# %%
def my_model(widths: list[int], c: float, seed: int) -> torch.nn.Module:
    """Your own module: here an MLP without biases, activation c·tanh."""
    torch.manual_seed(seed)
    layers: list[torch.nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers.append(torch.nn.Linear(a, b, bias=False, dtype=torch.float64))
        if i < len(widths) - 2:
            layers.append(Scaled(c))
    return torch.nn.Sequential(*layers)


# %% [markdown]
# The measurement. `torch.func.functional_call` turns the module into a pure function of its
# parameters, `jacrev` gives each input's Jacobian and `vmap` runs it over the inputs. The
# hypothesis is *measured* (the activations' largest slope on the inputs they actually receive),
# not assumed from the configuration.


# %%
def evaluate(cfg: dict[str, Any], seed: int) -> nc.Outcome:
    model = my_model(cfg["widths"], cfg["slope"], seed)
    params = {k: v.detach() for k, v in model.named_parameters()}
    X = nc.sphere_inputs(cfg["n"], cfg["widths"][0], seed=seed)

    def f(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return functional_call(model, p, (x,))

    jacobians = vmap(jacrev(f, argnums=1), in_dims=(None, 0))(params, X)  # (n, out, in)
    measured = torch.linalg.matrix_norm(jacobians, 2).max().item()
    product = 1.0
    for W in params.values():
        product *= torch.linalg.matrix_norm(W, 2).item()
    # the hypothesis, measured: the activations' largest slope on the inputs they receive
    slopes = []
    h = X
    for layer in model:
        if isinstance(layer, Scaled):
            z = h.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(layer(z).sum(), z)
            slopes.append(g.abs().max().item())
        h = layer(h)
    return nc.Outcome(
        hypotheses=[
            nc.hypothesis(
                "activations 1-Lipschitz",
                max(slopes),
                "<=",
                1.0,
                note="largest |σ'(z)| on the data",
            )
        ],
        conclusion_holds=measured <= product,
        predicted={"jacobian_norm": nc.Bound(product, "<=")},
        measured={"jacobian_norm": measured},
        tightness=nc.Tightness.ratio(product / measured, "Π‖W_i‖_σ / max_x ‖J(x)‖_σ"),
        details={"ratio": product / measured},
    )


# %%
def figure(results: list[nc.CheckResult]) -> list[Any]:
    def draw(ax: Any, r: nc.CheckResult) -> None:
        ax.bar(
            ["max ‖J(x)‖", "Π‖W_i‖"],
            [r.measured["jacobian_norm"], r.predicted["jacobian_norm"].value],
        )
        ax.set_ylabel("spectral norm")

    return nc.record_figures(results, draw, "my-lipschitz-bound: Jacobian against the product")


# %% [markdown]
# Three instances: the bound itself; a **sharpened control** that divides the bound by 10, a
# factor the argument does not grant (it must come out `violated`, or the check cannot fail);
# and a **strong control** whose activation 4·tanh breaks the hypothesis (the conclusion is
# measured failing with it: `failed-without-hypothesis`).
#
# How the pieces fit, for your own bound:
#
# - **The tightness carries the sharpened control.** `MLP.sharpened(10)` does not run
#   `evaluate` again: it re-decides the same record from its tightness — `violated` unless the
#   tightness reaches 10. So state the tightness as the largest factor the bound could be
#   tightened by before the measurement breaks it: for an upper bound `bound / measured`, for
#   a lower bound `measured / bound` (`nc.Tightness.ratio`; `nc.Tightness.exponent` for rates,
#   `nc.Tightness.margin` for a distance to a threshold). A bound written as "… ≤ 0" has no
#   factor to tighten: rewrite it as a ratio first. A *negative* ratio means the measured value
#   has the wrong sign (a lower bound on a decrease that came out an increase): the claim is
#   broken outright, not by a constant factor, and no sharpening or loosening by c > 0 changes
#   that.
# - **Hypotheses are measured**, each with `nc.hypothesis(name, measured, relation, bound)`; a
#   strong control names the one it breaks (`breaks=`), and the record must show it broken.
# - **`Outcome(diverged=True)`** says the run itself blew up (NaN, overflow): the verdict is then
#   `diverged`, whatever the numbers.
# - **sympy names**: `sp.symbols("a b")` splits on spaces, so give a LaTeX name with a space
#   its own `sp.Symbol(r"\nabla L_{t}")`.

# %%
MLP = nc.Instance("tanh-mlp", {"widths": [10, 64, 64, 3], "slope": 1.0, "n": 200})
THEOREM = nc.Theorem(
    id="my-lipschitz-bound",
    title="The Jacobian of my MLP is bounded by the product of its spectral norms",
    citation="chain rule; Bartlett, Foster, Telgarsky, NeurIPS 2017, eq. (1.2)",
    statement=STATEMENT,
    symbols={
        r"\|J(x)\|_{\sigma}": "largest Jacobian norm over the inputs",
        r"\prod_{i}\|W_{i}\|_{\sigma}": "product of the layers' spectral norms",
    },
    instances=(
        MLP,
        MLP.sharpened(10.0, "the product divided by 10"),
        nc.Instance(
            "steep-activation",
            {"widths": [10, 64, 64, 3], "slope": 4.0, "n": 200},
            description="4·tanh: slope 4 near 0",
            breaks="activations 1-Lipschitz",
        ),
    ),
    evaluate=evaluate,
    figure=figure,
)

# %%
run = nc.run_checks([THEOREM], progress=False)
print(run.summary())  # in a plain Python run this line is the output
run  # in Jupyter, the verdict table

# %% [markdown]
# The same records as a pandas DataFrame, one row each:

# %%
frame = run.to_frame()[["instance", "declared", "verdict", "as_declared", "tightness"]]
print(frame.to_string(index=False))  # for a plain Python run
frame

# %%
from IPython.display import Image

Image(nc.figure_bytes(THEOREM.figure(run.results)[0]))  # the figure, as its PNG

# %% [markdown]
# The page is also a test: these are the verdicts the protocol must reach.

# %%
assert [r.verdict.value for r in run.results] == ["holds", "violated", "failed-without-hypothesis"]
assert run.as_declared

# %% [markdown]
# ## Vary one knob: the slope c
#
# **Prediction, written before running.** For c ≤ 1 the hypothesis holds and so does the bound.
# With two hidden layers and small preactivations each tanh′ ≈ 1, so J ≈ c²·W₃W₂W₁: halving c
# should shrink the Jacobian about fourfold and raise the tightness about fourfold. Above c = 1
# the hypothesis breaks; the bound fails once c² exceeds the tightness at c = 1 (≈ 4–7 here),
# so somewhere between c = 2 and c = 3.

# %%
for c in (0.5, 1.0, 2.0, 3.0):
    r = THEOREM.check("tanh-mlp", slope=c)  # the instance with one config entry replaced
    print(f"c = {c}: {r.verdict.value:26s} tightness {r.tightness.value:.2f}")

# %% [markdown]
# ## Exercises
#
# 1. Divide the bound by 3 instead of 10 (`MLP.sharpened(3.0)`). Predict the verdict from the
#    tightness above, then run it.
# 2. Replace tanh by ReLU (`torch.nn.ReLU()`, also 1-Lipschitz). Does the bound hold? Is it
#    tighter or looser than with tanh, and why?
# 3. Give the linear layers biases (`bias=True`). The argument still holds — the Jacobian ignores
#    biases — but `evaluate` multiplies the spectral norms of *all* parameters. Fix it.
#
# <details><summary>Solutions</summary>
#
# 1. The tightness is Π‖W_i‖/max‖J‖ ≈ 4–7, which is above 3: the sharpened control *holds* —
#    a factor of 3 is one the data grant, so it tests nothing. That is why the control uses 10.
# 2. It holds. ReLU zeroes about half of each layer's units, so the Jacobian is smaller and the
#    bound looser (higher tightness) than with tanh, whose slope is ≈ 1 near 0.
# 3. Multiply only the weight matrices: `for name, W in params.items(): if W.ndim == 2: ...`.
#
# </details>
