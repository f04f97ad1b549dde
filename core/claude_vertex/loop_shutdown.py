"""Running a cleanup on an asyncio event loop as it shuts down, while it still runs.

asyncio has no public "loop is closing" callback, but ``asyncio.run`` (and
:class:`asyncio.Runner`, which pytest-asyncio and most scripts use) calls
``loop.shutdown_asyncgens()`` before it closes the loop: every async generator first
iterated on that loop and not yet finished is closed there, on the still running loop. So an
async generator parked at its ``yield``, whose ``finally`` awaits the cleanup, is a hook on
loop shutdown. The client uses it to close a loop's connection pools on their own loop, so no
socket outlives its loop (no ``ResourceWarning``, no ``Event loop is closed`` traceback).

A loop closed without ``shutdown_asyncgens()`` (``loop.close()`` alone) never runs the hook;
its pools are then left to the garbage collector, as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable

__all__ = ["on_loop_shutdown"]


async def _run_at_exit(cleanup: Callable[[], Awaitable[None]]) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await cleanup()


def on_loop_shutdown(cleanup: Callable[[], Awaitable[None]]) -> AsyncGenerator[None, None]:
    """Arrange for ``cleanup()`` to be awaited on the running loop when it shuts down.

    Call it from code running on the loop (sync code is fine: nothing is awaited here). Keep
    the returned generator referenced for as long as the cleanup should stay armed: once it is
    garbage, the loop's finalizer runs the cleanup early, as a task. The loop registers the
    generator on its first step, which runs at once up to the ``yield``.
    """
    hook = _run_at_exit(cleanup)
    # Drive the first step synchronously: asend(None) registers the generator with the running
    # loop's async-generator hooks; its awaitable finishes at the yield without suspending.
    with contextlib.suppress(StopIteration):
        hook.asend(None).send(None)
    return hook
