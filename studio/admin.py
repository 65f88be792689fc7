from django.contrib import admin, messages

from .jobs import cancel_job
from .model_checks import check_preset, start_download
from .models import GenerationJob, ModelPreset


@admin.register(ModelPreset)
class ModelPresetAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "label",
        "backend",
        "model_id",
        "width",
        "height",
        "steps",
        "cfg_scale",
        "sampler",
        "enabled",
        "position",
    ]
    list_editable = ["enabled", "position"]
    list_filter = ["backend", "enabled"]
    search_fields = ["key", "label", "model_id"]
    actions = ["test_connection", "download_now"]

    @admin.action(description="Test connection")
    def test_connection(self, request, queryset):
        """Ask each preset's engine whether its model can be used (downloads nothing)."""
        for preset in queryset:
            outcome = check_preset(preset)
            level = messages.SUCCESS if outcome.ok else messages.ERROR
            self.message_user(request, f"{preset.key}: {outcome.message}", level)

    @admin.action(description="Download the model now")
    def download_now(self, request, queryset):
        """Fetch each preset's hub model into the Hugging Face cache, in the background."""
        for preset in queryset:
            outcome = start_download(preset)
            level = messages.SUCCESS if outcome.ok else messages.ERROR
            self.message_user(request, f"{preset.key}: {outcome.message}", level)


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "model", "status", "percent", "attempts", "created", "finished"]
    list_filter = ["status", "model", "created"]
    search_fields = ["id", "owner__username", "error"]
    raw_id_fields = ["owner"]
    filter_horizontal = []
    readonly_fields = [
        "id",
        "created",
        "started",
        "finished",
        "heartbeat",
        "compute_seconds",
        "images",
    ]
    date_hierarchy = "created"
    actions = ["cancel"]

    @admin.action(description="Cancel the selected jobs")
    def cancel(self, request, queryset):
        for job in queryset:
            cancel_job(job)
        messages.success(request, f"Asked {queryset.count()} jobs to stop.")
