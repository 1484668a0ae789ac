from django.contrib import admin

from django.utils.translation import gettext_lazy as _

from members.models import Member, Organization, RegistrationRefusal, TransferLetter
from members.validators import mask_id_number


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


@admin.register(RegistrationRefusal)
class RegistrationRefusalAdmin(admin.ModelAdmin):
    """Refused registrations of people who are current members outside the user's scope, for the
    organization department's follow-up. City administrators only; a record is never edited."""

    list_display = ("refused_at", "user", "masked_id_number", "organization", "source")
    list_filter = ("source",)
    # By user only: an ID number searched for would end up in URLs and logs.
    search_fields = ("user__username",)
    date_hierarchy = "refused_at"
    list_select_related = ("user", "organization")
    fields = ("refused_at", "user", "id_number", "organization", "source")
    readonly_fields = fields

    @admin.display(description=_("ID number"))
    def masked_id_number(self, refusal):
        return mask_id_number(refusal.id_number)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
