"""The gradviz engine: numpy only (no Qt), shared by the app, the CLI, user scripts and tests."""

from gradviz.core.biasvariance import BiasVariance, diagnose
from gradviz.core.bugs import BUG_KINDS, Bug
from gradviz.core.datasets import DATASETS, Dataset, Normalizer, load_dataset, make_dataset, split, targets
from gradviz.core.gradcheck import (
    CheckProgress,
    gradient_check,
    iter_gradient_check,
    numeric_derivative,
)
from gradviz.core.network import Network, validate_data
from gradviz.core.report import BlockResult, CheckReport, Component
from gradviz.core.sanity import (
    SanityResult,
    initial_loss_check,
    overfit_check,
    regularization_check,
    run_sanity_checks,
)
from gradviz.core.spec import LayerSpec, NetworkSpec
from gradviz.core.theta import ThetaIndex, params_to_vector, vector_to_params
from gradviz.core.training import OPTIMIZERS, EpochRecord, History, StepRecord, Trainer

__all__ = [
    "BUG_KINDS",
    "DATASETS",
    "OPTIMIZERS",
    "BiasVariance",
    "BlockResult",
    "Bug",
    "CheckProgress",
    "CheckReport",
    "Component",
    "Dataset",
    "EpochRecord",
    "History",
    "LayerSpec",
    "Network",
    "NetworkSpec",
    "Normalizer",
    "SanityResult",
    "StepRecord",
    "ThetaIndex",
    "Trainer",
    "diagnose",
    "gradient_check",
    "initial_loss_check",
    "iter_gradient_check",
    "load_dataset",
    "make_dataset",
    "numeric_derivative",
    "overfit_check",
    "params_to_vector",
    "regularization_check",
    "run_sanity_checks",
    "split",
    "targets",
    "validate_data",
    "vector_to_params",
]
