"""The authorization matrix: every route that changes something, on the pages
and in the API, for a visitor, the owner, another person and staff — the
answer, and that a refused request changed nothing (every row, every count,
every file in storage). Then who may see a private image: its page, files and
API, its comments, and every feed, search and count that must not show it.

Each line of a table is one rule: who, the request, the answer, and what an
allowed request changes. A rule without an effect asserts that nothing
changed at all. ``{public}``, ``{topic}``… name the objects of the world below.

The rules (DESIGN.md, docs/decisions.md): another person's private object is a
404; a refused change to a visible object is a 403 in the API, and on the pages
a 404 for images, topics and jobs (whatever their visibility) and a 403 for
comments; a visitor is sent to log in (pages) or gets a 401 (API); staff may
change or delete any image and topic and delete any comment, but edit only
their own comments; the image's owner may delete comments on it; changes are
POST/DELETE/PATCH only; page forms need their CSRF token."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage
from rest_framework.test import APIClient

from accounts.models import ApiToken, Profile
from accounts.tokens import create_token
from gallery import comments, likes
from gallery.models import Comment, Follow, Image, Like, Subscription, Topic
from moderation.models import Report
from notifications.models import MutedKind, Notification
from studio.models import GeneratePreference, GenerationJob, ModelPreset, Style
from tests.fixtures import PASSWORD, png_bytes, served, stored_files

PEOPLE = ("anonymous", "owner", "other", "staff")
LOGIN = "login"  # pages: a redirect to the login page
FOUND = "redirect"  # pages: done, and a redirect somewhere other than the login page


# ---- The world every rule starts from ---------------------------------------------


@dataclass
class World:
    people: dict
    objects: dict
    pages: dict = field(default_factory=dict)
    api: dict = field(default_factory=dict)

    def key(self, name: str) -> str:
        obj = self.people[name] if name in self.people else self.objects[name]
        if isinstance(obj, ModelPreset):
            return obj.key
        return str(obj.slug if isinstance(obj, Topic) else obj.pk)

    def fill(self, text: str) -> str:
        """``text`` with each ``{name}`` replaced by that object's id or slug."""
        return re.sub(r"\{(\w+)\}", lambda m: self.key(m.group(1)), text)

    def value(self, value):
        """A lookup value: a person or object named, or the value itself."""
        if isinstance(value, str) and value in self.people:
            return self.people[value].pk
        if isinstance(value, str) and value in self.objects:
            return self.objects[value].pk
        return value


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Three people per test: hash their passwords quickly."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(owner, other, staff, make_image, isolated_storage) -> World:
    """The owner has a topic with a public, an unlisted and a private image.
    The other person subscribes to the topic and liked the public image and the
    private one (before it became private, hence still counted); the owner and
    the other person commented on the public image, the owner on the private
    one; the owner has a queued generation."""
    topic = Topic.objects.create(owner=owner, slug="night-sky", name="Night sky")
    public = make_image(owner, visibility="public", prompt="a zebra at noon", topic=topic)
    unlisted = make_image(owner, visibility="unlisted", prompt="a zebra at dusk", topic=topic)
    private = make_image(owner, visibility="public", prompt="a zebra at midnight", topic=topic)
    Image.objects.filter(pk=public.pk).update(title="Public Zebra")
    likes.like(other, public)
    likes.like(other, private)
    Image.objects.filter(pk=private.pk).update(visibility="private", title="Hidden Zebra")
    Subscription.objects.create(user=other, topic=topic)
    Follow.objects.create(follower=other, followed=owner)
    job = GenerationJob.objects.create(
        owner=owner, model="tiny", request={"prompt": "a queued zebra", "n": 1}
    )
    people = {"owner": owner, "other": other, "staff": staff}
    objects = {
        "topic": topic,
        "public": public,
        "unlisted": unlisted,
        "private": private,
        "comment": comments.add(owner, public, "The owner's own words"),
        "reply": comments.add(other, public, "Another person's words"),
        "private_comment": comments.add(owner, private, "A note to self"),
        "job": job,
        "preset": ModelPreset.objects.get(key="sd-turbo"),
        "owner_profile": Profile.objects.get(user=owner),
        "other_profile": Profile.objects.get(user=other),
        # The other person's like of the public image, as the owner is told.
        "note": Notification.objects.get(recipient=owner, kind="like", image=public),
        "style": Style.objects.create(owner=owner, name="Teal", prompt="{prompt}, teal"),
    }
    for obj in objects.values():
        obj.refresh_from_db()
    world = World(people=people, objects=objects)
    world.pages["anonymous"] = Client()
    world.api["anonymous"] = APIClient()
    for name, user in people.items():
        world.pages[name] = Client()
        world.pages[name].force_login(user)
        world.api[name] = APIClient()
        world.api[name].credentials(HTTP_AUTHORIZATION=f"Token {create_token(user, 'test')[1]}")
    return world


# ---- Snapshots: every row and every file ------------------------------------------


TRACKED = [
    get_user_model(),
    Profile,
    ApiToken,
    Topic,
    Subscription,
    Image,
    Like,
    Comment,
    GenerationJob,
    GenerationJob.images.through,
    GeneratePreference,
    ModelPreset,
    Follow,
    Notification,
    MutedKind,
    Style,
    Report,
]


@dataclass(frozen=True)
class Snapshot:
    tables: dict  # model label → {pk: row}
    files: frozenset

    def rows(self, model) -> dict:
        return self.tables[model._meta.label]

    def matching(self, model, lookup: dict) -> list[dict]:
        return [row for row in self.rows(model).values() if _matches(model, row, lookup)]


def _matches(model, row: dict, lookup: dict) -> bool:
    return all(row[model._meta.get_field(name).attname] == value for name, value in lookup.items())


def snapshot() -> Snapshot:
    tables = {}
    for model in TRACKED:
        pk = model._meta.pk.attname
        rows = {}
        for row in model.objects.order_by(pk).values():
            row.pop("last_login", None)  # logging in is not a change to the data
            row.pop("last_used", None)  # nor is using an API token
            rows[row[pk]] = row
        tables[model._meta.label] = rows
    return Snapshot(tables, frozenset(stored_files()))


def assert_counts_exact(state: Snapshot) -> None:
    """Every image's like and comment counts equal its rows (comments that
    others see: a hidden one is not counted)."""
    for image in state.rows(Image).values():
        likes_ = len(state.matching(Like, {"image": image["id"]}))
        comments_ = len(state.matching(Comment, {"image": image["id"], "hidden_at": None}))
        assert (image["like_count"], image["comment_count"]) == (likes_, comments_), image["id"]


def assert_unchanged(before: Snapshot, after: Snapshot) -> None:
    for label, rows in before.tables.items():
        assert after.tables[label] == rows, f"{label} changed"
    assert after.files == before.files, "the files in storage changed"


# ---- What an allowed request changes ----------------------------------------------


@dataclass(frozen=True)
class Added:
    """One new row matching the lookup (values may name people and objects),
    belonging to the person who asked (its ``user`` or ``owner``)."""

    model: type
    lookup: dict

    def check(self, world, who, before, after):
        lookup = {name: world.value(value) for name, value in self.lookup.items()}
        new = [
            row
            for pk, row in after.rows(self.model).items()
            if pk not in before.rows(self.model) and _matches(self.model, row, lookup)
        ]
        assert len(new) == 1, f"expected one new {self.model.__name__} {self.lookup}: {new}"
        assert _belongs_to(self.model, new[0]) == world.people[who].pk
        if self.model is Image:  # its original and thumbnail are in storage
            assert len(after.files - before.files) == 2, "expected an original and a thumbnail"

    def __repr__(self):
        return f"adds a {self.model.__name__}"


