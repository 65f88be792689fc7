"""Keyset pagination (gallery/pagination.py): every row once, in order, however
rows are added between pages; cursors are opaque and cannot be forged."""

import pytest
from django.core import signing
from django.db.models import F

from gallery.models import Image
from gallery.pagination import (
    InvalidCursor,
    after,
    decode_cursor,
    encode_cursor,
    paginate,
    steps_after,
)

from .bulk import add_images, ids

RECENT = ("-created", "-id")
POPULAR = ("-like_count", "-id")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def walk(queryset, ordering, size, *, between_pages=None):
    """Every page from the first, calling ``between_pages`` after each."""
    seen, cursor, pages = [], None, 0
    while True:
        page = paginate(queryset, ordering, cursor, size=size)
        seen += ids(page.items)
        pages += 1
        if not page.has_next:
            return seen, pages
        if between_pages:
            between_pages()
        cursor = page.next_cursor


def test_it_returns_every_row_once_newest_first(owner):
    images = add_images(owner, 10)
    seen, pages = walk(Image.objects.all(), RECENT, 3)
    assert seen == ids(reversed(images))
    assert pages == 4


def test_the_last_full_page_has_no_next_cursor(owner):
    add_images(owner, 6)
    first = paginate(Image.objects.all(), RECENT, size=3)
    second = paginate(Image.objects.all(), RECENT, first.next_cursor, size=3)
    assert first.has_next and len(second.items) == 3 and not second.has_next


def test_an_empty_queryset_is_one_empty_page(db):
    page = paginate(Image.objects.all(), RECENT, size=3)
    assert page.items == [] and page.next_cursor is None


def test_images_added_between_pages_cause_no_duplicates_or_gaps(owner):
    images = add_images(owner, 9)
    seen, _ = walk(Image.objects.all(), RECENT, 2, between_pages=lambda: add_images(owner, 2))
    assert seen == ids(reversed(images))


def test_images_deleted_between_pages_do_not_shift_the_rest(owner):
    images = add_images(owner, 8)
    newest_first = list(reversed(images))
    first = paginate(Image.objects.all(), RECENT, size=3)
    Image.objects.filter(pk__in=ids(newest_first[:4])).delete()
    second = paginate(Image.objects.all(), RECENT, first.next_cursor, size=3)
    assert ids(second.items) == ids(newest_first[4:7])


def test_rows_created_at_the_same_moment_are_ordered_by_id(owner):
    images = add_images(owner, 7)
    Image.objects.update(created=images[0].created)
    seen, _ = walk(Image.objects.all(), RECENT, 2)
    assert seen == sorted(ids(images), reverse=True)


@pytest.mark.parametrize("size", [1, 2, 3, 4])
@pytest.mark.parametrize("ordering", [RECENT, ("created", "id")])
def test_a_few_rows_tied_at_a_page_boundary_are_each_shown_once(owner, size, ordering):
    images = add_images(owner, 10)
    Image.objects.filter(pk__in=ids(images[3:6])).update(created=images[3].created)
    seen, _ = walk(Image.objects.all(), ordering, size)
    assert seen == ids(Image.objects.order_by(*ordering))


def test_a_page_after_a_cursor_is_one_query_when_no_row_ties(owner, django_assert_num_queries):
    images = add_images(owner, 6)
    first = paginate(Image.objects.all(), RECENT, size=2)
    with django_assert_num_queries(1):
        second = paginate(Image.objects.all(), RECENT, first.next_cursor, size=2)
    assert ids(second.items) == ids(reversed(images))[2:4]


def test_it_pages_by_a_count_with_the_id_breaking_ties(owner):
    images = add_images(owner, 9)
    for i, image in enumerate(images):
        Image.objects.filter(pk=image.pk).update(like_count=i % 3)
    seen, _ = walk(Image.objects.all(), POPULAR, 2)
    expected = sorted(images, key=lambda im: (ids(images).index(im.pk) % 3, im.pk), reverse=True)
    assert seen == ids(expected)


def test_it_pages_in_ascending_order_too(owner):
    images = add_images(owner, 5)
    seen, _ = walk(Image.objects.all(), ("created", "id"), 2)
    assert seen == ids(images)


def test_the_rows_after_a_cursor_are_disjoint_steps_in_order(owner):
    images = add_images(owner, 6)
    Image.objects.filter(pk__in=ids(images[:3])).update(created=images[0].created)
    steps = steps_after(RECENT, [images[0].created, images[1].pk])
    assert [ids(Image.objects.filter(step)) for step in steps] == [[images[0].pk], []]


@pytest.mark.parametrize("ordering", [RECENT, POPULAR, ("created", "id")])
def test_the_one_query_filter_and_the_steps_find_the_same_rows(owner, ordering):
    images = add_images(owner, 12)
    for i, image in enumerate(images):
        Image.objects.filter(pk=image.pk).update(like_count=i % 3)
    Image.objects.filter(pk__in=ids(images[:4])).update(created=images[0].created)
    queryset = Image.objects.order_by(*ordering)
    for pivot in list(queryset)[:-1]:
        values = [getattr(pivot, key.removeprefix("-")) for key in ordering]
        by_steps = [
            row.pk for step in steps_after(ordering, values) for row in queryset.filter(step)
        ]
        by_filter = ids(queryset.filter(after(ordering, values)))
        rest = ids(queryset)[ids(queryset).index(pivot.pk) + 1 :]
        assert by_steps == by_filter == rest


def test_a_cursor_survives_an_encoding_round_trip(owner):
    [image] = add_images(owner, 1)
    cursor = encode_cursor([image.created, image.pk], RECENT)
    assert decode_cursor(cursor, RECENT) == [image.created, image.pk]


@pytest.mark.parametrize("cursor", ["", "garbage", "a:b:c", "x" * 500])
def test_a_malformed_cursor_is_refused(db, cursor):
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor or "nope", RECENT)


def test_a_forged_cursor_is_refused(owner):
    [image] = add_images(owner, 1)
    good = encode_cursor([image.created, image.pk], RECENT)
    payload, signature = good.rsplit(":", 1)
    forged = signing.dumps([{"t": image.created.isoformat()}, 1], compress=False)
    with pytest.raises(InvalidCursor):
        decode_cursor(forged, RECENT)
    with pytest.raises(InvalidCursor):
        decode_cursor(f"{payload[:-2]}AA:{signature}", RECENT)


def test_a_cursor_made_for_another_ordering_or_salt_is_refused(owner):
    [image] = add_images(owner, 1)
    recent = encode_cursor([image.created, image.pk], RECENT)
    with pytest.raises(InvalidCursor):
        decode_cursor(recent, POPULAR)
    with pytest.raises(InvalidCursor):
        decode_cursor(recent, RECENT, salt="liked")


def test_it_pages_over_annotations(owner):
    images = add_images(owner, 5)
    queryset = Image.objects.annotate(moment=F("created"), key=F("id"))
    seen, _ = walk(queryset, ("-moment", "-key"), 2)
    assert seen == ids(reversed(images))
