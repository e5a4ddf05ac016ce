"""Cancellation of page jobs: set when the caller went away, its deadline passed or the server is stopping."""

from __future__ import annotations

import threading
import time


class CancelToken:
    """Set when the caller went away or the server is stopping; checked between steps."""

    def __init__(self, *parents: CancelToken):
        self._event = threading.Event()
        self._parents = parents
        self._expired = False

    def cancel(self, expired: bool = False) -> None:
        """Cancel; ``expired`` says the call ended because its deadline passed, not because the caller left."""
        self._expired = self._expired or expired
        self._event.set()

    @property
    def expired(self) -> bool:
        """True when this token was cancelled because its call's deadline passed."""
        return self._expired

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or any(p.cancelled for p in self._parents)

    def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if cancelled meanwhile."""
        deadline = time.monotonic() + seconds
        while not self.cancelled:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._event.wait(min(left, 0.05))
        return True
