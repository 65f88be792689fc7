from django.contrib import admin

from .models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "has_avatar"]
    search_fields = ["user__username", "user__email", "display_name"]
    raw_id_fields = ["user"]

    @admin.display(boolean=True)
    def has_avatar(self, profile):
        return bool(profile.avatar)
