"""Model files: a user's ``.py`` file that defines ``gradviz_model()`` returning a model, or
``(model, X, y)``. The file is imported afresh on every load (edits to it and to the modules
beside it are seen), with its folder on ``sys.path`` so ``from cs231n.layers import *`` works.
"""

from __future__ import annotations

import importlib
import itertools
import sys
import sysconfig
import threading
import traceback
import types
import weakref
from dataclasses import dataclass
from pathlib import Path

GRADVIZ_DIR = Path(__file__).resolve().parents[2]
MISSING_FUNCTION = """{name} defines no gradviz_model(); add one that returns your model, or (model, X, y):

    def gradviz_model():
        model = TwoLayerNet(input_dim=4, hidden_dim=6, num_classes=3)
        X = np.random.randn(5, 4)
        y = np.random.randint(3, size=5)
        return model, X, y"""

_LOCK = threading.RLock()
_COUNTER = itertools.count()
_LOADED: dict[Path, str] = {}  # path -> the module name of its latest load
_FOLDERS: set[Path] = set()  # folders model files were loaded from: their modules are reloaded
_SOURCES: dict[int, tuple[weakref.ref, Path]] = {}  # id(model) -> (model, the file it came from)


@dataclass
class LoadedModel:
    """What a model file gave: the model, X and y (None when it returned the model alone), and
    the file's resolved path."""

    model: object
    X: object
    y: object
    path: Path


class UserCodeError(ValueError):
    """An exception raised by the user's own code. Its str is that exception with only the
    frames from the user's files (file:line), like a traceback without gradviz's frames.

    frames: [(file, line), …] outermost first; exception: the original exception (None after
    pickling).
    """

    def __init__(self, message: str, frames=(), exception: BaseException | None = None) -> None:
        super().__init__(message)
        self.frames = [(str(f), int(line)) for f, line in frames]
        self.exception = exception

    @classmethod
    def from_exception(cls, exception: BaseException) -> UserCodeError:
        summary = [f for f in traceback.extract_tb(exception.__traceback__) if is_user_file(f.filename)]
        frames = [(f.filename, f.lineno) for f in summary]
        if isinstance(exception, SyntaxError) and exception.filename and exception.lineno:
            frames.append((exception.filename, exception.lineno))
        text = "".join(traceback.format_exception_only(type(exception), exception)).rstrip()
        if summary:
            text = ("Traceback (most recent call last; your code only):\n"
                    + "".join(traceback.format_list(summary)) + text)
        return cls(text, frames, exception)

    def __reduce__(self):
        return type(self), (str(self), self.frames)


def is_user_file(filename: str) -> bool:
    """Whether a traceback's file is the user's: not gradviz's, Python's or an installed library's."""
    if not filename or filename.startswith("<"):
        return False
    path = Path(filename).resolve()
    if set(path.parts) & {"site-packages", "dist-packages"}:
        return False
    libraries = {GRADVIZ_DIR, *(Path(sysconfig.get_path(k)).resolve() for k in ("stdlib", "platstdlib"))}
    return not any(path.is_relative_to(folder) for folder in libraries)


def user_code_error(exception: BaseException) -> UserCodeError | None:
    """The exception as a UserCodeError when the user's code raised it (the innermost frame that is
    either the user's or gradviz's is the user's), else None (gradviz's own message stands)."""
    if isinstance(exception, UserCodeError):
        return exception
    for frame in reversed(traceback.extract_tb(exception.__traceback__)):
        if is_user_file(frame.filename):
            return UserCodeError.from_exception(exception)
        if Path(frame.filename).resolve().is_relative_to(GRADVIZ_DIR):
            return None
    return None


def source_of(model: object) -> Path | None:
    """The model file a model was loaded from (for worker processes that re-import it), or None."""
    entry = _SOURCES.get(id(model))
    return entry[1] if entry is not None and entry[0]() is model else None


