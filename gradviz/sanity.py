"""`gradviz.sanity`: the sanity checks before training (see gradviz.core.sanity)."""

from gradviz.core.sanity import *  # noqa: F403
from gradviz.core.sanity import __all__  # noqa: F401
