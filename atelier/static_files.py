"""Static files: WhiteNoise's middleware, able to run in an async middleware
chain, and its storage with each file's URL worked out once.

WhiteNoise's own middleware is synchronous: under ASGI, Django would call
every view through it from a thread blocked until the view has answered,
so a facade request waiting for its job would hold that thread for the
whole wait. This one looks the path up and, for a static file only, serves
it in a thread; anything else goes on down the async chain."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    sync_capable = True
    async_capable = True

    def __init__(self, get_response=None, settings=settings):
        super().__init__(get_response, settings)
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request):
        if self.autorefresh:
            static_file = await sync_to_async(self.find_file)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:
            return await sync_to_async(self.serve)(static_file, request)
        return await self.get_response(request)


class ManifestStaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's storage of hashed, compressed static files, remembering
    each file's URL. Every page links some 25 static files; working each
    hashed URL out again on every render cost about as much as one of the
    page's database queries. The manifest is read once when the process
    starts, so a URL cannot change while it runs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        if name not in self._urls:
            self._urls[name] = super().url(name)
        return self._urls[name]
