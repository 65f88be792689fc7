"""The models (presets) a generation may use."""

from rest_framework import serializers


class ModelPresetSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    backend = serializers.CharField()
    default = serializers.BooleanField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    min_size = serializers.IntegerField()
    max_size = serializers.IntegerField()
    steps = serializers.IntegerField()
    cfg_scale = serializers.FloatField()
    sampler = serializers.CharField()
    negative_prompt = serializers.CharField()