def _belongs_to(model, row: dict):
    return row[f"{_owner_field(model)}_id"]


def added(model, /, **lookup) -> Added:
    return Added(model, lookup)


@dataclass(frozen=True)
class Removed:
    """The one row of the person who asked that matches the lookup is gone."""

    model: type
    lookup: dict

    def check(self, world, who, before, after):
        lookup = {name: world.value(value) for name, value in self.lookup.items()}
        lookup[_owner_field(self.model)] = world.people[who].pk
        assert len(before.matching(self.model, lookup)) == 1
        assert after.matching(self.model, lookup) == [], f"{self.model.__name__} still there"

    def __repr__(self):
        return f"removes a {self.model.__name__}"


def _owner_field(model) -> str:
    return next(
        n
        for n in ("user", "owner", "follower", "recipient", "reporter")
        if any(f.name == n for f in model._meta.fields)
    )


def removed(model, /, **lookup) -> Removed:
    return Removed(model, lookup)


@dataclass(frozen=True)
class Gone:
    """The named object is deleted (an image with its files)."""

    name: str

    def check(self, world, who, before, after):
        obj = world.objects[self.name]
        assert obj.pk in before.rows(type(obj))
        assert obj.pk not in after.rows(type(obj)), f"{self.name} was not deleted"
        if isinstance(obj, Image):
            files = {obj.file.name, obj.thumbnail.name}
            assert files <= before.files and not files & after.files, "files left behind"

    def __repr__(self):
        return f"deletes {self.name}"


def gone(name) -> Gone:
    return Gone(name)


@dataclass(frozen=True)
class Changed:
    """The named object now has these values (and did not before)."""

    name: str
    values: dict

    def check(self, world, who, before, after):
        obj = world.objects[self.name]
        model = type(obj)
        assert not _matches(model, before.rows(model)[obj.pk], self.values)
        assert _matches(model, after.rows(model)[obj.pk], self.values), f"{self.name} unchanged"

    def __repr__(self):
        return f"changes {self.name}"


def changed(name, /, **values) -> Changed:
    return Changed(name, values)


CANCELLED = changed("job", status="cancelled")


@dataclass(frozen=True)
class Read:
    """The named notification is now read (and was not before)."""

    name: str

    def check(self, world, who, before, after):
        pk = world.objects[self.name].pk
        assert before.rows(Notification)[pk]["read_at"] is None
        assert after.rows(Notification)[pk]["read_at"] is not None, f"{self.name} unread"

    def __repr__(self):
        return f"marks {self.name} read"


NOTE_READ = Read("note")


@dataclass(frozen=True)
class Left:
    """The person who asked is deleted with their images and those images'
    files; every other person's images and files are still there."""

    def check(self, world, who, before, after):
        pk = world.people[who].pk
        users = get_user_model()
        assert pk in before.rows(users) and pk not in after.rows(users), f"{who} still there"
        theirs = before.matching(Image, {"owner": pk})
        others = [row for row in before.rows(Image).values() if row["owner_id"] != pk]
        their_files = {name for row in theirs for name in (row["file"], row["thumbnail"])}
        assert not any(row["id"] in after.rows(Image) for row in theirs), "images left"
        assert all(row["id"] in after.rows(Image) for row in others), "others' images gone"
        assert not their_files & after.files, "files left behind"
        assert after.files == before.files - their_files, "others' files changed"

    def __repr__(self):
        return "deletes the account"


LEFT = Left()


# ---- The request bodies, one per kind of route ------------------------------------


def upload_body(**fields) -> Callable[[], dict]:
    def body():
        # Not the world's picture: an upload that looks like one of the owner's
        # images is stored but answered with the result page (gallery.uploads).
        fresh = PILImage.linear_gradient("L").rotate(-90).resize((64, 48)).convert("RGB")
        file = SimpleUploadedFile("new.png", png_bytes(fresh), content_type="image/png")
        return {"file": file, **fields}

    return body


GENERATE = {"prompt": "a zebra in space", "model": "tiny", "width": "64", "height": "64"}
BODIES = [  # (method and path pattern, body); the first that matches
    (r"POST /images/\w+/edit/", {"title": "New", "description": "", "visibility": "unlisted"}),
    (r"POST /images/\w+/comments/", {"text": "New"}),
    (r"POST /comments/\w+/edit/", {"text": "New"}),
    (r"POST /topics/new/", {"name": "New", "description": "A new one"}),
    (r"POST /topics/[\w-]+/edit/", {"name": "New", "description": ""}),
    (r"POST /upload/", upload_body(topic="{topic}", visibility="public")),
    (r"POST /me/profile/", {"display_name": "New", "bio": "A bio"}),
    (r"POST /generate/", {**GENERATE, "topic": "{topic}", "visibility": "public"}),
    (r"POST /models/[\w-]+/enable/", {"enabled": "0"}),
    (r"POST /jobs/[\w-]+/images/\w+/visibility/", {"visibility": "public"}),
    (r"POST /jobs/[\w-]+/images/\w+/move/", {"topic": ""}),
    (r"POST /api/v1/generations/", GENERATE),
    (r"POST /api/v1/images/", upload_body(visibility="public")),
    (r"PATCH /api/v1/images/\w+/", {"title": "New"}),
    (r"POST /api/v1/images/\w+/comments/", {"text": "New"}),
    (r"PATCH /api/v1/comments/\w+/", {"text": "New"}),
    (r"POST /api/v1/topics/", {"name": "New"}),
    (r"PATCH /api/v1/topics/[\w-]+/", {"name": "New"}),
    (r"PATCH /api/v1/profiles/me/", {"display_name": "New"}),
    (r"POST /me/images/bulk/", {"action": "publish", "ids": "{private}", "confirmed": "1"}),
    (r"POST /me/delete/", {"password": PASSWORD}),
    (r"POST /api/v1/profiles/me/delete/", {"password": PASSWORD}),
    (r"POST /api/v1/images/bulk/", {"action": "publish", "ids": ["{private}"]}),
    (r"POST /styles/(\w+/)?", {"name": "New", "prompt": "new"}),
    (r"POST /api/v1/styles/", {"name": "New", "prompt": "new"}),
    (r"PATCH /api/v1/styles/\w+/", {"name": "New"}),
    (r"POST /report/\w+/[^/]+/", {"reason": "spam"}),
    (r"POST /api/v1/reports/", {"kind": "image", "target_id": "{public}", "reason": "spam"}),
    (r"POST /moderation/\w+/\w+/act/", {"action": "hide", "reason": "Off-topic"}),
    (r"POST /api/v1/moderation/\w+/\w+/", {"action": "hide", "reason": "Off-topic"}),
]


def _filled(world: World, value):
    if isinstance(value, str):
        return world.fill(value)
    if isinstance(value, list):  # a JSON list of ids
        return [int(world.fill(v)) for v in value]
    return value


def body_for(world: World, method: str, url: str) -> dict:
    for pattern, body in BODIES:
        if re.fullmatch(pattern, f"{method} {url}"):
            body = body() if callable(body) else dict(body)
            return {k: _filled(world, v) for k, v in body.items()}
    return {}


