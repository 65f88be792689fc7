"""Reports and the staff's moderation queue over the API. The rules are
moderation's (the pages call the same functions); these describe the bodies."""

from rest_framework import serializers

from atelier.text import ApiTextField
from moderation.forms import ACTIONS, REASON_MAX_LENGTH
from moderation.models import Report


def _target(required=False):
    return serializers.CharField(
        required=required,
        max_length=150,
        help_text="What is reported, as its URLs name it: the image's or comment's id, "
        "the topic's slug, the person's username.",
    )


def _target_id(required=False):
    return serializers.IntegerField(
        required=required,
        help_text="The image's, comment's or topic's id; for a profile, the person's user id.",
    )


class ReportRequestSerializer(serializers.Serializer):
    """The target named by ``target`` or by ``target_id``, one of them: the
    schema says so with the two below, this checks it."""

    kind = serializers.ChoiceField(choices=Report.Kind.choices)
    target = _target()
    target_id = _target_id()
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    text = ApiTextField(required=False, allow_blank=True, max_length=Report.TEXT_MAX_LENGTH)

    def validate(self, data):
        if ("target" in data) == ("target_id" in data):
            raise serializers.ValidationError({"target": "Give either target or target_id."})
        return data


class ReportByNameSerializer(ReportRequestSerializer):
    """A report naming its target as its URLs do."""

    target = _target(required=True)
    target_id = None


class ReportByIdSerializer(ReportRequestSerializer):
    """A report naming its target by id."""

    target = None
    target_id = _target_id(required=True)


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ["id", "kind", "target_id", "reason", "text", "created"]


class QueueReportSerializer(serializers.ModelSerializer):
    reporter = serializers.CharField(source="reporter.username")

    class Meta:
        model = Report
        fields = ["id", "reporter", "reason", "text", "created"]


class CaseSerializer(serializers.Serializer):
    kind = serializers.CharField()
    target_id = serializers.IntegerField()
    owner = serializers.CharField(source="owner.username", help_text="Whose content it is.")
    owner_suspended = serializers.BooleanField()
    report_count = serializers.IntegerField(
        help_text="Its open reports, of which `reports` lists the first."
    )
    exists = serializers.SerializerMethodField(help_text="False once the content is deleted.")
    hidden = serializers.SerializerMethodField()
    reports = QueueReportSerializer(many=True)

    def get_exists(self, case) -> bool:
        return case.target is not None

    def get_hidden(self, case) -> bool:
        return getattr(case.target, "hidden_at", None) is not None


class QueueSerializer(serializers.Serializer):
    results = CaseSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")


class ActionRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(ACTIONS.items()))
    reason = ApiTextField(required=False, allow_blank=True, max_length=REASON_MAX_LENGTH)


class ActionDoneSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What was done.")
