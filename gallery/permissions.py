"""Who may see and change an image: one rule, used by pages, files and the API."""

from django.db.models import CharField, Q
from django.db.models.expressions import RawSQL

from .models import Image

# 'public' as a literal in the SQL, not a bound parameter: SQLite can then
# see that a query's condition is its partial indexes' own (visibility =
# 'public') and count from the index alone, an order of magnitude faster for
# a large topic (bench/feeds.py). PostgreSQL plans the same either way.
PUBLIC = RawSQL("'public'", (), output_field=CharField())


def can_view(user, image: Image) -> bool:
    if image.visibility != Image.Visibility.PRIVATE:
        return True
    return can_change(user, image)


def can_change(user, image: Image) -> bool:
    return user.is_authenticated and (user.pk == image.owner_id or user.is_staff)


def viewable_images(user):
    """Images this user may open by id (unlisted ones included)."""
    images = Image.objects.all()
    if user.is_authenticated and user.is_staff:
        return images
    if user.is_authenticated:
        return images.filter(~Q(visibility=Image.Visibility.PRIVATE) | Q(owner=user))
    return images.exclude(visibility=Image.Visibility.PRIVATE)


def listed_images():
    """Images anyone may find in public feeds."""
    return Image.objects.filter(visibility=PUBLIC)
