"""Retrying an engine call that failed for a passing reason (HTTP 429, 503
"model is loading", a timeout, a reset connection): exponential backoff with
full jitter, honouring the engine's own hint (Retry-After, estimated_time),
bounded in total time, and stopped at once by a cancellation."""

from __future__ import annotations

import email.utils
import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from .base import BackendError, CancelCheck, Cancelled, Progress, ProgressCallback

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 1.0  # seconds before the first retry (before jitter)
    max_delay: float = 30.0  # cap on one wait
    max_total: float = 300.0  # give up once this much time was spent waiting
    max_attempts: int = 8


def call_with_retries(
    call: Callable[[], T],
    *,
    policy: RetryPolicy = RetryPolicy(),
    should_cancel: CancelCheck = lambda: False,
    on_wait: Callable[[float, BackendError], None] = lambda delay, error: None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run ``call``; on a retryable ``BackendError`` wait and try again.

    The wait is the engine's hint when it gives one, else a random delay up
    to ``base * 2**n`` (full jitter), never more than ``max_delay``. When the
    next wait would pass ``max_total`` or ``max_attempts``, the last error is
    raised with a message saying how long it was tried.
    """
    rng = rng or random.Random()
    waited = 0.0
    for attempt in range(policy.max_attempts):
        try:
            return call()
        except BackendError as error:
            if not error.retryable:
                raise
            if error.retry_after is not None:
                delay = min(policy.max_delay, max(0.0, error.retry_after))
            else:
                delay = rng.uniform(0, min(policy.max_delay, policy.base_delay * 2**attempt))
            if attempt + 1 >= policy.max_attempts or waited + delay > policy.max_total:
                raise BackendError(
                    f"{error.message} Tried {attempt + 1} times over {waited:.0f} s; "
                    "try again later or pick another model.",
                ) from error
            on_wait(delay, error)
            _wait(delay, should_cancel, sleep)
            waited += delay
    raise AssertionError("unreachable")


def retrier(
    policy: RetryPolicy,
    should_cancel: CancelCheck,
    sleep: Callable[[float], None],
    on_progress: ProgressCallback,
    *,
    step: int = 0,
    total: int = 0,
) -> Callable[[Callable[[], T]], T]:
    """``call_with_retries`` for one job: ``retried(call)`` runs ``call`` with
    the engine's retry settings and shows each wait on the job page, with the
    engine's reason ("Hugging Face is loading the model (about 20 s). Trying
    again in 20 s…") and the job's progress so far (``step`` of ``total``)."""

    def on_wait(delay: float, error: BackendError) -> None:
        message = f"{error.message} Trying again in {delay:.0f} s…"
        on_progress(Progress(phase="waiting", step=step, total=total, message=message))

    return functools.partial(
        call_with_retries, policy=policy, should_cancel=should_cancel, sleep=sleep, on_wait=on_wait
    )


def _wait(delay: float, should_cancel: CancelCheck, sleep: Callable[[float], None]) -> None:
    """Sleep ``delay`` seconds in short slices, leaving early on cancellation."""
    left = delay
    while True:
        if should_cancel():
            raise Cancelled()
        if left <= 0:
            return
        step = min(0.25, left)
        sleep(step)
        left -= step


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from an HTTP ``Retry-After`` value: a number of seconds
    or an HTTP date. None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
