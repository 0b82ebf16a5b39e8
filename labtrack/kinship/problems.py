"""Input problems: every bad row or value is collected, then raised once as an `InputError`.

The one problem type of the app lives in `labtrack.core.errors` (the services, the readers and the
engine share it); this module names it for code written against the engine's old module."""

from labtrack.core.errors import InputError, InputProblem

__all__ = ["InputError", "InputProblem"]