# ---- Rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    who: str
    method: str
    url: str  # with {names}
    expect: int | str
    effects: tuple = ()

    @property
    def id(self) -> str:
        done = ", ".join(map(repr, self.effects)) or "changes nothing"
        return f"{self.who} {self.method} {self.url} -> {self.expect}, {done}"


def rule(who: str, request: str, expect, *effects) -> Rule:
    method, url = request.split(" ", 1)
    assert who in PEOPLE, who
    return Rule(who, method, url, expect, effects)


# A generation that goes through asks for the tiny preset, which is offered only
# where the local engine is installed.
GENERATING = {"/generate/", "/api/v1/generations/"}


def rules(table):
    return pytest.mark.parametrize(
        "rule",
        [
            pytest.param(
                r,
                id=r.id,
                marks=pytest.mark.local_engine
                if (r.url in GENERATING or r.url.startswith("/generate/")) and r.effects
                else (),
            )
            for r in table
        ],
    )


PAGE_RULES = [
    # Deleting an image: its owner and staff; a 404 for anyone else, whatever its visibility.
    rule("anonymous", "POST /images/{public}/delete/", LOGIN),
    rule("anonymous", "POST /images/{private}/delete/", LOGIN),
    rule("owner", "POST /images/{private}/delete/", FOUND, gone("private")),
    rule("owner", "POST /images/{public}/delete/", FOUND, gone("public")),
    rule("other", "POST /images/{public}/delete/", 404),
    rule("other", "POST /images/{unlisted}/delete/", 404),
    rule("other", "POST /images/{private}/delete/", 404),
    rule("staff", "POST /images/{private}/delete/", FOUND, gone("private")),
    rule("staff", "POST /images/{public}/delete/", FOUND, gone("public")),
    # Editing an image: the same people.
    rule("anonymous", "POST /images/{public}/edit/", LOGIN),
    rule("anonymous", "POST /images/{private}/edit/", LOGIN),
    rule("owner", "POST /images/{private}/edit/", FOUND, changed("private", title="New")),
    rule("owner", "POST /images/{public}/edit/", FOUND, changed("public", title="New")),
    rule("other", "POST /images/{public}/edit/", 404),
    rule("other", "POST /images/{unlisted}/edit/", 404),
    rule("other", "POST /images/{private}/edit/", 404),
    rule("staff", "POST /images/{private}/edit/", FOUND, changed("private", title="New")),
    rule("staff", "POST /images/{public}/edit/", FOUND, changed("public", title="New")),
    # Liking: anyone who can see the image; twice is once.
    rule("anonymous", "POST /images/{public}/like/", LOGIN),
    rule("anonymous", "POST /images/{private}/like/", LOGIN),
    rule("owner", "POST /images/{public}/like/", FOUND, added(Like, image="public")),
    rule("owner", "POST /images/{private}/like/", FOUND, added(Like, image="private")),
    rule("other", "POST /images/{unlisted}/like/", FOUND, added(Like, image="unlisted")),
    rule("other", "POST /images/{public}/like/", FOUND),  # already liked
    rule("other", "POST /images/{private}/like/", 404),
    rule("staff", "POST /images/{private}/like/", FOUND, added(Like, image="private")),
    # Unliking (a form's POST, or htmx's DELETE): a private image keeps the like it had.
    rule("anonymous", "POST /images/{public}/unlike/", LOGIN),
    rule("anonymous", "DELETE /images/{public}/like/", LOGIN),
    rule("other", "POST /images/{public}/unlike/", FOUND, removed(Like, image="public")),
    rule("other", "DELETE /images/{public}/like/", FOUND, removed(Like, image="public")),
    rule("other", "POST /images/{private}/unlike/", 404),
    rule("other", "DELETE /images/{private}/like/", 404),
    rule("owner", "POST /images/{public}/unlike/", FOUND),  # had not liked it
    rule("staff", "DELETE /images/{private}/like/", FOUND),  # had not liked it
    # Commenting: anyone who can see the image.
    rule("anonymous", "POST /images/{public}/comments/", LOGIN),
    rule("anonymous", "POST /images/{private}/comments/", LOGIN),
    rule("owner", "POST /images/{private}/comments/", FOUND, added(Comment, image="private")),
    rule("other", "POST /images/{public}/comments/", FOUND, added(Comment, image="public")),
    rule("other", "POST /images/{unlisted}/comments/", FOUND, added(Comment, image="unlisted")),
    rule("other", "POST /images/{private}/comments/", 404),
    rule("staff", "POST /images/{private}/comments/", FOUND, added(Comment, image="private")),
    # Editing a comment: its author only (a 403 on a visible image, a 404 on a private one).
    rule("anonymous", "POST /comments/{comment}/edit/", LOGIN),
    rule("anonymous", "POST /comments/{private_comment}/edit/", LOGIN),
    rule("owner", "POST /comments/{comment}/edit/", FOUND, changed("comment", text="New")),
    rule("owner", "POST /comments/{reply}/edit/", 403),
    rule("other", "POST /comments/{reply}/edit/", FOUND, changed("reply", text="New")),
    rule("other", "POST /comments/{comment}/edit/", 403),
    rule("other", "POST /comments/{private_comment}/edit/", 404),
    rule("staff", "POST /comments/{comment}/edit/", 403),
    rule("staff", "POST /comments/{private_comment}/edit/", 403),
    # Deleting a comment: its author, the image's owner, staff.
    rule("anonymous", "POST /comments/{comment}/delete/", LOGIN),
    rule("anonymous", "POST /comments/{private_comment}/delete/", LOGIN),
    rule("owner", "POST /comments/{comment}/delete/", FOUND, gone("comment")),
    rule("owner", "POST /comments/{reply}/delete/", FOUND, gone("reply")),
    rule("other", "POST /comments/{reply}/delete/", FOUND, gone("reply")),
    rule("other", "POST /comments/{comment}/delete/", 403),
    rule("other", "POST /comments/{private_comment}/delete/", 404),
    rule("staff", "POST /comments/{comment}/delete/", FOUND, gone("comment")),
    rule("staff", "POST /comments/{private_comment}/delete/", FOUND, gone("private_comment")),
    # Topics: anyone signed in creates one; its owner and staff edit and delete it.
    rule("anonymous", "POST /topics/new/", LOGIN),
    rule("owner", "POST /topics/new/", FOUND, added(Topic, name="New")),
    rule("other", "POST /topics/new/", FOUND, added(Topic, name="New")),
    rule("staff", "POST /topics/new/", FOUND, added(Topic, name="New")),
    rule("anonymous", "POST /topics/{topic}/edit/", LOGIN),
    rule("owner", "POST /topics/{topic}/edit/", FOUND, changed("topic", name="New")),
    rule("other", "POST /topics/{topic}/edit/", 404),
    rule("staff", "POST /topics/{topic}/edit/", FOUND, changed("topic", name="New")),
    rule("anonymous", "POST /topics/{topic}/delete/", LOGIN),
    rule("owner", "POST /topics/{topic}/delete/", FOUND, gone("topic")),
    rule("other", "POST /topics/{topic}/delete/", 404),
    rule("staff", "POST /topics/{topic}/delete/", FOUND, gone("topic")),
    # Subscribing: anyone signed in; twice (or unsubscribing when not) changes nothing.
    rule("anonymous", "POST /topics/{topic}/subscribe/", LOGIN),
    rule("owner", "POST /topics/{topic}/subscribe/", FOUND, added(Subscription)),
    rule("other", "POST /topics/{topic}/subscribe/", FOUND),  # already subscribed
    rule("staff", "POST /topics/{topic}/subscribe/", FOUND, added(Subscription)),
    rule("anonymous", "POST /topics/{topic}/unsubscribe/", LOGIN),
    rule("anonymous", "DELETE /topics/{topic}/subscribe/", LOGIN),
    rule("other", "POST /topics/{topic}/unsubscribe/", FOUND, removed(Subscription)),
    rule("other", "DELETE /topics/{topic}/subscribe/", FOUND, removed(Subscription)),
    rule("owner", "POST /topics/{topic}/unsubscribe/", FOUND),  # was not subscribed
    # Uploading: into one's own gallery, into any topic.
    rule("anonymous", "POST /upload/", LOGIN),
    rule("owner", "POST /upload/", FOUND, added(Image, topic="topic")),
    rule("other", "POST /upload/", FOUND, added(Image, topic="topic")),
    # One's own profile only.
    rule("anonymous", "POST /me/profile/", LOGIN),
    rule("owner", "POST /me/profile/", FOUND, changed("owner_profile", display_name="New")),
    rule("other", "POST /me/profile/", FOUND, changed("other_profile", display_name="New")),
    # Generating: into one's own gallery; a job is cancelled by its owner or staff.
    rule("anonymous", "POST /generate/", LOGIN),
    rule("other", "POST /generate/", FOUND, added(GenerationJob), added(GeneratePreference)),
    # Upscaling: any image one may see; another person's private one is a 404.
    rule("anonymous", "POST /generate/upscale/{public}/", LOGIN),
    rule(
        "other",
        "POST /generate/upscale/{public}/",
        FOUND,
        added(GenerationJob),
        added(GeneratePreference),
    ),
    rule("other", "POST /generate/upscale/{private}/", 404),
    rule("anonymous", "POST /jobs/{job}/cancel/", LOGIN),
    rule("owner", "POST /jobs/{job}/cancel/", FOUND, CANCELLED),
    rule("other", "POST /jobs/{job}/cancel/", 404),
    rule("staff", "POST /jobs/{job}/cancel/", FOUND, CANCELLED),
    # The job page's actions: its owner only (staff too get a 404: they would
    # make jobs in the owner's name); an image of another job is a 404 as well.
    *[
        rule(who, f"POST /jobs/{{job}}/{action}", expect)
        for action in (
            "again/",
            "images/{private}/visibility/",
            "images/{private}/move/",
            "images/{private}/more/",
        )
        for who, expect in (("anonymous", LOGIN), ("other", 404), ("staff", 404), ("owner", 404))
        if not (action == "again/" and who == "owner")  # test_workbench: a new job
    ],
    # Models: staff manage them (download, cancel, delete the files, turn off); no one else.
    *[
        rule(who, f"POST /models/{{preset}}/{action}/", expect)
        for action in ("download", "cancel", "delete", "enable")
        for who, expect in (("anonymous", LOGIN), ("owner", 403), ("other", 403))
    ],
    rule("staff", "POST /models/{preset}/enable/", FOUND, changed("preset", enabled=False)),
    rule("staff", "POST /models/{preset}/cancel/", FOUND),  # it was not downloading
    rule("staff", "POST /models/{preset}/delete/", FOUND),  # it had no files
    # Rescanning the models folder: staff only.
    rule("anonymous", "POST /models/rescan/", LOGIN),
    rule("owner", "POST /models/rescan/", 403),
    # Following: anyone signed in, anyone else; twice is once; oneself is refused.
    rule("anonymous", "POST /u/owner/follow/", LOGIN),
    rule("other", "POST /u/owner/follow/", FOUND),  # already follows
    rule("staff", "POST /u/owner/follow/", FOUND, added(Follow, followed="owner")),
    rule("owner", "POST /u/owner/follow/", FOUND),  # oneself: refused, with a message
    rule("anonymous", "POST /u/owner/unfollow/", LOGIN),
    rule("anonymous", "DELETE /u/owner/follow/", LOGIN),
    rule("other", "POST /u/owner/unfollow/", FOUND, removed(Follow, followed="owner")),
    rule("other", "DELETE /u/owner/follow/", FOUND, removed(Follow, followed="owner")),
    rule("staff", "POST /u/owner/unfollow/", FOUND),  # did not follow
    # Notifications: each person's own; staff are no exception.
    rule("anonymous", "POST /notifications/{note}/read/", LOGIN),
    rule("owner", "POST /notifications/{note}/read/", FOUND, NOTE_READ),
    rule("other", "POST /notifications/{note}/read/", 404),
    rule("staff", "POST /notifications/{note}/read/", 404),
    rule("anonymous", "POST /notifications/read/", LOGIN),
    rule("owner", "POST /notifications/read/", FOUND, NOTE_READ),
    rule("other", "POST /notifications/read/", FOUND),  # has none unread
    rule("anonymous", "POST /notifications/settings/", LOGIN),
    rule("owner", "POST /notifications/settings/", FOUND, added(MutedKind, kind="like")),
    # Bulk actions: one's own images (staff: anyone's); another's refused as a whole.
    rule("anonymous", "POST /me/images/bulk/", LOGIN),
    rule("owner", "POST /me/images/bulk/", FOUND, changed("private", visibility="public")),
    rule("other", "POST /me/images/bulk/", 404),  # another's private image
    rule("staff", "POST /me/images/bulk/", FOUND, changed("private", visibility="public")),
    # Your data: each person's own ZIP (a download, nothing changes); leaving
    # deletes the one who asks, with their images and files, and no one else's.
    rule("anonymous", "POST /me/export/", LOGIN),
    rule("owner", "POST /me/export/", 200),
    rule("other", "POST /me/export/", 200),
    rule("anonymous", "POST /me/delete/", LOGIN),
    rule("owner", "POST /me/delete/", FOUND, LEFT),
    rule("other", "POST /me/delete/", FOUND, LEFT),
    # Styles: anyone signed in saves their own; only its owner changes or deletes one.
    rule("anonymous", "POST /styles/", LOGIN),
    rule("other", "POST /styles/", FOUND, added(Style, name="New")),
    rule("anonymous", "POST /styles/{style}/", LOGIN),
    rule("owner", "POST /styles/{style}/", FOUND, changed("style", name="New")),
    rule("other", "POST /styles/{style}/", 404),
    rule("staff", "POST /styles/{style}/", 404),
    rule("anonymous", "POST /styles/{style}/delete/", LOGIN),
    rule("owner", "POST /styles/{style}/delete/", FOUND, gone("style")),
    rule("other", "POST /styles/{style}/delete/", 404),
    rule("staff", "POST /styles/{style}/delete/", 404),
    # Reporting: anyone signed in, what they can see and is not theirs.
    rule("anonymous", "POST /report/image/{public}/", LOGIN),
    rule("owner", "POST /report/image/{public}/", 400),
    rule("other", "POST /report/image/{public}/", FOUND, added(Report, target_id="public")),
    rule("other", "POST /report/image/{private}/", 404),
    rule("other", "POST /report/comment/{private_comment}/", 404),
    # A topic by its slug, a person by username, as their pages' addresses.
    rule("other", "POST /report/profile/owner/", FOUND, added(Report, kind="profile")),
    rule("owner", "POST /report/profile/owner/", 400),
    rule("other", "POST /report/topic/{topic}/", FOUND, added(Report, target_id="topic")),
    rule("owner", "POST /report/topic/{topic}/", 400),
    rule("staff", "POST /report/comment/{reply}/", FOUND, added(Report, target_id="reply")),
    # Moderating: staff only; a 403 for anyone else signed in. (The action
    # URLs name a target by id, the queue's links: moderation/tests cover topics.)
    rule("anonymous", "POST /moderation/image/{public}/act/", LOGIN),
    rule("owner", "POST /moderation/image/{public}/act/", 403),
    rule("other", "POST /moderation/image/{public}/act/", 403),
    rule(
        "staff",
        "POST /moderation/image/{public}/act/",
        FOUND,
        changed("public", hidden_by="moderators"),
    ),
    rule(
        "staff",
        "POST /moderation/comment/{reply}/act/",
        FOUND,
        changed("reply", hidden_by="moderators"),
    ),
]

