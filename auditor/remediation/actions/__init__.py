"""The built-in remediation actions (importing registers them)."""

from . import autoscaling, raise_count, rollback, stop_idle  # noqa: F401
