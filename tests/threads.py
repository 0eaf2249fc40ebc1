"""Threads for tests that drive a server from several clients at once."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable


class Threads:
    """Threads whose unexpected exceptions fail the test instead of vanishing.

    An exception escaping a thread's target is recorded with its traceback;
    :meth:`join` waits for every thread up to one overall timeout, then fails
    if any is still running or raised.
    """

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def start(self, target: Callable[..., None], *args: object) -> None:
        def run() -> None:
            try:
                target(*args)
            except BaseException:  # anything: the test reports it below
                with self._lock:
                    self.errors.append(f"{target.__name__}{args}:\n{traceback.format_exc()}")

        thread = threading.Thread(target=run, daemon=True)  # a hung one cannot hang pytest
        self.threads.append(thread)
        thread.start()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = [thread.name for thread in self.threads if thread.is_alive()]
        assert not alive, f"still running after {timeout} s: {alive}"
        assert not self.errors, "a thread raised:\n" + "\n".join(self.errors)