API_RULES = [
    # Generations.
    rule("anonymous", "POST /api/v1/generations/", 401),
    rule("other", "POST /api/v1/generations/", 202, added(GenerationJob)),
    rule("anonymous", "POST /api/v1/generations/{job}/cancel/", 401),
    rule("owner", "POST /api/v1/generations/{job}/cancel/", 200, CANCELLED),
    rule("other", "POST /api/v1/generations/{job}/cancel/", 404),
    rule("staff", "POST /api/v1/generations/{job}/cancel/", 200, CANCELLED),
    # Images: upload, change, delete.
    rule("anonymous", "POST /api/v1/images/", 401),
    rule("other", "POST /api/v1/images/", 201, added(Image)),
    rule("anonymous", "PATCH /api/v1/images/{public}/", 401),
    rule("anonymous", "PATCH /api/v1/images/{private}/", 401),
    rule("owner", "PATCH /api/v1/images/{private}/", 200, changed("private", title="New")),
    rule("other", "PATCH /api/v1/images/{public}/", 403),
    rule("other", "PATCH /api/v1/images/{unlisted}/", 403),
    rule("other", "PATCH /api/v1/images/{private}/", 404),
    rule("staff", "PATCH /api/v1/images/{private}/", 200, changed("private", title="New")),
    rule("staff", "PATCH /api/v1/images/{public}/", 200, changed("public", title="New")),
    rule("anonymous", "DELETE /api/v1/images/{public}/", 401),
    rule("anonymous", "DELETE /api/v1/images/{private}/", 401),
    rule("owner", "DELETE /api/v1/images/{private}/", 204, gone("private")),
    rule("other", "DELETE /api/v1/images/{public}/", 403),
    rule("other", "DELETE /api/v1/images/{private}/", 404),
    rule("staff", "DELETE /api/v1/images/{public}/", 204, gone("public")),
    # Likes.
    rule("anonymous", "POST /api/v1/images/{public}/like/", 401),
    rule("owner", "POST /api/v1/images/{public}/like/", 201, added(Like)),
    rule("other", "POST /api/v1/images/{public}/like/", 200),  # already liked
    rule("other", "POST /api/v1/images/{unlisted}/like/", 201, added(Like, image="unlisted")),
    rule("other", "POST /api/v1/images/{private}/like/", 404),
    rule("staff", "POST /api/v1/images/{private}/like/", 201, added(Like)),
    rule("anonymous", "DELETE /api/v1/images/{public}/like/", 401),
    rule("other", "DELETE /api/v1/images/{public}/like/", 204, removed(Like, image="public")),
    rule("other", "DELETE /api/v1/images/{private}/like/", 404),
    rule("owner", "DELETE /api/v1/images/{public}/like/", 204),  # had not liked it
    # Comments.
    rule("anonymous", "POST /api/v1/images/{public}/comments/", 401),
    rule("owner", "POST /api/v1/images/{private}/comments/", 201, added(Comment, text="New")),
    rule("other", "POST /api/v1/images/{public}/comments/", 201, added(Comment)),
    rule("other", "POST /api/v1/images/{private}/comments/", 404),
    rule("staff", "POST /api/v1/images/{private}/comments/", 201, added(Comment)),
    rule("anonymous", "PATCH /api/v1/comments/{comment}/", 401),
    rule("owner", "PATCH /api/v1/comments/{comment}/", 200, changed("comment", text="New")),
    rule("owner", "PATCH /api/v1/comments/{reply}/", 403),
    rule("other", "PATCH /api/v1/comments/{reply}/", 200, changed("reply", text="New")),
    rule("other", "PATCH /api/v1/comments/{comment}/", 403),
    rule("other", "PATCH /api/v1/comments/{private_comment}/", 404),
    rule("staff", "PATCH /api/v1/comments/{comment}/", 403),
    rule("anonymous", "DELETE /api/v1/comments/{comment}/", 401),
    rule("owner", "DELETE /api/v1/comments/{comment}/", 204, gone("comment")),
    rule("owner", "DELETE /api/v1/comments/{reply}/", 204, gone("reply")),
    rule("other", "DELETE /api/v1/comments/{reply}/", 204, gone("reply")),
    rule("other", "DELETE /api/v1/comments/{comment}/", 403),
    rule("other", "DELETE /api/v1/comments/{private_comment}/", 404),
    rule("staff", "DELETE /api/v1/comments/{private_comment}/", 204, gone("private_comment")),
    # Topics and subscriptions (subscribing twice is a 400 here).
    rule("anonymous", "POST /api/v1/topics/", 401),
    rule("other", "POST /api/v1/topics/", 201, added(Topic, name="New")),
    rule("anonymous", "PATCH /api/v1/topics/{topic}/", 401),
    rule("owner", "PATCH /api/v1/topics/{topic}/", 200, changed("topic", name="New")),
    rule("other", "PATCH /api/v1/topics/{topic}/", 403),
    rule("staff", "PATCH /api/v1/topics/{topic}/", 200, changed("topic", name="New")),
    rule("anonymous", "DELETE /api/v1/topics/{topic}/", 401),
    rule("owner", "DELETE /api/v1/topics/{topic}/", 204, gone("topic")),
    rule("other", "DELETE /api/v1/topics/{topic}/", 403),
    rule("staff", "DELETE /api/v1/topics/{topic}/", 204, gone("topic")),
    rule("anonymous", "POST /api/v1/topics/{topic}/subscribe/", 401),
    rule("owner", "POST /api/v1/topics/{topic}/subscribe/", 201, added(Subscription)),
    rule("other", "POST /api/v1/topics/{topic}/subscribe/", 400),  # already subscribed
    rule("anonymous", "DELETE /api/v1/topics/{topic}/subscribe/", 401),
    rule("other", "DELETE /api/v1/topics/{topic}/subscribe/", 204, removed(Subscription)),
    rule("owner", "DELETE /api/v1/topics/{topic}/subscribe/", 400),  # was not subscribed
    # One's own profile only.
    rule("anonymous", "PATCH /api/v1/profiles/me/", 401),
    rule("owner", "PATCH /api/v1/profiles/me/", 200, changed("owner_profile", display_name="New")),
    rule("other", "PATCH /api/v1/profiles/me/", 200, changed("other_profile", display_name="New")),
    # Your data: each person's own ZIP; leaving deletes the one who asks only.
    rule("anonymous", "POST /api/v1/profiles/me/export/", 401),
    rule("owner", "POST /api/v1/profiles/me/export/", 200),
    rule("staff", "POST /api/v1/profiles/me/export/", 200),
    rule("anonymous", "POST /api/v1/profiles/me/delete/", 401),
    rule("owner", "POST /api/v1/profiles/me/delete/", 204, LEFT),
    rule("other", "POST /api/v1/profiles/me/delete/", 204, LEFT),
    # Following.
    rule("anonymous", "POST /api/v1/profiles/owner/follow/", 401),
    rule("other", "POST /api/v1/profiles/owner/follow/", 200),  # already follows
    rule("staff", "POST /api/v1/profiles/owner/follow/", 201, added(Follow, followed="owner")),
    rule("owner", "POST /api/v1/profiles/owner/follow/", 400),
    rule("anonymous", "DELETE /api/v1/profiles/owner/follow/", 401),
    rule("other", "DELETE /api/v1/profiles/owner/follow/", 204, removed(Follow, followed="owner")),
    rule("staff", "DELETE /api/v1/profiles/owner/follow/", 204),  # did not follow
    # Notifications.
    rule("anonymous", "POST /api/v1/notifications/{note}/read/", 401),
    rule("owner", "POST /api/v1/notifications/{note}/read/", 200, NOTE_READ),
    rule("other", "POST /api/v1/notifications/{note}/read/", 404),
    rule("staff", "POST /api/v1/notifications/{note}/read/", 404),
    rule("anonymous", "POST /api/v1/notifications/read/", 401),
    rule("owner", "POST /api/v1/notifications/read/", 200, NOTE_READ),
    rule("other", "POST /api/v1/notifications/read/", 200),  # has none unread
    rule("staff", "POST /api/v1/notifications/read/", 200),
    # Bulk actions.
    rule("anonymous", "POST /api/v1/images/bulk/", 401),
    rule("owner", "POST /api/v1/images/bulk/", 200, changed("private", visibility="public")),
    rule("other", "POST /api/v1/images/bulk/", 404),  # another's private image
    rule("staff", "POST /api/v1/images/bulk/", 200, changed("private", visibility="public")),
    # Styles.
    rule("anonymous", "POST /api/v1/styles/", 401),
    rule("other", "POST /api/v1/styles/", 201, added(Style, name="New")),
    rule("anonymous", "PATCH /api/v1/styles/{style}/", 401),
    rule("owner", "PATCH /api/v1/styles/{style}/", 200, changed("style", name="New")),
    rule("other", "PATCH /api/v1/styles/{style}/", 404),
    rule("staff", "PATCH /api/v1/styles/{style}/", 404),
    rule("anonymous", "DELETE /api/v1/styles/{style}/", 401),
    rule("owner", "DELETE /api/v1/styles/{style}/", 204, gone("style")),
    rule("other", "DELETE /api/v1/styles/{style}/", 404),
    rule("staff", "DELETE /api/v1/styles/{style}/", 404),
    # Reporting: anyone signed in, not their own.
    rule("anonymous", "POST /api/v1/reports/", 401),
    rule("owner", "POST /api/v1/reports/", 400),
    rule("other", "POST /api/v1/reports/", 201, added(Report, target_id="public")),
    rule("staff", "POST /api/v1/reports/", 201, added(Report, target_id="public")),
    # Moderating: staff only.
    rule("anonymous", "POST /api/v1/moderation/image/{public}/", 401),
    rule("owner", "POST /api/v1/moderation/image/{public}/", 403),
    rule("other", "POST /api/v1/moderation/image/{public}/", 403),
    rule("other", "POST /api/v1/moderation/image/{private}/", 403),
    rule(
        "staff",
        "POST /api/v1/moderation/image/{public}/",
        200,
        changed("public", hidden_by="moderators"),
    ),
    rule(
        "staff",
        "POST /api/v1/moderation/comment/{reply}/",
        200,
        changed("reply", hidden_by="moderators"),
    ),
]

