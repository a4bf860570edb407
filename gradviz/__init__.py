"""gradviz: a visual debugger for backpropagation."""

from gradviz import sanity
from gradviz.core import *  # noqa: F403
from gradviz.core import __all__ as _core_all
from gradviz.viewer import show

__version__ = "0.1.0"
__all__ = [*_core_all, "__version__", "sanity", "show"]
