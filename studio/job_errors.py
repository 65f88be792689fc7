"""A failed job's message in two parts: what the person who generated reads,
and the details for the admin (settings, commands, server paths), which the
job page shows to staff only, behind "Details for the admin", and the log
keeps."""

from __future__ import annotations

import re

from .backends.base import BackendError, ModelUnavailable

# Words meant for whoever runs the server: an environment variable, a command
# in backticks, a shell command, a path on the server.
ADMIN_WORDS = re.compile(
    r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b"  # HF_HUB_OFFLINE
    r"|`[^`]+`"  # `hf download …`
    r"|\bpip install\b|\bmanage\.py\b"
    r"|(?:^|[\s'\"(])(?:/|~/|\./)[\w.-]+/"  # /srv/models/…
)

UNREACHABLE = (
    "{label} is not installed on this server, and it cannot be downloaded now because "
    "the model hub cannot be reached. Pick an installed model, or ask an admin of this "
    "server to install it."
)
UNAVAILABLE = (
    "{label} cannot be used on this server right now. Pick another model, or ask an "
    "admin of this server to look at it."
)
GENERIC = "The engine could not make this picture. Try again, or pick another model."


class ModelNotReady(BackendError):
    """A model that cannot be used now, found before the engine starts: its
    message is the person's; ``details`` the admin's."""

    def __init__(self, message: str, details: str):
        super().__init__(message)
        self.details = details


def looks_like_admin_words(text: str) -> bool:
    return bool(ADMIN_WORDS.search(text))


def split_error(error: BackendError, label: str, hide: dict[str, str]) -> tuple[str, str]:
    """(message for the person, details for the admin) of an engine's error.
    ``hide`` maps server paths to the names the person knows them by."""
    message = error.message
    if isinstance(error, ModelNotReady):
        return message, error.details
    if not looks_like_admin_words(message):
        return hide_paths(message, hide), ""
    if isinstance(error, ModelUnavailable):
        return UNAVAILABLE.format(label=label), message
    return GENERIC, message


def unreachable(label: str, model_id: str) -> ModelNotReady:
    """The hub is away (or offline mode is on) and the model is not in the cache."""
    from huggingface_hub import constants

    from .backends.model_download import download_advice, offline_error
    from .model_status import HUB_CHECK_TIMEOUT

    if constants.is_offline_mode():
        details = offline_error(model_id).message
    else:
        details = (
            f"The Hugging Face hub at {constants.ENDPOINT} did not answer within "
            f"{HUB_CHECK_TIMEOUT:g} s (asked at most once a minute) and '{model_id}' is not "
            f"in the cache ({constants.HF_HUB_CACHE}). Check the network and HF_ENDPOINT, "
            f"or {download_advice(model_id)} and set HF_HUB_OFFLINE=1."
        )
    return ModelNotReady(UNREACHABLE.format(label=label), details)


def hide_paths(text: str, hide: dict[str, str]) -> str:
    for path, name in hide.items():
        if path:
            text = text.replace(path, name)
    return text