# Reading a private image and what hangs off it. Reads change nothing either.
READ_RULES = [
    *[
        rule(who, f"GET {path}", expect)
        for path in (
            "/images/{private}/",
            "/images/{private}/file",
            "/images/{private}/download",
            "/images/{private}/thumb.webp",
        )
        for who, expect in (("anonymous", LOGIN), ("owner", 200), ("other", 404), ("staff", 200))
    ],
    *[
        rule(who, f"GET {path}", expect)
        for path in (
            "/api/v1/images/{private}/",
            "/api/v1/images/{private}/comments/",
            "/api/v1/comments/{private_comment}/",
        )
        for who, expect in (("anonymous", 404), ("owner", 200), ("other", 404), ("staff", 200))
    ],
    # The comment partials (htmx) of a private image.
    rule("anonymous", "GET /comments/{private_comment}/", 404),
    rule("other", "GET /comments/{private_comment}/", 404),
    rule("owner", "GET /comments/{private_comment}/", FOUND),  # to the comment on its page
    rule("anonymous", "GET /images/{private}/comments/?before=999999", LOGIN),
    rule("other", "GET /images/{private}/comments/?before=999999", 404),
    rule("other", "GET /comments/{private_comment}/edit/", 404),
    # An unlisted image is open to anyone with its address.
    rule("anonymous", "GET /images/{unlisted}/", 200),
    rule("anonymous", "GET /images/{unlisted}/thumb.webp", 200),
    rule("anonymous", "GET /api/v1/images/{unlisted}/", 200),
    # A generation is its owner's (and staff's).
    rule("anonymous", "GET /jobs/{job}/", LOGIN),
    rule("owner", "GET /jobs/{job}/", 200),
    rule("other", "GET /jobs/{job}/", 404),
    rule("other", "GET /jobs/{job}/status/", 404),
    rule("staff", "GET /jobs/{job}/", 200),
    rule("anonymous", "GET /jobs/queue/", LOGIN),
    rule("owner", "GET /jobs/queue/", 200),
    rule("anonymous", "GET /api/v1/generations/{job}/", 401),
    rule("owner", "GET /api/v1/generations/{job}/", 200),
    rule("other", "GET /api/v1/generations/{job}/", 404),
    rule("staff", "GET /api/v1/generations/{job}/", 200),
    # The models: everyone signed in sees the page; the API's list is open.
    *[rule(who, "GET /models/", expect) for who, expect in (("anonymous", LOGIN), ("other", 200))],
    rule("staff", "GET /models/", 200),
    *[rule(who, "GET /api/v1/models/", 200) for who in PEOPLE],
    # Notifications, and the Following feed, are each person's own.
    *[
        rule(who, f"GET {path}", 401 if who == "anonymous" else 200)
        for path in (
            "/api/v1/notifications/",
            "/api/v1/notifications/unread/",
            "/api/v1/images/?feed=following",
        )
        for who in PEOPLE
    ],
    *[
        rule(who, f"GET {path}", LOGIN if who == "anonymous" else 200)
        for path in ("/notifications/", "/notifications/settings/", "/explore/?feed=following")
        for who in PEOPLE
    ],
    # The moderation queue is staff's.
    rule("anonymous", "GET /moderation/", LOGIN),
    rule("owner", "GET /moderation/", 403),
    rule("other", "GET /moderation/", 403),
    rule("staff", "GET /moderation/", 200),
    rule("anonymous", "GET /api/v1/moderation/reports/", 401),
    rule("owner", "GET /api/v1/moderation/reports/", 403),
    rule("other", "GET /api/v1/moderation/reports/", 403),
    rule("staff", "GET /api/v1/moderation/reports/", 200),
]


