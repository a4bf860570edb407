"""`gradviz.sanity`: the sanity checks before training (see gradviz.core.teach.sanity)."""

from gradviz.core.teach.sanity import *  # noqa: F403
from gradviz.core.teach.sanity import __all__  # noqa: F401
