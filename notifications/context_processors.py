"""The navbar's unread count, counted only when a page's navbar asks for it
(one indexed COUNT; partials such as a feed's next page never ask)."""

from functools import cache

from .notify import unread_count


def unread(request):
    user = getattr(request, "user", None)
    if user is None:
        return {}

    @cache
    def count():
        return unread_count(user)

    return {"unread_notifications": count}