# ---- Running a rule ----------------------------------------------------------------


def send(world: World, who: str, method: str, url: str, body: dict | None = None, **extra):
    is_api = url.startswith("/api/")
    client = world.api[who] if is_api else world.pages[who]
    url = world.fill(url)
    if method == "GET":
        return client.get(url, body or {}, **extra)
    if method == "POST":
        files = any(isinstance(v, SimpleUploadedFile) for v in (body or {}).values())
        if is_api:
            return client.post(url, body, format="multipart" if files else "json", **extra)
        return client.post(url, body or {}, **extra)
    if method == "PATCH":
        return client.patch(url, body, format="json", **extra)
    if method == "DELETE":
        return client.delete(url, **extra)
    raise ValueError(method)


def assert_answer(response, expect) -> None:
    where = response.get("Location", "")
    login = reverse("account_login")
    if expect == LOGIN:
        assert response.status_code == 302 and where.startswith(login), (
            response.status_code,
            where,
        )
    elif expect == FOUND:
        assert response.status_code == 302 and not where.startswith(login), (
            response.status_code,
            where,
            response.content[:500],
        )
    else:
        # A file on S3 is a redirect to its presigned URL: what a browser gets there.
        status = (
            served(response).status_code if response.status_code == 302 else response.status_code
        )
        assert status == expect, (response.status_code, response.content[:500])


