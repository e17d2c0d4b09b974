"""The one exception tree of mlops_jupyter.

Every error a user can cause is an :class:`MlopsError`. Each renders as one line plus a
hint: in IPython through ``_render_traceback_`` (no traceback), in the CLI as the same
line on stderr with exit code :attr:`MlopsError.exit_code` (2 usage/environment, 1 a
check failed), and in REST handlers as a JSON body with :attr:`MlopsError.http_status`.
"""

from __future__ import annotations

from typing import Any


class MlopsError(Exception):
    """Root of all mlops_jupyter errors: a one-line message and an optional hint."""

    exit_code: int = 2
    http_status: int = 400
    default_hint: str | None = None

    def __init__(self, message: str, hint: str | None = None, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        self.data = data

    def one_line(self) -> str:
        """The message as one line (newlines folded), prefixed with the error class."""
        text = " ".join(str(self.message).split())
        return f"{type(self).__name__}: {text}"

    def lines(self) -> list[str]:
        """What a user sees: the one line, then the hint if there is one."""
        out = [self.one_line()]
        if self.hint:
            out.append("hint: " + " ".join(self.hint.split()))
        return out

    def _render_traceback_(self) -> list[str]:
        # IPython prints these lines instead of a traceback.
        return self.lines()

    def to_dict(self) -> dict[str, Any]:
        """JSON form for REST replies and ``--json`` CLI output."""
        return {"error": type(self).__name__, "message": self.message, "hint": self.hint}


class ConfigError(MlopsError):
    """The project configuration (mlops.toml / pyproject) is invalid."""


class UnknownEnvironment(ConfigError):
    """An environment profile name that the configuration does not define."""


class ReadOnlyEnvironment(MlopsError):
    """A write was attempted from an interactive kernel in a read-only profile."""

    http_status = 403


class MlopsUsageError(MlopsError):
    """Wrong arguments to an API call or a CLI command (magics raise IPython's UsageError)."""


class DependencyMissing(MlopsError):
    """An optional dependency is not installed; the hint names the pip command."""


class TrackingError(MlopsError):
    """The tracking store refused or failed an operation."""

    http_status = 502


class NoActiveRun(TrackingError):
    """An operation needs an active run and there is none."""

    http_status = 409
    default_hint = "start one with %mlops_track start (or mj.start_run())"


class DataError(MlopsError):
    """A dataset cannot be pinned, found or loaded."""


class DataIntegrityError(DataError):
    """Bytes on disk do not match the digest they were pinned with."""

    exit_code = 1


class RuleError(MlopsError):
    """A validation rule or suite could not be parsed."""


class CheckFailed(MlopsError):
    """Base of failures that mean "a check said no" (exit code 1)."""

    exit_code = 1
    http_status = 422


class ValidationFailed(CheckFailed):
    """One or more validation rules failed; ``.report`` holds the full report."""

    def __init__(self, message: str, report: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.report = report


class DriftDetected(CheckFailed):
    """Drift beyond threshold was detected; ``.report`` holds the drift report."""

    def __init__(self, message: str, report: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.report = report


class GateFailed(CheckFailed):
    """A release or job gate refused; ``.decision`` holds the decision record."""

    def __init__(self, message: str, decision: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.decision = decision


class ExportError(MlopsError):
    """A notebook cannot be exported to a job."""


class ExportConflict(ExportError):
    """The job folder named for an export holds something export must not replace."""

    http_status = 409


class JobError(MlopsError):
    """A job spec is invalid or a job could not be run."""


class PathOutsideRoot(MlopsError):
    """A path argument escapes the allowed root (REST calls, artifact names)."""

    http_status = 403


class SloBreached(CheckFailed):
    """A service broke one of its SLO rules; ``.report`` holds the monitor report."""

    def __init__(self, message: str, report: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.report = report
