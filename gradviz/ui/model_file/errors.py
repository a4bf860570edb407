"""The user's own exceptions as the window shows them: their message, then where in their code
(file:line), then their frames only, also when the exception was raised in a worker process."""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from pathlib import Path

from gradviz.core.check.modelfile import UserCodeError, is_user_file, user_code_error

_REMOTE_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


def user_error(exc: BaseException) -> UserCodeError | None:
    """``exc`` as a UserCodeError when the user's code raised it, in this process or in a worker
    process (whose traceback comes back as text), else None."""
    error = user_code_error(exc)
    if error is not None:
        return error
    remote = getattr(exc.__cause__, "tb", None)  # concurrent.futures' _RemoteTraceback
    if not isinstance(remote, str):
        return None
    frames = [traceback.FrameSummary(f, int(line), name)
              for f, line, name in _REMOTE_FRAME.findall(remote) if is_user_file(f)]
    if not frames:
        return None
    text = "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
    text = ("Traceback (most recent call last; your code only, in a worker process):\n"
            + "".join(traceback.format_list(frames)) + text)
    return UserCodeError(text, [(f.filename, f.lineno) for f in frames], exc)


@dataclass(frozen=True)
class ShownError:
    """An error as the verdict shows it: ``headline`` (the exception's last line), ``where``
    ("file.py:12", the innermost frame of the user's code, or "") and ``details`` (the user's
    traceback, or "")."""

    headline: str
    where: str
    details: str

    @classmethod
    def of(cls, error: BaseException | str) -> ShownError:
        text = str(error).strip() or type(error).__name__
        lines = text.splitlines()
        frames = getattr(error, "frames", [])
        where = f"{Path(frames[-1][0]).name}:{frames[-1][1]}" if frames else ""
        if len(lines) == 1:
            return cls(text, where, "")
        return cls(lines[-1].strip(), where, text)

    def message(self) -> str:
        """One paragraph: the headline and where (the check_failed signal's text keeps all)."""
        return f"{self.headline} ({self.where})" if self.where else self.headline

    def text(self) -> str:
        """The message, then the user's traceback (when there is more than the message)."""
        return self.message() + (f"\n\n{self.details}" if self.details else "")


def error_text(exc: BaseException | str) -> str:
    """What the window says about an error: for the user's own, their message and file:line
    first, then their traceback; otherwise the exception's message."""
    if isinstance(exc, UserCodeError):
        return ShownError.of(exc).text()
    return str(exc) or type(exc).__name__