def check(world: World, rule: Rule, capture) -> None:
    before = snapshot()
    body = body_for(world, rule.method, world.fill(rule.url))
    with capture(execute=True):  # files go once a deletion commits: let it
        response = send(world, rule.who, rule.method, rule.url, body)
    assert_answer(response, rule.expect)
    after = snapshot()
    if rule.effects:
        for effect in rule.effects:
            effect.check(world, rule.who, before, after)
    else:
        assert_unchanged(before, after)
    assert_counts_exact(after)


@rules(PAGE_RULES)
def test_a_page_form_answers_each_person_and_changes_only_what_it_may(
    world, rule, django_capture_on_commit_callbacks
):
    check(world, rule, django_capture_on_commit_callbacks)


@rules(API_RULES)
def test_an_api_call_answers_each_person_and_changes_only_what_it_may(
    world, rule, django_capture_on_commit_callbacks
):
    check(world, rule, django_capture_on_commit_callbacks)


@rules(READ_RULES)
def test_a_private_object_is_seen_only_by_its_owner_and_staff(
    world, rule, django_capture_on_commit_callbacks
):
    check(world, rule, django_capture_on_commit_callbacks)


def test_storage_is_not_served_at_a_public_address(world):
    """Files are served only through the views above: the storage folder has no URL."""
    private = world.objects["private"]
    for who in PEOPLE:
        for name in (private.file.name, private.thumbnail.name):
            assert world.pages[who].get(f"/media/{name}").status_code == 404


@pytest.mark.parametrize("kind", ["file", "download", "thumb.webp"])
def test_a_private_images_files_are_never_kept_by_a_shared_cache(world, kind):
    for who in ("owner", "staff"):
        response = world.pages[who].get(world.fill(f"/images/{{private}}/{kind}"))
        assert served(response).status_code == 200  # sent, or on S3 at the presigned URL
        # The answer itself (the file, or the redirect with its presigned URL).
        assert response["Cache-Control"].startswith("private"), response["Cache-Control"]


@pytest.mark.parametrize(
    "who, request_",
    [
        ("other", "POST /images/{unlisted}/like/"),
        ("other", "POST /images/{public}/unlike/"),
        ("owner", "POST /topics/{topic}/subscribe/"),
        ("other", "POST /topics/{topic}/unsubscribe/"),
    ],
)
@pytest.mark.parametrize("where", ["next", "Referer"])
def test_a_form_never_sends_its_author_off_the_site(world, who, request_, where):
    method, url = request_.split(" ", 1)
    evil = "https://evil.example/phish"
    body, headers = ({"next": evil}, {}) if where == "next" else ({}, {"HTTP_REFERER": evil})
    response = send(world, who, method, url, body, **headers)
    assert response.status_code == 302
    assert not response["Location"].startswith(("http", "//")), response["Location"]


# ---- GET never changes anything ---------------------------------------------------

# Each allowed change, asked for with GET (its body as the query string) by the
# very person who may make it: a form page, a redirect or a 405, and nothing changed.
ALLOWED = [r for r in PAGE_RULES + API_RULES if r.effects]
GETS = list({(r.who, r.url): Rule(r.who, "GET", r.url, "any") for r in ALLOWED}.values())


@rules(GETS)
def test_a_get_to_a_mutating_url_changes_nothing(world, rule, django_capture_on_commit_callbacks):
    method = next(r.method for r in ALLOWED if (r.who, r.url) == (rule.who, rule.url))
    body = body_for(world, method, world.fill(rule.url))
    query = {k: v for k, v in body.items() if isinstance(v, str)}
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        response = send(world, rule.who, "GET", rule.url, query)
    assert response.status_code in (200, 302, 405), response.status_code
    assert_unchanged(before, snapshot())


def test_logging_out_takes_a_post(world):
    """Logging out is a change too: a GET shows the confirmation only."""
    client = world.pages["owner"]
    assert client.get(reverse("account_logout")).status_code == 200
    assert client.get("/me/profile/").status_code == 200  # still logged in


# ---- CSRF on the page forms --------------------------------------------------------

CSRF_RULES = [
    rule("owner", "POST /images/{public}/delete/", 403),
    rule("owner", "POST /images/{public}/edit/", 403),
    rule("other", "POST /images/{unlisted}/like/", 403),
    rule("other", "DELETE /images/{public}/like/", 403),
    rule("other", "POST /images/{public}/comments/", 403),
    rule("other", "POST /comments/{reply}/delete/", 403),
    rule("other", "POST /topics/new/", 403),
    rule("owner", "POST /topics/{topic}/delete/", 403),
    rule("staff", "POST /topics/{topic}/subscribe/", 403),
    rule("owner", "POST /upload/", 403),
    rule("owner", "POST /me/profile/", 403),
    rule("other", "POST /generate/", 403),
    rule("owner", "POST /jobs/{job}/cancel/", 403),
    # The API over a session cookie (not a token) needs the token too.
    rule("other", "POST /api/v1/images/{unlisted}/like/", 403),
    rule("owner", "DELETE /api/v1/images/{public}/", 403),
    rule("other", "POST /u/owner/follow/", 403),
    rule("owner", "POST /notifications/read/", 403),
    rule("owner", "POST /me/images/bulk/", 403),
    rule("owner", "POST /me/export/", 403),
    rule("owner", "POST /me/delete/", 403),
    rule("other", "POST /api/v1/profiles/owner/follow/", 403),
]


def csrf_client(world: World, who: str, cls=Client):
    client = cls(enforce_csrf_checks=True)
    client.force_login(world.people[who])
    return client


