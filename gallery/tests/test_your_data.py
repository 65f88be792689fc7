"""Settings' "Download my data" (a ZIP of one's images with their recipes and
a profile.json) and "Delete my account" (password, then everything of the
person and their files goes, nobody else's): as the person sees them."""

import io
import json
import zipfile

from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image as PILImage

from accounts.models import ApiToken
from accounts.tokens import create_token
from gallery import comments, likes
from gallery.models import Comment, Follow, Image, Like, Subscription, Topic
from tests.fixtures import PASSWORD


def exported(client) -> zipfile.ZipFile:
    response = client.post("/me/export/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_settings_offer_both(owner_client):
    page = owner_client.get("/me/profile/").text
    assert 'action="/me/export/"' in page and "Download my data" in page
    assert 'href="/me/delete/"' in page and "Delete my account" in page


def test_the_zip_holds_my_originals_with_their_recipes_and_my_profile(
    owner, other, owner_client, make_image
):
    topic = Topic.objects.create(owner=owner, slug="harbours", name="Harbours")
    mine = make_image(owner, prompt="a lighthouse", topic=topic, visibility="public")
    make_image(owner, prompt="a second one")
    theirs = make_image(other, prompt="someone else's secret", visibility="public")
    likes.like(owner, theirs)
    comments.add(owner, theirs, "Lovely light")
    Follow.objects.create(follower=owner, followed=other)

    archive = exported(owner_client)
    names = sorted(archive.namelist())
    assert names == [
        f"images/{mine.pk}-a-lighthouse.json",
        f"images/{mine.pk}-a-lighthouse.png",
        f"images/{mine.pk + 1}-a-second-one.json",
        f"images/{mine.pk + 1}-a-second-one.png",
        "profile.json",
    ]
    entry = json.loads(archive.read(f"images/{mine.pk}-a-lighthouse.json"))
    assert entry["recipe"] == mine.recipe and entry["topic"] == "harbours"
    original = archive.read(f"images/{mine.pk}-a-lighthouse.png")
    with default_storage.open(mine.file.name, "rb") as stored:
        assert original == stored.read()
    with PILImage.open(io.BytesIO(original)) as opened:
        assert "a lighthouse" in opened.text["parameters"]
    profile = json.loads(archive.read("profile.json"))
    assert profile["username"] == "owner"
    assert [t["slug"] for t in profile["topics"]] == ["harbours"]
    assert [c["text"] for c in profile["comments"]] == ["Lovely light"]
    assert profile["likes"] == [theirs.pk] and profile["follows"] == ["other"]
    everything = b"".join(archive.read(name) for name in names)
    assert b"someone else's secret" not in everything


def test_an_empty_gallery_exports_its_profile_only(other_client):
    assert exported(other_client).namelist() == ["profile.json"]


def test_exports_are_rate_limited(owner_client, settings):
    settings.ATELIER_RATE_EXPORTS = "1/h"
    exported(owner_client)
    again = owner_client.post("/me/export/")
    assert again.status_code == 429 and int(again["Retry-After"]) > 0


def test_an_export_while_another_is_being_built_is_refused(owner, owner_client, make_image):
    from django.core.cache import cache

    make_image(owner)
    cache.add(f"gallery.export.building:{owner.pk}", True, 60)  # another request's
    refused = owner_client.post("/me/export/", follow=True)
    assert "already being prepared" in refused.text
    cache.delete(f"gallery.export.building:{owner.pk}")
    assert "images/" in " ".join(exported(owner_client).namelist())


def test_a_visitor_is_sent_to_log_in(db):
    assert Client().post("/me/export/").status_code == 302
    assert Client().get("/me/delete/").status_code == 302


def world(owner, other, make_image):
    topic = Topic.objects.create(owner=owner, slug="harbours", name="Harbours")
    mine = [make_image(owner, visibility="public", topic=topic) for _ in range(2)]
    theirs = make_image(other, visibility="public", topic=topic)
    comments.add(owner, theirs, "Mine, on theirs")
    comments.add(other, mine[0], "Theirs, on mine")
    likes.like(owner, theirs)
    Subscription.objects.create(user=other, topic=topic)
    create_token(owner, "script")
    return mine, theirs


def test_the_confirmation_names_what_will_go(owner, other, owner_client, make_image):
    world(owner, other, make_image)
    page = owner_client.get("/me/delete/").text
    assert "2 images and their files" in page
    assert "1 topic you made" in page
    assert "Your 1 comment on others’ images stays in their threads" in page
    assert 'type="password"' in page


def test_a_wrong_password_deletes_nothing(owner, other, owner_client, make_image):
    mine, _ = world(owner, other, make_image)
    response = owner_client.post("/me/delete/", {"password": "not it"})
    assert response.status_code == 200
    assert "That is not your password; nothing was deleted." in response.text
    assert Image.objects.filter(owner=owner).count() == 2
    assert all(default_storage.exists(image.file.name) for image in mine)
    assert owner_client.get("/me/profile/").status_code == 200


def test_password_guesses_are_rate_limited(owner, other, owner_client, make_image, settings):
    settings.ATELIER_RATE_ACCOUNT_DELETION = "2/h"
    world(owner, other, make_image)
    for _ in range(2):
        assert owner_client.post("/me/delete/", {"password": "guess"}).status_code == 200
    refused = owner_client.post("/me/delete/", {"password": PASSWORD})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert type(owner).objects.filter(pk=owner.pk).exists()


def test_leaving_deletes_me_and_my_files_and_nobody_elses(
    owner, other, owner_client, make_image, django_capture_on_commit_callbacks
):
    mine, theirs = world(owner, other, make_image)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post("/me/delete/", {"password": PASSWORD}, follow=True)
    assert "Your account and everything in it were deleted." in response.text
    assert owner_client.get("/me/profile/").status_code == 302  # logged out
    assert not type(owner).objects.filter(pk=owner.pk).exists()
    for image in mine:
        assert not default_storage.exists(image.file.name)
        assert not default_storage.exists(image.thumbnail.name)
    assert not Image.objects.filter(owner_id=owner.pk).exists()
    assert not Topic.objects.filter(owner_id=owner.pk).exists()
    assert not Comment.objects.filter(user_id=owner.pk).exists()
    assert not Comment.objects.filter(text="Theirs, on mine").exists()  # went with my image
    assert not Like.objects.filter(user_id=owner.pk).exists()
    assert not ApiToken.objects.filter(user_id=owner.pk).exists()
    # The other person's image, its file and counts: there, and exact; my
    # comment on it stays, by "deleted user".
    theirs.refresh_from_db()
    assert default_storage.exists(theirs.file.name)
    assert (theirs.like_count, theirs.comment_count) == (0, 1)
    assert Comment.objects.get(image=theirs).user is None
    assert theirs.topic is None  # the topic was the leaver's
    assert type(other).objects.filter(pk=other.pk).exists()


def test_my_comments_stay_readable_in_others_threads_as_deleted_user(
    owner, other, owner_client, other_client, make_image
):
    theirs = make_image(other, visibility="public")
    comments.add(owner, theirs, "Mine, on theirs")
    comments.add(other, theirs, "Thanks!")
    owner_client.post("/me/delete/", {"password": PASSWORD})
    for client in (other_client, Client()):
        for page in (f"/images/{theirs.pk}/", f"/images/{theirs.pk}/panel/"):
            html = client.get(page).text
            assert "Mine, on theirs" in html and "Thanks!" in html, page
            assert "deleted user" in html and "/u/owner/" not in html, page
    listed = other_client.get(f"/api/v1/images/{theirs.pk}/comments/").json()
    by_text = {c["text"]: c for c in listed["results"]}
    assert by_text["Mine, on theirs"]["user"] is None
    assert by_text["Mine, on theirs"]["display_name"] == "deleted user"
    assert by_text["Mine, on theirs"]["avatar_url"] is None
    assert by_text["Thanks!"]["user"] == "other"
    assert other_client.get(f"/api/v1/images/{theirs.pk}/").json()["comment_count"] == 2
    # No one may edit it any more; the image's owner may still delete it.
    kept = Comment.objects.get(text="Mine, on theirs")
    edit = other_client.patch(
        f"/api/v1/comments/{kept.pk}/", {"text": "hijacked"}, content_type="application/json"
    )
    assert edit.status_code in (403, 404)
    assert other_client.delete(f"/api/v1/comments/{kept.pk}/").status_code == 204
    theirs.refresh_from_db()
    assert theirs.comment_count == 1
