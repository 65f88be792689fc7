from django.conf import settings
from django.db import models
from django.db.models import Q

# The condition of the partial indexes that feeds walk: public and not hidden.
# Queries repeat it literally (permissions.listed_images) so that every
# database can use them.
LISTED = Q(visibility="public", hidden_at__isnull=True)


class Hideable(models.Model):
    """Content that moderators can hide (the moderation app): hidden, it is
    gone for everyone but its owner (who sees why) and staff, and restored it
    is back as it was. ``hidden_by`` says who hid it: moderators, or the
    suspension of its owner (lifted with the suspension). Nullable, so that
    SQLite adds the columns without rebuilding the table (which would drop
    the search triggers)."""

    class HiddenBy(models.TextChoices):
        MODERATORS = "moderators", "Moderators"
        SUSPENSION = "suspension", "Suspension of its owner"

    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.CharField(  # noqa: DJ001
        max_length=10, choices=HiddenBy.choices, null=True, blank=True
    )
    hidden_reason = models.CharField(max_length=500, null=True, blank=True)  # noqa: DJ001

    class Meta:
        abstract = True

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Topic(Hideable):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(max_length=5000, blank=True)
    cover = models.ImageField(upload_to="covers/", blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topics"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Subscription(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="unique_subscription")
        ]

    def __str__(self):
        return f"{self.user} → {self.topic}"


class Image(Hideable):
    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        UNLISTED = "unlisted", "Unlisted"
        PRIVATE = "private", "Private"

    class Source(models.TextChoices):
        GENERATED = "generated", "Generated"
        UPLOADED = "uploaded", "Uploaded"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images"
    )
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="images"
    )
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(max_length=5000, blank=True)
    file = models.FileField(max_length=255)
    thumbnail = models.FileField(max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    thumb_width = models.PositiveIntegerField()
    thumb_height = models.PositiveIntegerField()
    thumbhash = models.CharField(max_length=64, blank=True)
    sha256 = models.CharField(max_length=64)
    # dHash (imaging.perceptual_hash): an upload that looks like one of its owner's
    # images is flagged to them. Null for images stored before it existed (and
    # nullable so that SQLite adds the column without rebuilding the table,
    # which would drop the search triggers).
    perceptual_hash = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001
    # An uploaded image's sha256, unique per owner: two uploads of one file at
    # the same instant cannot both be stored (gallery.uploads). None for
    # generated images (the same seed twice may make the same bytes) and for
    # the later copies that galleries held before this column existed.
    upload_sha256 = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    content_type = models.CharField(max_length=20, default="image/png")
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.GENERATED)
    recipe = models.JSONField(default=dict, blank=True)
    # "Share without the recipe": the file anyone but the owner gets carries
    # no recipe chunks, and the recipe is hidden from them (gallery.recipe_sharing).
    share_without_recipe = models.BooleanField(default=False)
    # Not safe for work: set by the owner or staff; each viewer's preference
    # shows, blurs or hides such images (gallery.nsfw).
    nsfw = models.BooleanField(default=False)
    # Set for generated images ("job:<uuid>:<index>"): writing the same result
    # twice is refused by the database, so a retried job never duplicates.
    source_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "upload_sha256"], name="unique_upload_per_owner"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-created", "-id"], name="image_owner_recent"),
            # Uploads (gallery/uploads.py): the same file already in this person's
            # gallery, and the hashes of theirs that a new one may look like.
            models.Index(fields=["owner", "sha256"], name="image_owner_sha256"),
            models.Index(fields=["owner", "perceptual_hash"], name="image_owner_phash"),
            # Recent; and a window of Popular sorts that range's like counts,
            # read from the index alone on PostgreSQL (include is ignored elsewhere).
            # The public feeds' indexes end with nsfw: a viewer who hides NSFW
            # images filters them out from the index alone (gallery.nsfw).
            models.Index(
                fields=["-created", "-id", "nsfw"],
                name="image_public_recent",
                condition=LISTED,
                include=["like_count"],
            ),
            # Feeds (gallery/feeds.py): Popular, and Recent within one topic.
            models.Index(
                fields=["-like_count", "-id", "nsfw"],
                name="image_public_popular",
                condition=LISTED,
            ),
            models.Index(
                fields=["topic", "-created", "-id", "nsfw"],
                name="image_topic_recent",
                condition=LISTED,
            ),
            # A profile's counts (gallery/profiles.py): public images and their
            # likes, answered from the index alone.
            models.Index(
                fields=["owner", "like_count"],
                name="image_public_owner_likes",
                condition=LISTED,
            ),
        ]

    def __str__(self):
        return self.title or self.prompt[:60] or f"Image {self.pk}"

    @property
    def prompt(self):
        """The prompt, where it stands for the image (a title, a page's
        description); none when the image is shared without its recipe."""
        if self.share_without_recipe:
            return ""
        return self.recipe.get("prompt", "")

    @property
    def display_title(self):
        return self.title or self.prompt[:80] or "Untitled"


class Like(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes"
    )
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="likes")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "image"], name="unique_like")]
        # A person's Liked feed, last liked first.
        indexes = [models.Index(fields=["user", "-created", "-id"], name="like_user_recent")]

    def __str__(self):
        return f"{self.user} ♥ {self.image_id}"


class Comment(Hideable):
    # None once its author deleted their account: others' threads stay
    # readable, the comment shown as by "deleted user" (gallery.comments).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
    )
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField(max_length=5000)
    created = models.DateTimeField(auto_now_add=True)
    edited = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return self.text[:60]


class Follow(models.Model):
    """One person following another: their public images fill the follower's
    Following feed (gallery.following)."""

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following"
    )
    followed = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Its index answers "whom does X follow" (the Following feed).
            models.UniqueConstraint(fields=["follower", "followed"], name="unique_follow"),
            models.CheckConstraint(
                condition=~Q(follower=models.F("followed")), name="follow_not_self"
            ),
        ]
        # "Who follows X": the follower count.
        indexes = [models.Index(fields=["followed", "follower"], name="follow_followed")]

    def __str__(self):
        return f"{self.follower_id} → {self.followed_id}"
