"""The gradviz engine: numpy only (no Qt), shared by the app, the CLI, user scripts and tests."""

from gradviz.core.bugs import BUG_KINDS, Bug
from gradviz.core.gradcheck import (
    CheckProgress,
    gradient_check,
    iter_gradient_check,
    numeric_derivative,
)
from gradviz.core.network import Network, validate_data
from gradviz.core.report import BlockResult, CheckReport, Component
from gradviz.core.spec import LayerSpec, NetworkSpec
from gradviz.core.theta import ThetaIndex, params_to_vector, vector_to_params

__all__ = [
    "BUG_KINDS",
    "BlockResult",
    "Bug",
    "CheckProgress",
    "CheckReport",
    "Component",
    "LayerSpec",
    "Network",
    "NetworkSpec",
    "ThetaIndex",
    "gradient_check",
    "iter_gradient_check",
    "numeric_derivative",
    "params_to_vector",
    "validate_data",
    "vector_to_params",
]
