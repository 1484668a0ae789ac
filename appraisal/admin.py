"""Admin of the appraisal, for the city administrator.

Ratings are changed through the workflow (pages, API), never here: the admin shows them read-only,
and an approved rating could not be changed anyway (the database trigger refuses it).
"""

from django.contrib import admin

from appraisal.models import (
    AppraisalRound,
    DisposalDecision,
    MutualEvaluationGroup,
    Objection,
    Rating,
    Reopening,
    WorkflowStep,
)


@admin.register(AppraisalRound)
class AppraisalRoundAdmin(admin.ModelAdmin):
    list_display = ("name", "year", "organization", "opens_on", "closes_on", "publicity_days", "status")
    list_filter = ("status", "year")
    search_fields = ("name", "organization__code", "organization__name")
    raw_id_fields = ("organization",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of the workflow: kept as they were written."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ("member", "round", "organization", "rating", "status", "approved_at")
    list_filter = ("status", "rating")
    search_fields = ("member__name", "organization__code")
    list_select_related = ("member", "round", "organization")


@admin.register(WorkflowStep)
class WorkflowStepAdmin(ReadOnlyAdmin):
    list_display = ("round", "organization", "action", "ratings_moved", "user", "created_at")
    list_filter = ("action",)
    list_select_related = ("round", "organization", "user")


@admin.register(Reopening)
class ReopeningAdmin(ReadOnlyAdmin):
    list_display = ("round", "organization", "ratings_reopened", "user", "created_at", "reason")
    list_select_related = ("round", "organization", "user")


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ("member", "round", "organization", "raised_on", "resolved_on")
    raw_id_fields = ("member", "organization", "round")
    list_select_related = ("member", "round", "organization")


@admin.register(MutualEvaluationGroup)
class MutualEvaluationGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "round", "organization")
    raw_id_fields = ("round", "organization")


@admin.register(DisposalDecision)
class DisposalDecisionAdmin(admin.ModelAdmin):
    """Shown for reference; a decision is recorded on its page so a removal exits the member properly."""

    list_display = ("rating", "kind", "review_on", "review_outcome", "committee_approved_on")
    list_filter = ("kind", "review_outcome")
    raw_id_fields = ("rating", "organization")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
