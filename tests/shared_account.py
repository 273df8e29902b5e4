"""Which shared account the session's loopback server holds (see
tests/live/conftest.py: ``sandbox_account``, ``sandbox_audit``).

Seeding the sandbox and auditing it cost seconds each, so consecutive tests
that only read the account share one seeding (and one audit). The state is
forgotten (re-seeded on next use) after any other test, because any test may
change moto's in-process backends (``aws`` resets them, ``--sandbox`` seeds
them), and when the clock hour changes (the sandbox's hourly datapoints are
placed from the hour it was seeded in)."""

from __future__ import annotations

from typing import Any, Callable, Optional

# fixtures whose tests share the account (and must not change it)
SHARED_FIXTURES = frozenset({"sandbox_account", "sandbox_audit"})

key: Optional[tuple] = None  # (state name, hour) the server holds, None: unknown
cache: dict[str, Any] = {}  # results computed from that state (e.g. its audit)
fingerprint: Any = None  # what the account held when it was seeded
_reset: Optional[Callable[[], None]] = None  # empties the server holding it


def hold(new_key: tuple, content: Any, reset: Callable[[], None]) -> None:
    """The server now holds ``new_key``'s state (just seeded)."""
    global key, fingerprint, _reset
    key, fingerprint, _reset = new_key, content, reset
    cache.clear()


def forget() -> None:
    """What the server holds is unknown: seed again on next use."""
    global key, fingerprint, _reset
    key, fingerprint, _reset = None, None, None
    cache.clear()


def release() -> None:
    """Before any other test: empty the account again, as moto's in-process
    backends were before shared accounts (``--sandbox`` seeds into them)."""
    if key is not None and _reset is not None:
        _reset()
    forget()
