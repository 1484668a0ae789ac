from django.contrib import admin

from members.models import Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "sector", "parent", "term_expires_on", "is_active")
    list_filter = ("kind", "sector", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("path", "depth", "term_expires_on")
    raw_id_fields = ("parent",)
