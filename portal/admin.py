"""Admin of the shared core: role assignments are editable here (and by `manage.py grant`)."""

from django.contrib import admin

from portal.models import RoleAssignment


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "organization", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "organization__code", "organization__name")
    autocomplete_fields = ("user", "organization")
