"""Statistics API (API.md "Statistics" and "Rollup runs"): figures read from rollup snapshots.

A statistics endpoint never counts rows: it reads one organization's figures from the newest
rollup snapshot (or the newest on or before ``as_of``), so it costs the same few queries for a
branch and for the whole city. To publish another figure set, subclass ``StatisticsView``::

    class AppraisalStatisticsView(StatisticsView):
        figure_set = "appraisal"
        serializer_class = AppraisalStatisticsSerializer
        query_serializer_class = AppraisalQuerySerializer    # adds "round"

        def get_key(self, query):
            return str(query["round"].pk)

        def shape(self, figures):       # nested counts → the API's fields (rates etc.)
            ...

and route it under ``stats/`` in the app's ``api/urls.py`` (``members.api.stats`` publishes the
organizations and members sets). This module keeps what every set shares and the rollup runs.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from portal import scope
from portal.api.schema import AutoSchema
from portal.choices import RoleChoices
from portal.models import RollupRun
from portal.rollups import engine, nest
from portal.tree import organization_model

VIEW_STATS = "view_stats"


def choice_counts_serializer(name, choices, help_text=""):
    """A serializer with one integer per value of ``choices`` (every key present, zeros too)."""
    fields = {value: serializers.IntegerField(label=label) for value, label in choices}
    fields["Meta"] = type("Meta", (), {"ref_name": name})
    serializer = type(name, (serializers.Serializer,), fields)
    return serializer(help_text=help_text)


class StatisticsQuerySerializer(serializers.Serializer):
    """The query string every statistics endpoint takes."""

    org = serializers.CharField(help_text=gettext_lazy("Code of the organization whose whole subtree is counted."))
    as_of = serializers.DateField(
        required=False, help_text=gettext_lazy("Read the newest snapshot taken on or before this day (YYYY-MM-DD).")
    )


class SnapshotSerializer(serializers.Serializer):
    """What every statistics answer carries beside its figures."""

    organization = serializers.CharField(help_text=gettext_lazy("Code of the organization counted."))
    as_of = serializers.DateTimeField(help_text=gettext_lazy("When the snapshot was taken."))
    run = serializers.IntegerField(help_text=gettext_lazy("Id of the rollup run that took the snapshot."))


class StatisticsPermission(permissions.BasePermission):
    """401 anonymous; 403 when no role gives statistics anywhere (which organizations: 404 by scope)."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        return scope.may_ever(request.user, VIEW_STATS, organization_model())


def stats_organizations(user):
    """The organizations whose statistics ``user`` may read."""
    return scope.restrict(organization_model().objects.all(), user, VIEW_STATS)


def stats_organization(user, code):
    """The organization ``code`` if ``user`` may read its statistics; 404 otherwise (one query)."""
    # No ORDER BY (the model orders by path): the planner must use the unique index on code,
    # not walk the path index of the whole subtree looking for it.
    found = list(stats_organizations(user).filter(code=code).order_by()[:1])
    if not found:
        raise Http404(_("Not found."))
    return found[0]


def counted(counts):
    """``counts`` with a figure the snapshot holds as NULL read as 0.

    A count is never unknown: SQL leaves NULL where a contributor's expression met a NULL column
    (an organization with no term of office has no ``term_expires_on``) and summing NULLs up the
    tree stays NULL, but API.md promises integers, so nothing counted is 0.
    """
    return {name: 0 if value is None else value for name, value in counts.items()}


class StatisticsSchema(AutoSchema):
    """The OpenAPI operation of a statistics view, from its attributes: ``summary``, the query
    string of ``query_serializer_class`` and the answer of ``serializer_class``."""

    def get_summary(self):
        return getattr(self.view, "summary", None) or super().get_summary()

    def get_override_parameters(self):
        return [self.view.query_serializer_class, *super().get_override_parameters()]


