"""ntkconv — executable convergence theory for overparameterized shallow networks.

The engine: models as pure functions of a params dict, Jacobians and NTKs (finite and infinite
width), float64 spectra, GD/SGD with recorders, and the theorem protocol. It knows no theorem.
"""

from ._validation import Params
from .activations import Activation, get_activation, leaky_relu
from .autodiff import hvp, jacobian, jvp, ntk_vector_product, ravel, unravel, vjp
from .constructions import (
    abs_residuals,
    interleaved_biases,
    projection,
    yun_capacity,
    yun_memorizer,
    zhang_memorizer,
    zhang_system,
)
from .data import digits_two_class, sphere_inputs
from .ensemble import EnsembleTrajectory, stack_params, train_ensemble, unstack_params
from .kernels import (
    arccos_kernel,
    empirical_ntk,
    random_feature_gram,
    relu_ntk_infinite,
)
from .models import ThreeLayerNet, TwoLayerNet
from .plotting import panel_grid, plot_decay, plot_scaling, save_figure
from .protocol import (
    FLOAT_RTOL,
    CheckResult,
    Hypothesis,
    Instance,
    Outcome,
    Theorem,
    Verdict,
    decide,
    leq,
    registry,
)
from .spectra import (
    condition_number,
    eigvalsh,
    hessian_eigenvalue,
    khatri_rao,
    lambda_max,
    lambda_min,
    numerical_rank,
    rank_cutoff,
    smoothness,
)
from .stats import PowerLaw, fit_power_law
from .sweep import (
    Cell,
    Sweep,
    SweepRun,
    derive_seed,
    expand_grid,
    load_cells,
    run_sweep,
    sweep_registry,
)
from .training import REDUCTIONS, Trajectory, gradient_descent, squared_loss, train

__version__ = "0.1.0"

__all__ = [
    "FLOAT_RTOL",
    "REDUCTIONS",
    "Activation",
    "Cell",
    "CheckResult",
    "EnsembleTrajectory",
    "Hypothesis",
    "Instance",
    "Outcome",
    "Params",
    "PowerLaw",
    "Sweep",
    "SweepRun",
    "Theorem",
    "ThreeLayerNet",
    "Trajectory",
    "TwoLayerNet",
    "Verdict",
    "abs_residuals",
    "arccos_kernel",
    "condition_number",
    "decide",
    "derive_seed",
    "digits_two_class",
    "eigvalsh",
    "empirical_ntk",
    "expand_grid",
    "fit_power_law",
    "get_activation",
    "gradient_descent",
    "hessian_eigenvalue",
    "hvp",
    "interleaved_biases",
    "jacobian",
    "jvp",
    "khatri_rao",
    "lambda_max",
    "lambda_min",
    "leaky_relu",
    "leq",
    "load_cells",
    "ntk_vector_product",
    "numerical_rank",
    "panel_grid",
    "plot_decay",
    "plot_scaling",
    "projection",
    "random_feature_gram",
    "rank_cutoff",
    "ravel",
    "registry",
    "relu_ntk_infinite",
    "run_sweep",
    "save_figure",
    "smoothness",
    "sphere_inputs",
    "squared_loss",
    "stack_params",
    "sweep_registry",
    "train",
    "train_ensemble",
    "unravel",
    "unstack_params",
    "vjp",
    "yun_capacity",
    "yun_memorizer",
    "zhang_memorizer",
    "zhang_system",
]
