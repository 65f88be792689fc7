"""Engine server URLs as admins write them."""

from urllib.parse import unquote, urlsplit, urlunsplit


def without_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL minus any "user:password@" in it, so that it can be logged and shown,
    and those credentials."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    clean = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return clean, (unquote(parts.username), unquote(parts.password or ""))
