"""The models (presets) a generation may use, and where each stands here."""

from rest_framework import serializers


class ModelPresetSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    backend = serializers.CharField(help_text="The engine that runs it.")
    default = serializers.BooleanField()
    enabled = serializers.BooleanField(
        help_text="Offered to people; only staff see disabled models."
    )
    status = serializers.ChoiceField(
        choices=["installed", "not_installed", "downloading", "failed", "remote"],
        help_text="`remote`: a remote engine keeps its own models.",
    )
    usable = serializers.BooleanField(
        help_text="Whether a generation can use it now (false: not installed and the "
        "model hub cannot be reached)."
    )
    note = serializers.CharField(help_text="What picking it means, for a person.")
    size_on_disk = serializers.IntegerField(allow_null=True, help_text="Bytes.")
    download_size = serializers.IntegerField(
        allow_null=True, help_text="Bytes to download on first use (approximate until measured)."
    )
    downloaded = serializers.IntegerField(allow_null=True, help_text="Bytes, while downloading.")
    download_total = serializers.IntegerField(allow_null=True)
    download_speed = serializers.FloatField(allow_null=True, help_text="Bytes per second.")
    download_eta = serializers.FloatField(allow_null=True, help_text="Seconds left.")
    error = serializers.CharField(help_text="Why the last download failed; empty if it did not.")
    last_used = serializers.DateTimeField(allow_null=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    min_size = serializers.IntegerField()
    max_size = serializers.IntegerField()
    steps = serializers.IntegerField()
    cfg_scale = serializers.FloatField()
    sampler = serializers.CharField()
    negative_prompt = serializers.CharField()
