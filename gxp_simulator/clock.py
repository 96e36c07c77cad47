"""A monotonic clock tests can move forward (lockout expiry, session timeout)."""

import time


class Clock:
    """`time.monotonic()` plus an offset that only `advance()` changes."""

    def __init__(self) -> None:
        """Start at the real monotonic time."""
        self._offset = 0.0

    def now(self) -> float:
        """Return the current time in seconds."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Jump forward."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds
