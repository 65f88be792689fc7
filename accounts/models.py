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
    # Per-person settings kept by the API facades (e.g. the A1111 checkpoint).
    settings = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return self.name

    @property
    def name(self):
        return self.display_name or self.user.get_username()