def load_model_file(path: str | Path) -> LoadedModel:
    """Import the ``.py`` file at ``path`` under a new module name and call its ``gradviz_model()``.

    Modules imported from the file's folder (its neighbours, ``cs231n/layers.py``) are imported
    afresh too. Errors in the user's code raise UserCodeError; a missing file, another suffix, a
    missing gradviz_model or a result that is no model raise ValueError.
    """
    path = Path(path)
    if path.suffix != ".py":
        raise ValueError(f"a model file must be a Python file ending in .py; got {str(path)!r}")
    if not path.is_file():
        raise ValueError(f"no such model file: {path}")
    path = path.resolve()
    with _LOCK, _importing_from(path.parent):
        module = _import_fresh(path)
        make = getattr(module, "gradviz_model", None)
        if not callable(make):
            raise ValueError(MISSING_FUNCTION.format(name=path.name))
        try:
            result = make()
        except (Exception, SystemExit) as exc:
            raise UserCodeError.from_exception(exc) from None
    model, X, y = _unpack(result, path.name)
    _remember(model, path)
    return LoadedModel(model, X, y, path)


def _remember(model: object, path: Path) -> None:
    """Note where model came from, for as long as it lives (weakly: the model is not kept)."""
    key = id(model)
    try:
        ref = weakref.ref(model, lambda _: _SOURCES.pop(key, None))
    except TypeError:  # not weak-referenceable: its source cannot be remembered
        return
    _SOURCES[key] = (ref, path)


def _unpack(result: object, name: str) -> tuple[object, object, object]:
    model, X, y = result if isinstance(result, tuple) and len(result) == 3 else (result, None, None)
    if not isinstance(getattr(model, "params", None), dict) or not callable(getattr(model, "loss", None)):
        raise ValueError(f"gradviz_model() in {name} returned {type(result).__name__}; return a model "
                         "(with .params, a dict of float arrays, and .loss(X, y) -> (loss, grads)) or "
                         "(model, X, y); gradviz.layer_model and gradviz.function_model make one")
    return model, X, y


class _importing_from:
    """Within the block: ``folder`` first on sys.path, modules from it (and from the folders of
    earlier model files) forgotten so they are imported again from their current source, no
    bytecode written; afterwards sys.path and the bytecode setting are as before."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> None:
        self.path, self.bytecode = list(sys.path), sys.dont_write_bytecode
        # a .pyc written now could be mistaken for the source after an edit within the same second
        sys.dont_write_bytecode = True
        # two projects may both have a cs231n package: forget every model folder's modules
        _FOLDERS.add(self.folder)
        for name in _modules_under(_FOLDERS):
            del sys.modules[name]
        sys.path.insert(0, str(self.folder))
        importlib.invalidate_caches()

    def __exit__(self, *exc) -> None:
        sys.path[:] = self.path
        sys.dont_write_bytecode = self.bytecode


def _modules_under(folders: set[Path]) -> list[str]:
    """Names of imported pure-Python modules whose file lives under one of ``folders`` (gradviz
    and installed libraries excepted)."""
    names = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str) or not file.endswith(".py"):
            continue  # built-ins and compiled extensions cannot be imported twice
        path = Path(file).resolve()
        if any(path.is_relative_to(f) for f in folders) and is_user_file(file):
            names.append(name)
    return names


def _import_fresh(path: Path) -> types.ModuleType:
    """Run the file's source (not a cached .pyc) as a module with a name never used before."""
    name = f"gradviz_model_{next(_COUNTER)}_{''.join(c if c.isalnum() else '_' for c in path.stem)}"
    module = types.ModuleType(name)
    module.__file__ = str(path)
    previous = _LOADED.pop(path, None)
    if previous is not None:
        sys.modules.pop(previous, None)
    sys.modules[name] = module  # dataclasses and pickle look classes up by module name
    _LOADED[path] = name
    try:
        source = path.read_bytes()
        exec(compile(source, str(path), "exec"), module.__dict__)
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (Exception, SystemExit) as exc:
        raise UserCodeError.from_exception(exc) from None
    return module
