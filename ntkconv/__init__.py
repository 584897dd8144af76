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
    rectangle_net,
    yun_capacity,
    yun_memorizer,
    zhang_memorizer,
    zhang_system,
)
from .data import corrupt_labels, digits, digits_two_class, sphere_inputs
from .ensemble import EnsembleTrajectory, stack_params, train_ensemble, unstack_params
from .kernels import (
    arccos_kernel,
    empirical_ntk,
    random_feature_gram,
    relu_ntk_infinite,
)
from .models import LinearModel, ThreeLayerNet, TwoLayerClassifier, TwoLayerNet
from .piecewise import PiecewiseLinear
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
    min_norm_lstsq,
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
from .training import (
    LOSSES,
    REDUCTIONS,
    Trajectory,
    accuracy,
    gradient_descent,
    per_example_grads,
    pointwise_loss,
    risk,
    squared_loss,
    train,
    winsorize,
)

__version__ = "0.1.0"

__all__ = [
    "FLOAT_RTOL",
    "LOSSES",
    "REDUCTIONS",
    "Activation",
    "Cell",
    "CheckResult",
    "EnsembleTrajectory",
    "Hypothesis",
    "Instance",
    "LinearModel",
    "Outcome",
    "Params",
    "PiecewiseLinear",
    "PowerLaw",
    "Sweep",
    "SweepRun",
    "Theorem",
    "ThreeLayerNet",
    "Trajectory",
    "TwoLayerClassifier",
    "TwoLayerNet",
    "Verdict",
    "abs_residuals",
    "accuracy",
    "arccos_kernel",
    "condition_number",
    "corrupt_labels",
    "decide",
    "derive_seed",
    "digits",
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
    "min_norm_lstsq",
    "ntk_vector_product",
    "numerical_rank",
    "panel_grid",
    "per_example_grads",
    "plot_decay",
    "plot_scaling",
    "pointwise_loss",
    "projection",
    "random_feature_gram",
    "rank_cutoff",
    "ravel",
    "rectangle_net",
    "registry",
    "relu_ntk_infinite",
    "risk",
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
    "winsorize",
    "yun_capacity",
    "yun_memorizer",
    "zhang_memorizer",
    "zhang_system",
]
