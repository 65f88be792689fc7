"""Facade views that answer once their job has finished, without holding a
thread meanwhile.

A facade view is a DRF view like any other: DRF authenticates, throttles and
parses, and the view validates and queues the job, in the request's thread.
Instead of waiting there, it answers ``AwaitingJob``; the async view around
it (``waiting_view``) awaits the job's end on the server's event loop, then
has the view's ``answer`` write the response."""

from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import sync_to_async
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response

from . import Outcome, TimedOut, released, timeout, wait_for_job


class AwaitingJob(Response):
    """A response to fill in once ``job`` has finished: ``answer`` turns the
    outcome (the finished job, or the timeout) into the response's data,
    status and headers. DRF has negotiated its renderer like any response's."""

    def __init__(self, job, answer: Callable[[Outcome], Response]):
        super().__init__()
        self.job, self.answer = job, answer

    async def wait(self) -> None:
        try:
            outcome = Outcome(await wait_for_job(self.job, timeout()))
        except TimedOut as exc:
            outcome = Outcome(self.job, timed_out=exc)
        final = await sync_to_async(released(self.answer))(outcome)
        self.data, self.status_code = final.data, final.status_code
        for name, value in final.items():
            self[name] = value


def waiting_view(view_class) -> Callable:
    """``view_class.as_view()`` as an async view that waits for the job the
    view answers ``AwaitingJob`` for; any other response is returned as is."""
    view = view_class.as_view()

    @csrf_exempt  # as DRF's views are: the facades authenticate by token
    async def serve(request, *args, **kwargs):
        response = await sync_to_async(released(view))(request, *args, **kwargs)
        if isinstance(response, AwaitingJob):
            await response.wait()
        return response

    return serve
