"""``GET /api/v1/stats/appraisal/?round=<id>&org=<code>[&as_of=]`` (API.md "Statistics"), from the rollup snapshot."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from appraisal.choices import RatingChoices, RatingStatusChoices
from appraisal.models import AppraisalRound
from portal.api.stats import (
    SnapshotSerializer,
    StatisticsQuerySerializer,
    StatisticsView,
    choice_counts_serializer,
)


class AppraisalQuerySerializer(StatisticsQuerySerializer):
    round = serializers.IntegerField(min_value=1, help_text=gettext_lazy("Id of the appraisal round."))


def _rates_serializer():
    fields = {value: serializers.FloatField(label=label) for value, label in RatingChoices.choices}
    fields["Meta"] = type("Meta", (), {"ref_name": "AppraisalRates"})
    return type("AppraisalRates", (serializers.Serializer,), fields)(
        help_text=gettext_lazy("Each rating as a fraction of the rated members, rounded to 4 places (0 when none rated).")
    )


class AppraisalStatisticsSerializer(SnapshotSerializer):
    rated = serializers.IntegerField(help_text=gettext_lazy("Ratings entered in the subtree (counted where entered)."))
    by_rating = choice_counts_serializer("AppraisalByRating", RatingChoices.choices)
    rates = _rates_serializer()
    by_status = choice_counts_serializer("AppraisalByStatus", RatingStatusChoices.choices)


class AppraisalStatisticsView(StatisticsView):
    figure_set = "appraisal"
    serializer_class = AppraisalStatisticsSerializer
    query_serializer_class = AppraisalQuerySerializer

    def get_key(self, query):
        # One query; an unknown round is 404 like an unknown organization.
        if not AppraisalRound.objects.filter(pk=query["round"]).exists():
            raise NotFound(_("Not found."))
        return str(query["round"])

    def shape(self, figures):
        rated = figures.get("rated", 0)
        by_rating = {value: figures.get("by_rating", {}).get(value, 0) for value in RatingChoices.values}
        return {
            "rated": rated,
            "by_rating": by_rating,
            "rates": {value: round(count / rated, 4) if rated else 0.0 for value, count in by_rating.items()},
            "by_status": {value: figures.get("by_status", {}).get(value, 0) for value in RatingStatusChoices.values},
        }

    @extend_schema(
        summary="Democratic appraisal of a subtree in one round: rated, by rating, rates, by status",
        parameters=[AppraisalQuerySerializer],
        responses={200: AppraisalStatisticsSerializer},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