@rules(CSRF_RULES)
def test_a_form_posted_without_its_csrf_token_is_refused(
    world, rule, django_capture_on_commit_callbacks
):
    api = rule.url.startswith("/api/")
    client = csrf_client(world, rule.who, APIClient if api else Client)
    (world.api if api else world.pages)[rule.who] = client
    check(world, rule, django_capture_on_commit_callbacks)


def test_the_same_form_with_its_token_goes_through(world, django_capture_on_commit_callbacks):
    """The control for the table above: the refusal is the missing token."""
    client = csrf_client(world, "other")
    client.get(world.fill("/images/{unlisted}/"))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    client.defaults["HTTP_X_CSRFTOKEN"] = token  # as htmx sends it
    world.pages["other"] = client
    check(
        world,
        rule("other", "POST /images/{unlisted}/like/", FOUND, added(Like, image="unlisted")),
        django_capture_on_commit_callbacks,
    )


# ---- Fields nobody may set -------------------------------------------------------

NOT_EDITABLE = [
    rule("owner", "PATCH /api/v1/images/{public}/", (200, 400)),
    rule("other", "PATCH /api/v1/comments/{reply}/", (200, 400)),
    rule("owner", "PATCH /api/v1/topics/{topic}/", (200, 400)),
    rule("other", "PATCH /api/v1/profiles/me/", (200, 400)),
]
SMUGGLED = {  # an object's owner, counts, ids, addresses: never taken from a request
    "owner": "{other}",
    "user": "{owner}",
    "image": "{private}",
    "like_count": 99,
    "comment_count": 99,
    "width": 1,
    "file": "images/1/stolen.png",
    "source": "uploaded",
    "slug": "stolen",
    "username": "stolen",
    "id": 999,
}


@rules(NOT_EDITABLE)
def test_an_api_change_ignores_or_refuses_fields_that_are_not_editable(world, rule):
    """A body of fields that are not editable changes nothing (the comment's
    text is its own, so it does not count as an edit)."""
    body = {k: world.fill(v) if isinstance(v, str) else v for k, v in SMUGGLED.items()}
    if "comments" in rule.url:
        body["text"] = world.objects["reply"].text
    before = snapshot()
    response = send(world, rule.who, rule.method, rule.url, body)
    assert response.status_code in rule.expect, response.content[:500]
    assert_unchanged(before, snapshot())


# ---- htmx requests from a visitor ---------------------------------------------------


@pytest.mark.parametrize(
    "method, url",
    [
        ("POST", "/images/{public}/like/"),
        ("DELETE", "/images/{public}/like/"),
        ("POST", "/images/{public}/comments/"),
        ("POST", "/topics/{topic}/subscribe/"),
        ("DELETE", "/topics/{topic}/subscribe/"),
    ],
)
def test_an_htmx_request_from_a_visitor_is_sent_to_log_in_and_changes_nothing(world, method, url):
    before = snapshot()
    body = body_for(world, method, world.fill(url))
    response = send(world, "anonymous", method, url, body, HTTP_HX_REQUEST="true")
    assert response.status_code in (204, 401)
    assert response["HX-Redirect"].startswith(reverse("account_login"))
    assert_unchanged(before, snapshot())


# ---- Feeds, search and counts never show a private image ---------------------------

# (url, a visitor's answer when it needs a login, whether it lists the public
# image to all who may read it: the Subscribed and Liked feeds only list it to
# the other person, who subscribed and liked)
LISTINGS = [
    ("/", None, True),
    ("/explore/?feed=recent", None, True),
    ("/explore/?feed=popular", None, True),
    ("/explore/?feed=popular&window=day", None, True),
    ("/explore/?q=zebra", None, True),
    ("/explore/?q=sky", None, True),  # the topic's name
    ("/explore/?q=midnight", None, False),  # the private image's prompt only
    ("/explore/?topic={topic}", None, True),
    ("/explore/?user=owner", None, True),
    ("/explore/?feed=subscribed", LOGIN, False),
    ("/explore/?feed=liked", LOGIN, False),
    ("/feed/?feed=recent", None, True),
    ("/feed/?feed=popular&q=zebra", None, True),
    ("/feed/?topic={topic}", None, True),
    ("/feed/?feed=subscribed", 403, False),
    ("/feed/?feed=liked", 403, False),
    ("/topics/", None, False),
    ("/topics/{topic}/", None, False),  # its images come from /feed/?topic=
    ("/u/owner/", None, False),  # its images come from /feed/?user=
]


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("url, refused, lists", LISTINGS, ids=[u for u, *_ in LISTINGS])
def test_no_page_lists_a_private_image(world, who, url, refused, lists):
    private, public = world.objects["private"], world.objects["public"]
    response = world.pages[who].get(world.fill(url))
    if refused and who == "anonymous":
        assert_answer(response, refused)
        return
    assert response.status_code == 200
    page = response.content.decode()
    assert f"/images/{private.pk}/" not in page
    assert "Hidden Zebra" not in page  # its title (the search box echoes "zebra" only)
    if lists or (refused and who == "other"):
        assert f"/images/{public.pk}/" in page  # the test does see what is listed


def test_a_search_for_what_only_a_private_image_says_finds_nothing(world):
    for who in PEOPLE:
        assert world.api[who].get("/api/v1/images/?q=midnight").json()["results"] == []


def test_my_images_does_list_the_owners_private_image(world):
    """The control for the test above: the marker it looks for is there when listed."""
    page = world.pages["owner"].get("/me/images/").content.decode()
    assert f"/images/{world.objects['private'].pk}/" in page


API_LISTINGS = [
    ("/api/v1/images/?feed=recent", False),
    ("/api/v1/images/?feed=popular", False),
    ("/api/v1/images/?feed=popular&window=week", False),
    ("/api/v1/images/?q=zebra", False),
    ("/api/v1/images/?q=sky", False),
    ("/api/v1/images/?topic={topic}", False),
    ("/api/v1/images/?user=owner", False),
    ("/api/v1/images/?feed=subscribed", True),
    ("/api/v1/images/?feed=liked", True),
]


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("url, needs_login", API_LISTINGS, ids=[u for u, _ in API_LISTINGS])
def test_no_api_list_has_a_private_image(world, who, url, needs_login):
    response = world.api[who].get(world.fill(url))
    if needs_login and who == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    ids = [image["id"] for image in response.json()["results"]]
    assert world.objects["private"].pk not in ids
    assert world.objects["unlisted"].pk not in ids
    if not needs_login or who == "other":  # who subscribed and liked
        assert world.objects["public"].pk in ids


@pytest.mark.parametrize("who", PEOPLE)
def test_counts_never_count_a_private_image(world, who):
    """The owner has one public image with one like, an unlisted one and a
    private one that was liked: only the public one counts, for everyone."""
    client, api = world.pages[who], world.api[who]
    counts = client.get("/u/owner/").context["counts"]
    assert (counts.images, counts.likes_received) == (1, 1)
    profile = api.get("/api/v1/profiles/owner/").json()
    assert (profile["image_count"], profile["likes_received"]) == (1, 1)
    topic = api.get(world.fill("/api/v1/topics/{topic}/")).json()
    assert topic["image_count"] == 1
    listed = api.get("/api/v1/topics/?owner=owner").json()["results"]
    assert [t["image_count"] for t in listed] == [1]
    assert client.get(world.fill("/topics/{topic}/")).context["topic"].image_count == 1
