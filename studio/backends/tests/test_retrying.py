import random

import pytest

from studio.backends.base import BackendError, Cancelled
from studio.backends.retrying import RetryPolicy, call_with_retries


class Flaky:
    def __init__(self, failures):
        self.failures = list(failures)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "image"


def no_sleep(seconds):
    pass


def test_it_retries_a_passing_failure_then_succeeds():
    flaky = Flaky([BackendError("busy", retryable=True)] * 2)
    waits = []
    result = call_with_retries(
        flaky, sleep=no_sleep, on_wait=lambda d, e: waits.append(d), rng=random.Random(1)
    )
    assert result == "image" and flaky.calls == 3 and len(waits) == 2


def test_it_honours_the_engines_hint():
    flaky = Flaky([BackendError("loading", retryable=True, retry_after=7.5)])
    waits = []
    call_with_retries(flaky, sleep=no_sleep, on_wait=lambda d, e: waits.append(d))
    assert waits == [7.5]


def test_backoff_grows_and_is_capped():
    policy = RetryPolicy(base_delay=1, max_delay=4, max_total=1000, max_attempts=7)
    flaky = Flaky([BackendError("busy", retryable=True)] * 6)
    waits = []
    call_with_retries(
        flaky,
        policy=policy,
        sleep=no_sleep,
        on_wait=lambda d, e: waits.append(d),
        rng=random.Random(0),
    )
    assert all(0 <= w <= 4 for w in waits)
    assert waits[0] <= 1 and waits[1] <= 2


def test_a_lasting_failure_ends_with_a_clear_message():
    policy = RetryPolicy(base_delay=1, max_delay=10, max_total=20, max_attempts=50)
    flaky = Flaky([BackendError("Model is loading.", retryable=True, retry_after=8)] * 10)
    with pytest.raises(BackendError) as raised:
        call_with_retries(flaky, policy=policy, sleep=no_sleep)
    assert "Model is loading." in raised.value.message
    assert "Tried 3 times" in raised.value.message
    assert not raised.value.retryable


def test_other_failures_are_not_retried():
    flaky = Flaky([BackendError("Invalid token.")])
    with pytest.raises(BackendError, match="Invalid token"):
        call_with_retries(flaky, sleep=no_sleep)
    assert flaky.calls == 1


def test_a_cancel_stops_the_wait():
    flaky = Flaky([BackendError("busy", retryable=True, retry_after=60)])
    with pytest.raises(Cancelled):
        call_with_retries(flaky, sleep=no_sleep, should_cancel=lambda: True)
