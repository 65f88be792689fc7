from django.conf import settings
from django.db import models


def avatar_path(profile, filename):
    return f"avatars/{profile.user_id}/{filename}"


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=60, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    avatar = models.ImageField(upload_to=avatar_path, blank=True)
    # What Generate and Upload start with (gallery's Image.Visibility values).
    default_visibility = models.CharField(
        max_length=10,
        choices=[
            ("public", "Public"),
            ("unlisted", "Unlisted"),
            ("private", "Private"),
        ],
        default="private",
    )
    # How images flagged NSFW are shown to this person: shown, blurred until
    # clicked, or left out of the feeds (gallery.nsfw); visitors get "blur".
    nsfw_preference = models.CharField(
        max_length=5,
        choices=[("show", "Show"), ("blur", "Blur"), ("hide", "Hide")],
        default="blur",
    )
    # Per-person settings kept by the API facades (e.g. the A1111 checkpoint).
    settings = models.JSONField(default=dict, blank=True)
    # Set while staff have suspended the account (the moderation app): it
    # cannot log in (User.is_active is off too) nor use its tokens, and is
    # told this reason.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        indexes = [
            # The suspended people, whose follows and subscriptions the
            # counts subtract (gallery.counts): a few rows, read whole.
            models.Index(
                fields=["user"],
                condition=models.Q(suspended_at__isnull=False),
                name="profile_suspended",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return self.display_name or self.user.get_username()


class ApiToken(models.Model):
    """A named API token. Only a SHA-256 of the secret is stored; the secret is
    shown once, when the token is made. ``prefix`` (its first characters) is
    what lists show, so a person can tell their tokens apart."""

    NAME_MAX_LENGTH = 60
    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    prefix = models.CharField(max_length=PREFIX_LENGTH)
    key_hash = models.CharField(max_length=64, unique=True)  # unique: indexed
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_live")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None
