"""How this site takes image files (uploads, avatars, topic covers): the limits
every file is checked against, and the memory their decoding may take.

A decoded image takes 4 bytes a pixel, whatever its file's size: a 150 KB PNG
may hold 40 megapixels, 160 MB. So a process decodes at most
ATELIER_UPLOAD_DECODES files at once (``UploadSlotMiddleware`` holds one slot
for each request that sends files, pages and API alike), and gives freed memory
back to the system after each file: glibc keeps freed heap memory for the
process otherwise, so one burst of uploads would keep a worker large for good.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from contextlib import contextmanager

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django import forms
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from imaging.validation import InvalidImage, ValidatedImage, validate_image

BUSY = "The server is busy with other uploads; please try again in a minute."
BUSY_RETRY_AFTER = 30
# How long a request waits for a slot before it is answered "busy".
SLOT_WAIT_SECONDS = 60

_slots: threading.BoundedSemaphore | None = None
_slots_size = 0
_slots_lock = threading.Lock()


def validate_upload(file) -> ValidatedImage:
    """Check an uploaded file against this site's limits (raises InvalidImage)."""
    return validate_image(
        file,
        max_bytes=settings.ATELIER_MAX_UPLOAD_BYTES,
        max_pixels=settings.ATELIER_MAX_UPLOAD_PIXELS,
        max_side=settings.ATELIER_MAX_UPLOAD_SIDE,
    )


def _semaphore() -> threading.BoundedSemaphore | None:
    """The process's slots, made on first use (None: no limit)."""
    global _slots, _slots_size
    size = settings.ATELIER_UPLOAD_DECODES
    if size < 1:
        return None
    with _slots_lock:
        if _slots is None or _slots_size != size:
            _slots, _slots_size = threading.BoundedSemaphore(size), size
        return _slots


class ImageFileField(forms.FileField):
    """A form's image file (an avatar, a topic's cover), checked against this
    site's limits: cleaned into a ValidatedImage, or None when none was sent."""

    ACCEPT = "image/png,image/jpeg,image/webp"

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": self.ACCEPT}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return None
        try:
            return validate_upload(upload)
        except InvalidImage as exc:
            raise forms.ValidationError(exc.message) from exc


class UploadsBusy(Exception):
    pass


@contextmanager
def upload_slot(timeout: float | None = None):
    """Hold one of the process's decode slots; raises UploadsBusy when none is free
    within ``timeout`` seconds (default SLOT_WAIT_SECONDS)."""
    slots = _semaphore()
    wait = SLOT_WAIT_SECONDS if timeout is None else timeout
    if slots is not None and not slots.acquire(timeout=wait):
        raise UploadsBusy()
    try:
        yield
    finally:
        if slots is not None:
            slots.release()
        release_freed_memory()


class UploadSlotMiddleware:
    """Every request that sends files waits for a decode slot, and holds it until
    its answer is made (a form's files are decoded while it is validated).

    It runs in an async chain too, as a pass-through: only the facades'
    waiting endpoints are served by Django's ASGI handler (atelier/asgi.py);
    a synchronous middleware there would hold a thread for each request's
    whole wait. Those that take files (OpenAI's image edits and variations)
    hold a slot in their view while they decode (api/facades/openai_edits.py)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.get_response(request)  # the awaitable of the next layer
        if not _sends_files(request):
            return self.get_response(request)
        try:
            with upload_slot():
                return self.get_response(request)
        except UploadsBusy:
            return _busy(request)


def _sends_files(request) -> bool:
    return request.method in ("POST", "PUT", "PATCH") and request.content_type.startswith(
        "multipart/form-data"
    )


def _busy(request):
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": BUSY}, status=503)
    else:
        response = render(request, "503.html", {"message": BUSY}, status=503)
    response["Retry-After"] = str(BUSY_RETRY_AFTER)
    return response


def _load_malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None


_malloc_trim = _load_malloc_trim()


def release_freed_memory() -> None:
    """Hand the heap memory freed by the last decode back to the system (glibc)."""
    if _malloc_trim is not None:
        _malloc_trim(0)
