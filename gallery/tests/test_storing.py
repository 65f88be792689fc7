"""Storing an image: all of original, thumbnail and row, or none of them."""

import pytest
from django.core.files.storage import default_storage
from django.db import OperationalError

from gallery.models import Image
from gallery.storing import store_image
from tests.fixtures import picture, png_bytes, stored_files


def test_it_writes_the_original_the_thumbnail_and_the_row(owner, isolated_storage):
    image = picture(800, 600)
    row = store_image(owner=owner, content=png_bytes(image), picture=image, recipe={"prompt": "x"})
    assert (row.width, row.height) == (800, 600)
    assert row.thumb_width == 384 and row.thumb_height == 288
    assert default_storage.exists(row.file.name) and default_storage.exists(row.thumbnail.name)
    assert len(stored_files()) == 2


def test_the_same_source_key_is_stored_once(owner, isolated_storage):
    image = picture()
    first = store_image(owner=owner, content=png_bytes(image), picture=image, source_key="job:1:0")
    again = store_image(owner=owner, content=png_bytes(image), picture=image, source_key="job:1:0")
    assert first.pk == again.pk
    assert Image.objects.count() == 1 and len(stored_files()) == 2


def test_a_failed_row_leaves_no_files(owner, isolated_storage, monkeypatch):
    def database_down(**fields):
        raise OperationalError("database is locked")

    monkeypatch.setattr(Image.objects, "create", database_down)
    image = picture()
    with pytest.raises(OperationalError):
        store_image(owner=owner, content=png_bytes(image), picture=image)
    assert Image.objects.count() == 0
    assert stored_files() == []
