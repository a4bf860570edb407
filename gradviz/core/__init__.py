"""The gradviz engine: numpy only (no Qt), shared by the app, the CLI, user scripts and tests."""

from gradviz.core.check.functions import FunctionModel, function_model, propagation_model
from gradviz.core.check.gradcheck import (
    CheckProgress,
    gradient_check,
    iter_gradient_check,
    numeric_derivative,
)
from gradviz.core.check.layer import LayerModel, check_layer, layer_model
from gradviz.core.check.modelfile import LoadedModel, UserCodeError, load_model_file, source_of
from gradviz.core.check.quickcheck import QuickBlock, QuickCheckReport, quick_check
from gradviz.core.data.datasets import (
    DATASETS,
    Dataset,
    Normalizer,
    load_dataset,
    make_dataset,
    split,
    targets,
)
from gradviz.core.diagnosis.diagnosis import DIAGNOSIS_KINDS, Diagnosis, diagnose_report
from gradviz.core.model.bugs import BUG_KINDS, Bug
from gradviz.core.model.network import Network, validate_data
from gradviz.core.model.spec import LayerSpec, NetworkSpec
from gradviz.core.model.theta import ThetaIndex, params_to_vector, vector_to_params
from gradviz.core.model.training import OPTIMIZERS, EpochRecord, History, StepRecord, Trainer
from gradviz.core.report.check_report import BlockResult, CheckReport, Component
from gradviz.core.teach.biasvariance import BiasVariance, diagnose
from gradviz.core.teach.checkpoints import Checkpoint, check_during_training, iter_check_during_training
from gradviz.core.teach.sanity import (
    SanityResult,
    initial_loss_check,
    overfit_check,
    regularization_check,
    run_sanity_checks,
)
from gradviz.core.teach.sweep import Sweep, epsilon_sweep

__all__ = [
    "BUG_KINDS",
    "DATASETS",
    "DIAGNOSIS_KINDS",
    "OPTIMIZERS",
    "BiasVariance",
    "BlockResult",
    "Bug",
    "CheckProgress",
    "CheckReport",
    "Checkpoint",
    "Component",
    "Dataset",
    "Diagnosis",
    "EpochRecord",
    "FunctionModel",
    "History",
    "LayerModel",
    "LayerSpec",
    "LoadedModel",
    "Network",
    "NetworkSpec",
    "Normalizer",
    "QuickBlock",
    "QuickCheckReport",
    "SanityResult",
    "StepRecord",
    "Sweep",
    "ThetaIndex",
    "Trainer",
    "UserCodeError",
    "check_during_training",
    "check_layer",
    "diagnose",
    "diagnose_report",
    "epsilon_sweep",
    "function_model",
    "gradient_check",
    "initial_loss_check",
    "iter_check_during_training",
    "iter_gradient_check",
    "layer_model",
    "load_dataset",
    "load_model_file",
    "make_dataset",
    "numeric_derivative",
    "overfit_check",
    "params_to_vector",
    "propagation_model",
    "quick_check",
    "regularization_check",
    "run_sanity_checks",
    "source_of",
    "split",
    "targets",
    "validate_data",
    "vector_to_params",
]
