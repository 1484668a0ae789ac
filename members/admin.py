from django.contrib import admin

from members.models import Member, Organization, TransferLetter


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "sector", "parent", "term_expires_on", "is_active")
    list_filter = ("kind", "sector", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("path", "depth", "term_expires_on")
    raw_id_fields = ("parent",)


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    """Members for the city administrator. Never deleted: they leave through a recorded exit."""

    list_display = ("name", "organization", "status", "activity_status", "is_pocket", "left_on")
    list_filter = ("status", "activity_status", "is_pocket", "exit_reason")
    search_fields = ("name",)  # never by ID number or phone: search terms end up in URLs and logs
    raw_id_fields = ("organization",)
    readonly_fields = ("activity_status_since", "left_on", "exit_reason")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TransferLetter)
class TransferLetterAdmin(admin.ModelAdmin):
    list_display = ("letter_number", "member", "from_organization", "to_organization", "issued_on", "valid_until", "status")
    list_filter = ("status",)
    search_fields = ("letter_number",)
    raw_id_fields = ("member", "from_organization", "to_organization", "issued_by", "decided_by")

    def has_delete_permission(self, request, obj=None):
        return False
