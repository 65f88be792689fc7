from django.conf import settings
from django.db import models
from django.db.models import Q


class Report(models.Model):
    """One person's report of an image, a comment, a topic or a profile to
    the moderators. A person has at most one open report per target; staff
    resolve every open report of a target at once (moderation.actions)."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        COMMENT = "comment", "Comment"
        TOPIC = "topic", "Topic"
        PROFILE = "profile", "Profile"

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        HARASSMENT = "harassment", "Harassment or hate"
        SEXUAL = "sexual", "Sexual content involving minors or without consent"
        ILLEGAL = "illegal", "Violence or other illegal content"
        STOLEN = "stolen", "Someone else's work posted without permission"
        OTHER = "other", "Something else"

    class Resolution(models.TextChoices):
        HIDDEN = "hidden", "Content hidden"
        DELETED = "deleted", "Content deleted"
        DISMISSED = "dismissed", "Dismissed"
        SUSPENDED = "suspended", "Account suspended"

    TEXT_MAX_LENGTH = 2000

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The reported row's id (a user's id for a profile); its row may be gone.
    target_id = models.PositiveBigIntegerField()
    # Whose content it is: who a suspension would concern.
    target_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_received"
    )
    reason = models.CharField(max_length=12, choices=Reason.choices)
    text = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "kind", "target_id"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_report_per_person",
            )
        ]
        indexes = [
            models.Index(fields=["kind", "target_id"], name="report_target"),
            models.Index(
                fields=["created", "id"], condition=Q(resolved_at__isnull=True), name="report_open"
            ),
        ]

    def __str__(self):
        return f"{self.reporter_id} reports {self.kind} {self.target_id}: {self.reason}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
