"""A real Home Assistant per test module, driven from a loop of its own.

The test plugin gives every test a fresh event loop and checks that nothing (task, timer,
thread) outlives it. A `hass` process and its simulated phones live for a whole module,
so they run on an event loop in a background thread started with the module; tests are
plain functions that hand coroutines to it with `e2e_loop.run(...)`.
"""

import asyncio
from collections.abc import Awaitable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, AsyncExitStack
import threading

import pytest
import pytest_socket

TIMEOUT = 240.0  # one step at most (a first start on a cold machine compiles a lot)
_WORKERS = 2


class LoopThread:
    """An event loop in a daemon thread, with an AsyncExitStack for module resources."""

    def __init__(self) -> None:
        """Start the loop and its executor threads now, before any test runs."""
        # A plain loop: Home Assistant's policy makes loops whose executor may not be
        # replaced (2026.8 fails on it).
        self.loop: asyncio.AbstractEventLoop = asyncio.SelectorEventLoop()
        # The plugin fails a test that leaves a new thread behind: create the executor's
        # threads here (every worker waits at the barrier, so each gets its own thread).
        executor = ThreadPoolExecutor(_WORKERS, thread_name_prefix="e2e-executor")
        barrier = threading.Barrier(_WORKERS)
        for future in [executor.submit(barrier.wait) for _ in range(_WORKERS)]:
            future.result(10)
        self.loop.set_default_executor(executor)
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="e2e-loop", daemon=True
        )
        self.thread.start()
        self.stack = AsyncExitStack()

    def run[T](self, awaitable: Awaitable[T], timeout: float = TIMEOUT) -> T:
        """Run a coroutine on the loop and return its result."""

        async def wrapper() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result(timeout)

    def enter[T](self, context: AbstractAsyncContextManager[T]) -> T:
        """Enter an async context manager for the rest of the module."""
        return self.run(self.stack.enter_async_context(context))

    def close(self) -> None:
        """Exit every context entered, then stop the loop and the thread."""
        try:
            self.run(self.stack.aclose())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()


@pytest.fixture(scope="module")
def e2e_loop() -> Iterator[LoopThread]:
    """Return the module's background loop; closes what was entered on it at the end."""
    # Sockets: the plugin disables them around each test; these are all to 127.0.0.1.
    pytest_socket.enable_socket()
    loop = LoopThread()
    try:
        yield loop
    finally:
        pytest_socket.enable_socket()
        loop.close()


@pytest.fixture(autouse=True)
def _sockets_on(socket_enabled: None) -> None:
    """Every end-to-end test talks to 127.0.0.1 (Home Assistant, the phones)."""
