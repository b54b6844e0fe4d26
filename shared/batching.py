"""Concurrent visitors share one forward pass (and, on ZeroGPU, one GPU call).

`batched(fn, max_size=32, check=...)` turns `fn`, a function of lists (one list per argument, one
result per item), into a function of one request. Each request is checked on its own first, in
its own thread (`check` raises `InputError`), so a bad input is refused alone and never joins a
batch; the requests that arrive while a batch runs wait and run together in the next one. Where
requests differ in size (a recording of 5 s and one of 5 minutes), `weight` says how much of a
batch each takes, so that a batch's cost stays bounded.

Why not Gradio's own `batch=True`: its queue starts a batch with whatever has arrived the moment
the worker is free. Under steady load the answers of a full batch go out together and the
clients come back one by one, so the first to return runs alone while the others queue behind it
(batches of 31 and 1 in turn, measured by scripts/benchmark.py), and that lone batch competes for
the CPU and the GIL with the replies and requests of everyone else. Here the request that starts
a batch waits, for at most half the time the previous batch took, until as many requests have
arrived as the previous batch held plus those that came while it ran: a lone visitor never waits,
a crowd fills its batches.

No thread of its own: the request that starts a batch runs it, in its own request context (on
ZeroGPU, `spaces.GPU` reads the visitor from it), then hands the next batch to the first request
still waiting.
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

# A batch waits for late arrivals at most this share of the previous batch's run time, and never
# longer than MAX_GATHER_SECONDS: a full batch then costs at most 1.5 times its own run time.
GATHER_SHARE = 0.5
MAX_GATHER_SECONDS = 0.5


class _Request:
    """One call waiting for its share of a batch."""

    __slots__ = ("args", "done", "error", "leads", "result", "wake", "weight")

    def __init__(self, args: tuple[Any, ...], weight: int) -> None:
        self.args = args
        self.weight = weight
        self.wake = threading.Event()
        self.leads = False
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class _BatchQueue:
    """The requests waiting for `fn`, and the one batch running: shared by every entry point."""

    def __init__(self, fn: Callable[..., Sequence[Any]], max_size: int, weight: Callable[..., int] | None) -> None:
        self.fn = fn
        self.max_size = max_size
        self.weight = weight
        self.calls = 0
        self._arrived = threading.Condition(threading.Lock())
        self._waiting: list[_Request] = []
        self._leading = False  # a request is gathering or running a batch
        self._expected = 1  # requests the next batch waits for
        self._last_seconds = 0.0

    def run(self, args: tuple[Any, ...]) -> Any:
        request = _Request(args, self._weigh(args))
        with self._arrived:
            self._waiting.append(request)
            request.leads = not self._leading
            self._leading = True
            self._arrived.notify()
        if not request.leads:
            request.wake.wait()  # answered, or handed the next batch
        if not request.done:
            self._lead()
        if request.error is not None:
            raise request.error
        return request.result

    def _weigh(self, args: tuple[Any, ...]) -> int:
        if self.weight is None:
            return 1
        weight = self.weight(*args)
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
            name = getattr(self.weight, "__qualname__", "weight")
            raise ValueError(f"{name} must return a whole number of at least 1, not {weight!r}")
        return weight

    def _lead(self) -> None:
        """Gather the next batch, run it, and hand on to the first request left waiting."""
        with self._arrived:
            expected = self._expected
            deadline = time.monotonic() + min(GATHER_SHARE * self._last_seconds, MAX_GATHER_SECONDS)
            while (
                len(self._waiting) < expected
                and sum(r.weight for r in self._waiting) < self.max_size
                and (left := deadline - time.monotonic()) > 0
            ):
                self._arrived.wait(left)
            taken, held = 0, 0
            for request in self._waiting:  # in arrival order, as many as fit; the first always runs
                if taken and held + request.weight > self.max_size:
                    break
                taken, held = taken + 1, held + request.weight
            batch = self._waiting[:taken]
            del self._waiting[:taken]
        started = time.monotonic()
        try:
            results = self.fn(*(list(column) for column in zip(*(r.args for r in batch), strict=True)))
            if len(results) != len(batch):
                name = getattr(self.fn, "__qualname__", "the batch function")
                raise RuntimeError(f"{name} returned {len(results)} results for {len(batch)} requests")
        except BaseException as error:  # every request of the batch gets it, and the next batch still runs
            for request in batch:
                request.error = error
        else:
            for request, result in zip(batch, results, strict=True):
                if isinstance(result, Exception):  # the batch function refused this request alone
                    request.error = result
                else:
                    request.result = result
        with self._arrived:
            self.calls += 1
            self._last_seconds = time.monotonic() - started
            # Who was served will likely ask again (a visitor clicks on, a client sends its next),
            # and who waited meanwhile is already here: the next batch waits for both.
            self._expected = min(self.max_size, len(batch) + len(self._waiting))
            for request in batch:
                request.done = True
                request.wake.set()
            if self._waiting:
                self._waiting[0].leads = True
                self._waiting[0].wake.set()
            else:
                self._leading = False


class Batched:
    """A function of one request that runs a batch function on batches of concurrent requests.

    Made by `batched`. Entry points made from another `Batched` (`batched(other, check=...)`)
    feed the same batches: two events of a page with their own checks share forward passes.

    Attributes:
        max_size: The most requests one batch holds (with a `weight`, the most weight); the page
            lets this many requests of an event whose handler this is wait at once.
        check: The per-request check, or None.
    """

    def __init__(self, queue: _BatchQueue, check: Callable[..., Any] | None) -> None:
        self._queue = queue
        self.max_size = queue.max_size
        self.check = check
        self._columns = len(inspect.signature(queue.fn).parameters)
        functools.update_wrapper(self, queue.fn)  # its name and doc; the signature is the request's
        parameters = list(inspect.signature(check or queue.fn).parameters.values())
        self.__signature__ = inspect.Signature([p.replace(annotation=inspect.Parameter.empty) for p in parameters])

    @property
    def calls(self) -> int:
        """How many batches have run, through every entry point."""
        return self._queue.calls

    def __call__(self, *args: Any) -> Any:
        if self.check is not None:
            checked = self.check(*args)
            args = tuple(checked) if self._columns > 1 else (checked,)
        return self._queue.run(args)


def batched(
    fn: Callable[..., Sequence[Any]] | None = None,
    /,
    *,
    max_size: int = 32,
    check: Callable[..., Any] | None = None,
    weight: Callable[..., int] | None = None,
) -> Any:
    """Make a function of lists (one per argument) serve one request at a time, in shared batches.

    Use it as `@batched(max_size=32, check=...)` above `@shared.gpu(...)` and give it to the event
    as its handler: the GPU function runs once per batch, and the page lets `max_size` requests
    of the event wait at once.

    Args:
        fn: The batch function (when used as a bare `@batched`), or a `Batched` whose batches
            this entry point joins (its `max_size` stays).
        max_size: The most requests one batch holds.
        check: Called with each request's own arguments, in its own thread, before it joins a
            batch: returns the request's item, checked (one value when the batch function takes
            one list, a tuple of one value per list otherwise), or raises `InputError`, which
            refuses that request alone. Its parameters are the handler's, as Gradio sees them.
        weight: Called with a request's checked item (its share of each list, as arguments),
            returns how much of a batch it takes, a whole number of at least 1 (default: 1 each).
            A batch then holds requests in arrival order while their weights add up to at most
            `max_size`; a heavier request runs alone.

    The batch function may return an exception (an `InputError`) in place of a request's
    result: that request alone is refused with it, once the batch has run.

    Returns:
        A `Batched`: called with one request's arguments, it returns that request's result, or
        raises what the batch raised.

    Raises:
        ValueError: `max_size` is not a whole number of at least 1, or `weight` is given to an
            entry point of another `Batched` (the batches' weights are theirs).

    Example:
        >>> @batched(max_size=32)
        ... def lengths(texts: list[str]) -> list[int]:
        ...     return [len(t) for t in texts]
        >>> lengths("four")
        4
    """
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
        raise ValueError(f"max_size must be a whole number of at least 1, not {max_size!r}")

    def make(function: Callable[..., Sequence[Any]]) -> Batched:
        if isinstance(function, Batched):  # another entry point to the same batches
            if weight is not None:
                raise ValueError("weight belongs to the batches: give it where they are made, not to an entry point")
            return Batched(function._queue, check)
        return Batched(_BatchQueue(function, max_size, weight), check)

    return make(fn) if fn is not None else make
