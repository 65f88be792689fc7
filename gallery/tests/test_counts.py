"""like_count and comment_count stay equal to their rows when a person or an
image is deleted (a deleted person's comments stay, by "deleted user"), and
recount repairs counts written around the services."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count

from gallery.comments import add
from gallery.counts import recount
from gallery.likes import like
from gallery.models import Comment, Image, Like
from gallery.storing import delete_image

User = get_user_model()


def assert_counts_exact():
    for image in Image.objects.annotate(
        likes_n=Count("likes", distinct=True), comments_n=Count("comments", distinct=True)
    ):
        assert (image.like_count, image.comment_count) == (image.likes_n, image.comments_n), image


@pytest.fixture
def busy(owner, other, staff, make_image):
    """Two of owner's images and one of other's, liked and commented on by everyone."""
    images = [
        make_image(owner, visibility="public"),
        make_image(owner, visibility="public"),
        make_image(other, visibility="public"),
    ]
    for person in (owner, other, staff):
        for image in images:
            like(person, image)
            add(person, image, "one")
        add(person, images[0], "two")
    assert_counts_exact()
    return images


def test_deleting_a_person_lowers_the_likes_and_keeps_their_comments(owner, other, busy):
    other.delete()
    first, second = Image.objects.filter(pk__in=[busy[0].pk, busy[1].pk]).order_by("pk")
    assert (first.like_count, first.comment_count) == (2, 6)
    assert (second.like_count, second.comment_count) == (2, 3)
    assert Comment.objects.filter(image=first, user=None).count() == 2  # by "deleted user"
    assert not Image.objects.filter(pk=busy[2].pk).exists()  # their own image went with them
    assert_counts_exact()


def test_deleting_people_in_bulk_keeps_every_count_exact(busy):
    User.objects.filter(username__in=["other", "staff"]).delete()
    image = Image.objects.get(pk=busy[0].pk)
    assert (image.like_count, image.comment_count) == (1, 6)
    assert_counts_exact()


def test_deleting_the_owner_of_every_image_leaves_nothing_behind(owner, other, busy):
    owner.delete()
    other.delete()
    assert not Image.objects.exists() and not Like.objects.exists()
    assert not Comment.objects.exists()


def test_deleting_a_person_who_never_liked_or_commented_changes_no_count(busy):
    User.objects.create(username="lurker").delete()
    assert Image.objects.get(pk=busy[0].pk).like_count == 3
    assert_counts_exact()


def test_deleting_an_image_takes_its_likes_and_comments_and_no_other_count_moves(
    busy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delete_image(busy[0])
    assert not Like.objects.filter(image_id=busy[0].pk).exists()
    assert not Comment.objects.filter(image_id=busy[0].pk).exists()
    assert Image.objects.get(pk=busy[1].pk).like_count == 3
    assert_counts_exact()


def test_recount_repairs_counts_written_around_the_services(busy):
    Image.objects.update(like_count=99, comment_count=0)
    assert recount() == 3
    assert_counts_exact()


def test_recount_of_some_images_leaves_the_others(busy):
    Image.objects.update(like_count=99)
    recount(Image.objects.filter(pk=busy[0].pk))
    assert Image.objects.get(pk=busy[0].pk).like_count == 3
    assert Image.objects.get(pk=busy[1].pk).like_count == 99
