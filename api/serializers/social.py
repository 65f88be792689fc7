"""Likes and comments over the API: response bodies, and request bodies for
the OpenAPI schema. The rules are gallery.likes' and gallery.comments'."""

from django.urls import reverse
from rest_framework import serializers

from atelier.text import ApiTextField
from gallery.comments import DELETED_AUTHOR, MAX_LENGTH
from gallery.models import Comment

from .base import FieldsOnceModelSerializer


class LikeStateSerializer(serializers.Serializer):
    liked = serializers.BooleanField(help_text="Always true after a like.")
    like_count = serializers.IntegerField(help_text="The image's likes, this one included.")


class CommentTextSerializer(serializers.Serializer):
    text = ApiTextField(
        trim_whitespace=False,
        allow_blank=True,
        help_text=f"1 to {MAX_LENGTH} characters once surrounding whitespace is trimmed.",
    )


class CommentSerializer(FieldsOnceModelSerializer):
    image = serializers.IntegerField(source="image_id", read_only=True)
    user = serializers.CharField(
        source="user.username",
        read_only=True,
        allow_null=True,
        help_text="The author's username; null once they deleted their account.",
    )
    display_name = serializers.SerializerMethodField()
    avatar_url = serializers.SerializerMethodField()
    edited = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When the text last changed; null if never."
    )

    class Meta:
        model = Comment
        fields = ["id", "image", "user", "display_name", "avatar_url", "text", "created", "edited"]

    def _profile(self, comment):
        return getattr(comment.user, "profile", None)

    def get_display_name(self, comment) -> str:
        """The author's name, or "deleted user" once they deleted their account."""
        if comment.user is None:
            return DELETED_AUTHOR
        profile = self._profile(comment)
        return profile.name if profile else comment.user.get_username()

    def get_avatar_url(self, comment) -> str | None:
        profile = self._profile(comment)
        if not profile or not profile.avatar:
            return None
        url = reverse("accounts:avatar", args=[comment.user.get_username()])
        return self.context["request"].build_absolute_uri(url)
