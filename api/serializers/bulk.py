"""Bulk actions over the API: the request body and the answers."""

from rest_framework import serializers

from gallery.bulk_actions import ACTIONS, MAX_IDS


class BulkActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=ACTIONS)
    ids = serializers.ListField(
        child=serializers.IntegerField(), help_text=f"1 to {MAX_IDS} image ids."
    )
    topic = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="For `move`: the topic's slug; empty takes the images out of their topic.",
    )


class BulkResultSerializer(serializers.Serializer):
    action = serializers.CharField()
    count = serializers.IntegerField(help_text="How many images changed (or were deleted).")
    ids = serializers.ListField(child=serializers.IntegerField())


class RefusedImageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()


class BulkRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What was wrong; nothing was changed.")
    field = serializers.CharField(help_text="The input at fault: action, ids or topic.")
    refused = RefusedImageSerializer(many=True, help_text="Each image that cannot be changed.")
