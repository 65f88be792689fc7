"""Styles: named prompt templates (studio.styles), built in or a person's own."""

from rest_framework import serializers

from studio import limits


class StyleSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, read_only=True, help_text="Null for a built-in style."
    )
    name = serializers.RegexField(
        r"\S",
        max_length=60,
        help_text="What a generation's `style` names; unique among the built-in styles "
        "and your own (case does not count).",
    )
    prompt = serializers.CharField(
        allow_blank=True,
        required=False,
        max_length=limits.PROMPT_MAX,
        help_text="`{prompt}` marks where the prompt goes; without it, the prompt comes "
        "first and the style after a comma.",
    )
    negative_prompt = serializers.CharField(
        allow_blank=True, required=False, max_length=limits.NEGATIVE_PROMPT_MAX
    )
    built_in = serializers.BooleanField(read_only=True)
