from django.apps import AppConfig
from django.db.models.signals import post_migrate


class GalleryConfig(AppConfig):
    name = "gallery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Connect the signal receivers: exact counts, cover files removed with topics.
        from . import counts, search, topics  # noqa: F401

        # Rebuilding a SQLite table drops its search triggers: put them back.
        post_migrate.connect(
            search.ensure_search_index, dispatch_uid="gallery.search.ensure_search_index"
        )
