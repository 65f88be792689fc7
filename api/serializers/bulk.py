"""Bulk actions over the API: the request body and the answers."""

from rest_framework import serializers

from atelier.text import ApiTextField
from gallery.bulk_actions import ACTIONS, MAX_IDS, NO_SUCH_IMAGE, NOT_YOURS


class BulkActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ACTIONS)
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=MAX_IDS,
        help_text=f"1 to {MAX_IDS} image ids.",
    )
    topic = ApiTextField(
        required=False,
        max_length=80,
        allow_blank=True,
        help_text="For `move`: the topic's slug; empty takes the images out of their topic.",
    )


class BulkResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    count = serializers.IntegerField(help_text="How many images changed (or were deleted).")
    ids = serializers.ListField(child=serializers.IntegerField())


class RefusedImageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField(help_text=f"“{NOT_YOURS}” or “{NO_SUCH_IMAGE}”")


class BulkRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What was wrong; nothing was changed.")
    field = serializers.CharField(
        help_text="The input at fault: action, ids, topic, or body (not JSON)."
    )
    refused = RefusedImageSerializer(many=True, help_text="Each image that cannot be changed.")
