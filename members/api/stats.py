"""``GET /api/v1/stats/organizations/`` and ``/api/v1/stats/members/`` (API.md "Statistics"): the
figure sets of ``members.rollups`` read from the rollup snapshot, on ``portal.api.stats.StatisticsView``."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from members.models import Member, Organization
from portal.api.stats import SnapshotSerializer, StatisticsView, choice_counts_serializer


def _member_field_choices(field):
    model_field = Member._meta.get_field(field)
    return getattr(model_field, "base_field", model_field).choices


class OrganizationStatisticsSerializer(SnapshotSerializer):
    total = serializers.IntegerField(help_text=gettext_lazy("Organizations in the subtree, itself included."))
    by_kind = choice_counts_serializer("OrganizationsByKind", Organization._meta.get_field("kind").choices)
    term_overdue = serializers.IntegerField(
        help_text=gettext_lazy("Active organizations whose term of office had run out when the snapshot was taken.")
    )


class MemberStatisticsSerializer(SnapshotSerializer):
    total = serializers.IntegerField(help_text=gettext_lazy("Current members (not left) in the subtree."))
    by_status = choice_counts_serializer("MembersByStatus", _member_field_choices("status"))
    by_category = choice_counts_serializer(
        "MembersByCategory", _member_field_choices("categories"), gettext_lazy("A member counts in each of their categories.")
    )
    by_activity_status = choice_counts_serializer("MembersByActivityStatus", _member_field_choices("activity_status"))
    pocket = serializers.IntegerField(help_text=gettext_lazy("Pocket members (relation letter kept, not registered)."))


class OrganizationStatisticsView(StatisticsView):
    """The organizations of ``org``'s subtree (itself included) in the snapshot: how many, of which
    kind, and how many active ones had their term of office run out when it was taken."""

    summary = "Organizations of a subtree: total, by kind, term overdue"
    figure_set = "organizations"
    serializer_class = OrganizationStatisticsSerializer


class MemberStatisticsView(StatisticsView):
    """The current members (not left) of ``org``'s subtree in the snapshot: how many, by status, by
    category (a member counts in each of their categories), by activity status, and pocket members."""

    summary = "Current members of a subtree: total, by status, category and activity status, pocket"
    figure_set = "members"
    serializer_class = MemberStatisticsSerializer