class StatisticsView(APIView):
    """One figure set of one organization's subtree, read from a rollup snapshot.

    Its OpenAPI operation comes from the same attributes (``StatisticsSchema``).
    Queries: the caller's role assignments (once per request), then ONE query for the
    organization (scope-checked), the snapshot run and its row of figures
    (``engine.read_snapshot``). Subclasses set ``figure_set`` and
    ``serializer_class``; keyed sets override ``get_key``; ``shape`` turns the nested counts into
    the answer's fields.
    """

    permission_classes = [StatisticsPermission]
    schema = StatisticsSchema()
    summary = None
    figure_set = None
    serializer_class = None
    query_serializer_class = StatisticsQuerySerializer

    def get_key(self, query):
        return ""

    def shape(self, figures):
        return figures

    def get(self, request, *args, **kwargs):
        query_serializer = self.query_serializer_class(data=request.query_params, context={"request": request})
        query_serializer.is_valid(raise_exception=True)
        query = query_serializer.validated_data
        organization, run, counts = engine.read_snapshot(
            stats_organizations(request.user).filter(code=query["org"]),
            self.figure_set,
            self.get_key(query),
            query.get("as_of"),
        )
        if organization is None:
            raise NotFound(_("Not found."))
        if run is None:
            raise NotFound(_("No statistics snapshot has been taken yet for that day."))
        answer = {"organization": organization[1], "as_of": run.started_at, "run": run.pk}
        answer.update(self.shape(nest(counted(counts))))
        return Response(self.represent(answer))

    _representers = {}

    def represent(self, answer):
        """``serializer_class``'s representation of the answer, from one serializer per view class.

        Building a serializer deep-copies every declared field (some thirty here, nested
        serializers included), which cost more than the database's work per request; the fields
        hold no per-request state, so one instance serves every request.
        """
        serializer = self._representers.get(type(self))
        if serializer is None:
            serializer = self._representers[type(self)] = self.serializer_class()
        return serializer.to_representation(answer)


class RollupRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = RollupRun
        fields = ["id", "status", "started_at", "finished_at", "error", "queued_at", "duration", "rows_written"]
        read_only_fields = fields


class RollupRunStartedSerializer(serializers.ModelSerializer):
    class Meta:
        model = RollupRun
        fields = ["id", "status"]
        read_only_fields = fields


def may_start_rollup(user):
    """Staff and city administrators may start a rollup run (it covers the whole tree)."""
    if user is None or not user.is_authenticated:
        return False
    roles = scope.get_scope(user).roles
    return bool(roles & {RoleChoices.CITY_ADMIN, RoleChoices.STAFF})


class RollupRunPermission(StatisticsPermission):
    """Reading runs: anyone who may read statistics; starting one: staff and above."""

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or may_start_rollup(request.user)


class RollupRunViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rollup runs: start one, follow it, find the newest succeeded one."""

    queryset = RollupRun.objects.all()
    serializer_class = RollupRunSerializer
    permission_classes = [RollupRunPermission]
    lookup_value_regex = "[0-9]+"
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Start a rollup run (or get the one in progress)",
        request=None,
        responses={202: OpenApiResponse(RollupRunStartedSerializer, description="The run started, or the one already in progress.")},
    )
    def create(self, request, *args, **kwargs):
        run, _created = engine.start_rollup(requested_by=request.user)
        return Response(RollupRunStartedSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="One rollup run")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(summary="The newest succeeded rollup run", responses={200: RollupRunSerializer})
    @action(detail=False, methods=["get"])
    def latest(self, request):
        run = RollupRun.objects.snapshot()
        if run is None:
            raise NotFound(_("No rollup run has succeeded yet."))
        return Response(self.get_serializer(run).data)


router = SimpleRouter(trailing_slash=True)
router.register("rollups", RollupRunViewSet, basename="rollup-run")

# The figure sets' endpoints are routed by the apps that declare them (members/api/urls.py...).
urlpatterns = router.urls
