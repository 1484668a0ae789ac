"""Counts about a round, taken over the part of it the user may see.

A round is held by a committee over its whole subtree, and a branch secretary may open it; but the
round's totals (how many members take part, how many were rated outstanding) are the committee's
figures, which the statistics API refuses the secretary (404). Every page and API field that
shows a count about a round therefore counts only the rows inside the user's scope: for a
city administrator or the committee's staff that is the whole round, for a secretary their branch.
"""

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from appraisal.models import Participant, Rating
from portal import scope


def covers_round(user, appraisal_round):
    """Whether the user's scope holds the round's whole subtree (its figures are theirs to see)."""
    return scope.allows(user, "view", Rating, appraisal_round.organization)


def with_participant_count(rounds, user):
    """``rounds`` annotated with ``participant_count``: the participants the user may see.

    One correlated subquery in the rounds' own query, so a list costs no query per round.
    """
    visible = (
        scope.restrict(Participant.objects.filter(round=OuterRef("pk")), user, "view")
        .order_by()
        .values("round")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return rounds.annotate(participant_count=Coalesce(Subquery(visible, output_field=IntegerField()), Value(0)))


def participant_count(appraisal_round, user):
    """The participants of one round the user may see."""
    return scope.restrict(Participant.objects.filter(round=appraisal_round), user, "view").count()


def rating_counts(appraisal_round, user):
    """``{rating: n}`` of the round's ratings the user may see (ratings not given are absent)."""
    return dict(
        scope.restrict(Rating.objects.filter(round=appraisal_round), user, "view")
        .order_by()
        .values_list("rating")
        .annotate(n=Count("pk"))
    )
