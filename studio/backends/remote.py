"""What every remote engine (Hugging Face, OpenAI, AUTOMATIC1111, ComfyUI)
shares: its entry of ``settings.ATELIER_ENGINES``, the one setting it cannot
run without, how long it waits for an answer, and how long it keeps trying
when the engine is busy.

Config keys read here: "timeout" (seconds to read an answer),
"connect_timeout" (seconds to connect) and "max_retry_seconds" (how long a busy
engine is waited for in all, ATELIER_ENGINE_MAX_RETRY_SECONDS). An engine
module names its defaults as class attributes and exposes the registry's two
functions as ``create_backend = TheEngine`` and
``is_configured = TheEngine.is_configured``.

How an engine talks HTTP, one way for all: the timeouts are ``self.timeout``,
built here. An engine with a server of its own (AUTOMATIC1111, ComfyUI) finds it
with ``server_address`` and calls it through ``http_client()``, an httpx2 client
with those timeouts and no default headers (basic auth goes with each request).
OpenAI and Hugging Face go through their official clients (``openai``,
``huggingface_hub``), given the same seconds and no retries of their own.

Beyond text to image (base.OPERATIONS: image to image, inpainting, hires fix,
variation seeds): an engine that can do one sets the class attribute of that
name (or answers ``refusal`` per model, as OpenAI does), and its module exposes
``refusal = TheEngine.refusal`` and ``able_label = TheEngine.able_label``; the
registry's ``refusal`` asks it, so the form refuses before a job exists.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TypeVar

import httpx2

from .base import OPERATIONS, BackendError, CancelCheck, ProgressCallback
from .engine_urls import without_credentials
from .retrying import RetryPolicy, retrier

T = TypeVar("T")


class RemoteEngine:
    name: str
    label: str  # the engine as people know it, for messages ("AUTOMATIC1111")
    required_setting: str  # the config key without which the engine cannot run
    # What it can do beyond text to image (base.OPERATIONS), by the request's field:
    image_to_image = False  # start from a picture (init_image)
    inpainting = False  # repaint under a mask (inpaint, with init_image)
    hires_fix = False  # upscale and repaint (hires_scale)
    variations = False  # mix in a variation seed's noise (variation_strength)
    read_timeout: float = 30.0  # seconds, unless the config says "timeout"
    connect_timeout: float = 5.0  # seconds, unless the config says "connect_timeout"
    retry_policy = RetryPolicy()  # its pacing; "max_retry_seconds" bounds the total

    def __init__(
        self,
        config: dict,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        """``policy`` and ``sleep`` are for tests: a faster pacing, a fake clock."""
        self.config = config
        max_total = config.get("max_retry_seconds") or self.retry_policy.max_total
        self.policy = policy or dataclasses.replace(self.retry_policy, max_total=float(max_total))
        self.sleep = sleep
        self.timeout = httpx2.Timeout(
            float(config.get("timeout") or self.read_timeout),
            connect=float(config.get("connect_timeout") or self.connect_timeout),
        )

    @classmethod
    def is_configured(cls, config: dict) -> bool:
        return bool(config.get(cls.required_setting))

    @classmethod
    def refusal(cls, operation: str, model_id: str) -> str:
        """Why this engine cannot do ``operation`` (a key of base.OPERATIONS) with
        the model ``model_id``; "" when it can. Asked by the Generate form and the
        worker, without a server."""
        if getattr(cls, operation):
            return ""
        return f"{cls.label} cannot {OPERATIONS[operation]}."

    @classmethod
    def able_label(cls, operation: str) -> str:
        """The engine as a list of those that can do ``operation`` names it; "" if it cannot."""
        return cls.label if getattr(cls, operation) else ""

    def http_client(self) -> httpx2.Client:
        """A client for the engine's server: this engine's timeouts, no default headers."""
        return httpx2.Client(timeout=self.timeout)

    def server_address(self, options: dict, missing: str) -> tuple[str, tuple[str, str] | None]:
        """The server's URL, from the preset (``options["base_url"]``) or the config
        ("url"), without any "user:password@" in it, and the basic-auth pair: the
        config's "username"/"password" when set, else the URL's. ``missing`` is the
        message when neither names a server."""
        url = (options.get("base_url") or self.config.get("url") or "").rstrip("/")
        if not url:
            raise BackendError(missing)
        url, credentials = without_credentials(url)
        if self.config.get("username"):
            credentials = (self.config["username"], self.config.get("password") or "")
        return url, credentials

    def retrier(
        self, should_cancel: CancelCheck, on_progress: ProgressCallback, **place: int
    ) -> Callable[[Callable[[], T]], T]:
        """``retrying.retrier`` with this engine's pacing and clock; ``place``
        is the ``step`` and ``total`` a wait is shown at."""
        return retrier(self.policy, should_cancel, self.sleep, on_progress, **place)
