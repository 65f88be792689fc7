"""The public feeds walk the partial indexes whose condition is
``LISTED`` (public and not hidden): leaving hidden images out costs no join
and no filter after the index (bench/feeds.py measures the times)."""

import pytest
from django.db import connection

from gallery.models import Topic
from gallery.permissions import listed_images

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's plans (PostgreSQL chooses by statistics)"
)


@pytest.fixture
def topic(owner, make_image):
    topic = Topic.objects.create(owner=owner, slug="t", name="T")
    make_image(owner, visibility="public", topic=topic)
    return topic


@pytest.mark.parametrize(
    ("name", "query", "index"),
    [
        (
            "recent",
            lambda t: listed_images().order_by("-created", "-id")[:24],
            "image_public_recent",
        ),
        (
            "popular",
            lambda t: listed_images().order_by("-like_count", "-id")[:24],
            "image_public_popular",
        ),
        (
            "topic",
            lambda t: listed_images().filter(topic=t).order_by("-created", "-id")[:24],
            "image_topic_recent",
        ),
    ],
)
def test_each_public_query_uses_its_partial_index(topic, name, query, index):
    assert index in query(topic).explain(), name
