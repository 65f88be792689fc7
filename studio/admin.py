from django.contrib import admin, messages

from .jobs import cancel_job
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
