"""atelier.asgi sends the facades' waiting endpoints to Django's ASGI handler
and everything else to the WSGI handler's thread pool: the paths it knows
must be the facades' own."""

from django.urls import reverse

from atelier import asgi


def test_the_waiting_paths_are_the_facades_waiting_views():
    names = ("a1111-txt2img", "a1111-img2img", "openai-generations", "openai-edits")
    facades = {reverse(name) for name in (*names, "openai-variations")}

    assert asgi.WAITING_PATHS == facades
