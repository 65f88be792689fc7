"""Security headers Django does not set itself: a strict Content-Security-Policy
(scripts and styles only from our own static files; templates carry no inline
scripts or style attributes) and a Permissions-Policy that turns off the
browser features Atelier never uses, for every response."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Powerful features no page of ours asks for: refused to the page and to
# anything it might embed, so an injected script or frame cannot ask either.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class ContentSecurityPolicyMiddleware:
    """Sync and async: under ASGI a synchronous middleware would make Django
    call every view from a thread blocked until it answers (atelier/static_files.py)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", POLICY)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return self.with_policy(request, self.get_response(request))

    async def __acall__(self, request):
        return self.with_policy(request, await self.get_response(request))

    def with_policy(self, request, response):
        if self.policy and not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
