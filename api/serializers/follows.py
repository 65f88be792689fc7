"""Following people over the API: the state a follow answers."""

from rest_framework import serializers


class FollowStateSerializer(serializers.Serializer):
    following = serializers.BooleanField(help_text="Always true after a follow.")
    follower_count = serializers.IntegerField(help_text="The person's followers, you included.")
    following_count = serializers.IntegerField(help_text="How many people the person follows.")
