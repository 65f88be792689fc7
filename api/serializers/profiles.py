"""People as the API shows them. Writes are validated by the form the pages
use (accounts.forms.ProfileForm); the request serializer documents the body."""

from django.urls import reverse
from rest_framework import serializers


class ProfileSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField(source="profile.display_name")
    name = serializers.CharField(source="profile.name", help_text="Display name, else username.")
    bio = serializers.CharField(source="profile.bio")
    avatar_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The person's public page.")
    joined = serializers.DateTimeField(source="date_joined")
    image_count = serializers.IntegerField(source="counts.images", help_text="Public images.")
    topic_count = serializers.IntegerField(source="counts.topics")
    likes_received = serializers.IntegerField(
        source="counts.likes_received", help_text="Likes on their public images."
    )
    subscriber_count = serializers.IntegerField(
        source="counts.subscribers", help_text="People subscribed to any of their topics."
    )
    follower_count = serializers.IntegerField(
        source="counts.followers", help_text="People following them."
    )
    following_count = serializers.IntegerField(
        source="counts.following", help_text="People they follow."
    )

    def get_avatar_url(self, user) -> str | None:
        if not user.profile.avatar:
            return None
        return self.context["request"].build_absolute_uri(
            reverse("accounts:avatar", args=[user.username])
        )

    def get_url(self, user) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("gallery:profile", args=[user.username])
        )


NSFW_PREFERENCE_HELP = (
    "How images flagged NSFW reach you: `show` them, `blur` them (the default; "
    "visitors get it too), or `hide` them from the lists (`?nsfw=` overrides it per request)."
)


class MyProfileSerializer(ProfileSerializer):
    """One's own profile: the public one and the settings only its person sees."""

    nsfw_preference = serializers.ChoiceField(
        choices=["show", "blur", "hide"], help_text=NSFW_PREFERENCE_HELP
    )


class ProfileUpdateSerializer(serializers.Serializer):
    """Null clears a field, as an empty string does."""

    display_name = serializers.CharField(
        max_length=60, required=False, allow_blank=True, allow_null=True
    )
    bio = serializers.CharField(max_length=2000, required=False, allow_blank=True, allow_null=True)
    nsfw_preference = serializers.ChoiceField(
        choices=["show", "blur", "hide"],
        required=False,
        allow_null=True,
        help_text=f"{NSFW_PREFERENCE_HELP} Null or left out: unchanged.",
    )
