"""Notifications over the API: what happened, to what, and whether it is read."""

from rest_framework import serializers

from notifications.models import Notification


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Notification.Kind.choices)
    actor = serializers.CharField(
        source="actor.username",
        allow_null=True,
        default=None,
        help_text="The latest person who acted; null for a generation's end.",
    )
    actor_count = serializers.IntegerField(help_text="How many people acted in this batch.")
    image = serializers.IntegerField(
        source="image_id", allow_null=True, help_text="Null if none, or deleted since."
    )
    image_deleted = serializers.SerializerMethodField(
        help_text="True when the image this is about has been deleted since."
    )
    topic = serializers.CharField(source="topic.slug", allow_null=True, default=None)
    job = serializers.UUIDField(source="job_id", allow_null=True)
    text = serializers.CharField(
        help_text="What the image or topic was called then, or a failed job's error."
    )
    read = serializers.BooleanField(source="is_read")
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField(help_text="When the latest actor acted.")

    def get_image_deleted(self, notification) -> bool:
        kinds = (Notification.Kind.LIKE, Notification.Kind.COMMENT, Notification.Kind.REMIX)
        about_image = notification.kind in kinds
        return about_image and notification.image_id is None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=200,
        help_text="Which of your notifications to mark read (at most 200); all if left out.",
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")
