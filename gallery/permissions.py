"""Who may see and change an image: one rule, used by pages, files and the API.

Hidden content (``Hideable``: hidden by moderators, or its owner suspended)
is seen by its owner and staff only, and listed in no public feed."""

from django.db.models import CharField, Q
from django.db.models.expressions import RawSQL

from .models import Image

# 'public' as a literal in the SQL, not a bound parameter: SQLite can then
# see that a query's condition is its partial indexes' own (visibility =
# 'public') and count from the index alone, an order of magnitude faster for
# a large topic (bench/feeds.py). PostgreSQL plans the same either way.
PUBLIC = RawSQL("'public'", (), output_field=CharField())


def can_view(user, image: Image) -> bool:
    if image.visibility != Image.Visibility.PRIVATE and image.hidden_at is None:
        return True
    return can_change(user, image)


def sees_hidden(user, owner_id) -> bool:
    """Whether ``user`` sees hidden content of the person ``owner_id``: theirs, or staff."""
    return user.is_authenticated and (user.pk == owner_id or user.is_staff)


def can_change(user, image: Image) -> bool:
    return user.is_authenticated and (user.pk == image.owner_id or user.is_staff)


def viewable_images(user):
    """Images this user may open by id (unlisted ones included)."""
    images = Image.objects.all()
    if user.is_authenticated and user.is_staff:
        return images
    shared = ~Q(visibility=Image.Visibility.PRIVATE) & Q(hidden_at__isnull=True)
    if user.is_authenticated:
        return images.filter(shared | Q(owner=user))
    return images.filter(shared)


def listed_images():
    """Images anyone may find in public feeds: public and not hidden, the
    condition of the feeds' partial indexes (models.LISTED) written so that
    SQLite sees it."""
    return Image.objects.filter(visibility=PUBLIC, hidden_at__isnull=True)
