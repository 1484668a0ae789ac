"""The appraisal's workflows, declared on ``portal.workflow``: the ratings of an organization's subtree.

draft → submitted (the branch submits: every enrolled member rated) → publicized (in the unit, for
the round's publicity period) → approved (by a higher committee, once the period is over and every
objection resolved; final in the database: ``Rating.final_state``). A higher committee may send
submitted or publicized ratings back to draft with a written reason (``return``); approved ones go
back only through the city administrator's recorded reopening (``services.reopen``).
"""

import bisect
import datetime

from django.db.models import Count, Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from appraisal.choices import RatingStatusChoices, WorkflowActionChoices
from appraisal.models import Objection, Participant, Rating, WorkflowStep
from portal import scope
from portal.workflow import Transition, Workflow, WorkflowConflict

# The page's figures are read only over the organizations restrict() gave it.
WITHIN_VISIBLE = "within the organizations restrict() gave the page"
# How many missing members a refusal names before it says "and N more".
MISSING_NAMED = 20


def unrated_participants(appraisal_round, organization):
    """The enrolled members still on the roster, in ``organization``'s subtree, with no rating in the round."""
    return (
        Participant.objects.filter(
            round=appraisal_round,
            member__left_on__isnull=True,
            member__organization__path__startswith=organization.path,
        )
        .filter(~Exists(Rating.objects.filter(round=appraisal_round, member_id=OuterRef("member_id"))))
        .unrestricted("the members of an organization whose step the caller was allowed to make")
    )


def missing_message(names, total):
    """The refusal of a submit with unrated members, naming them."""
    shown = ", ".join(names[:MISSING_NAMED])
    if total > MISSING_NAMED:
        shown = _("{names} and {count} more").format(names=shown, count=total - MISSING_NAMED)
    return ngettext(
        "{count} enrolled member is not rated yet: {names}. Rate every member before submitting.",
        "{count} enrolled members are not rated yet: {names}. Rate every member before submitting.",
        total,
    ).format(count=total, names=shown)


def every_member_rated(step):
    """Submit needs every enrolled member of the subtree rated (a page hands the counts over)."""
    preloaded = step.context.get("unrated")
    if preloaded is not None:
        count = preloaded.get(step.organization.pk, 0)
        if count:
            return ngettext(
                "{count} enrolled member is not rated yet.", "{count} enrolled members are not rated yet.", count
            ).format(count=count)
        return None
    names = list(
        unrated_participants(step.context["round"], step.organization)
        .order_by("member__name", "member_id")
        .values_list("member__name", flat=True)
    )
    if names:
        return missing_message(names, len(names))
    return None


def publicity_ends_on(appraisal_round, publicized_on):
    return publicized_on + datetime.timedelta(days=appraisal_round.publicity_days)


def approval_blockers(appraisal_round, organization, today):
    """Why the organization's publicized ratings cannot be approved yet (empty when they can)."""
    latest = (
        Rating.objects.filter(
            round=appraisal_round,
            organization__path__startswith=organization.path,
            status=RatingStatusChoices.PUBLICIZED,
        )
        .unrestricted("the subtree of an organization the caller was allowed to step")
        .aggregate(latest=Max("publicized_on"))["latest"]
    )
    unresolved = (
        Objection.objects.filter(
            round=appraisal_round, organization__path__startswith=organization.path, resolved_on__isnull=True
        )
        .unrestricted("the subtree of an organization the caller was allowed to step")
        .count()
    )
    return _blocker_reasons(appraisal_round, latest, unresolved, today)


def _blocker_reasons(appraisal_round, latest, unresolved, today):
    """``latest``: the latest publicity date in the subtree; ``unresolved``: its open objections."""
    reasons = []
    if latest is not None and publicity_ends_on(appraisal_round, latest) > today:
        reasons.append(
            _("The publicity period runs until {date}; approve after it has ended.").format(
                date=publicity_ends_on(appraisal_round, latest).isoformat()
            )
        )
    if unresolved:
        reasons.append(_("{count} objection(s) raised during publicity are not resolved yet.").format(count=unresolved))
    return reasons


def approval_ready(step):
    """Approve needs the publicity period over and every objection resolved (a page hands the figures over)."""
    preloaded = step.context.get("approval")
    if preloaded is not None:
        latest, unresolved = preloaded.get(step.organization.pk, (None, 0))
        return _blocker_reasons(step.context["round"], latest, unresolved, step.today)
    return approval_blockers(step.context["round"], step.organization, step.today)


def record_step(step):
    """The step row of the round's history (a return's reason is in the ratings' history context:
    ``WorkflowStep`` has no column for it and its actions are fixed by migration)."""
    if step.transition.name not in WorkflowActionChoices.values:
        return
    WorkflowStep.objects.create(
        round=step.context["round"],
        organization=step.organization,
        action=step.transition.name,
        ratings_moved=step.moved,
        user=step.user,
    )


def nothing_to_move(step):
    counts = RATINGS.counts(step.rows)
    return _("No {source} ratings of {organization} to move (ratings by status: {counts}).").format(
        source=RatingStatusChoices(step.transition.source[0]).label,
        organization=step.organization.name,
        counts=", ".join("{}: {}".format(k, v) for k, v in sorted(counts.items())) or _("none"),
    )


_CHANGE_DENIED = gettext_lazy("You may not change the ratings of this organization.")
_HIGHER_ONLY = gettext_lazy("Ratings are approved by a higher party committee than the organization that entered them.")

RATINGS = Workflow(
    model=Rating,
    field="status",
    states=RatingStatusChoices,
    transitions=[
        Transition(
            WorkflowActionChoices.SUBMIT,
            source=RatingStatusChoices.DRAFT,
            target=RatingStatusChoices.SUBMITTED,
            label=gettext_lazy("Submit"),
            requires=[every_member_rated],
            denied=_CHANGE_DENIED,
        ),
        Transition(
            WorkflowActionChoices.PUBLICIZE,
            source=RatingStatusChoices.SUBMITTED,
            target=RatingStatusChoices.PUBLICIZED,
            label=gettext_lazy("Publicize"),
            changes=lambda step: {"publicized_on": step.today},
            denied=_CHANGE_DENIED,
        ),
        Transition(
            WorkflowActionChoices.APPROVE,
            source=RatingStatusChoices.PUBLICIZED,
            target=RatingStatusChoices.APPROVED,
            label=gettext_lazy("Approve"),
            from_higher="approve",
            requires=[approval_ready],
            changes=lambda step: {"approved_at": timezone.now(), "approved_by": step.user},
            denied=_CHANGE_DENIED,
            denied_from_higher=_HIGHER_ONLY,
        ),
        # The higher committee sends submitted or publicized ratings back to the branch, with a
        # written reason (recorded with the ratings' history): the only way they change again.
        Transition(
            "return",
            source=(RatingStatusChoices.SUBMITTED, RatingStatusChoices.PUBLICIZED),
            target=RatingStatusChoices.DRAFT,
            label=gettext_lazy("Send back"),
            from_higher="approve",
            changes=lambda step: {"publicized_on": None},
            denied=_CHANGE_DENIED,
            denied_from_higher=gettext_lazy("Ratings are sent back by a higher party committee."),
        ),
    ],
    record=record_step,
    nothing_to_move=nothing_to_move,
)


class SubtreeFigures:
    """Per-organization figures combined over each organization's subtree, from rows read once.

    ``rows`` are ``(path, value)``; ``over(path, combine)`` combines the values of every row whose
    path starts with ``path`` (a contiguous range of the sorted paths).
    """

    def __init__(self, rows):
        self.rows = sorted(rows, key=lambda row: row[0])
        self.paths = [row[0] for row in self.rows]

    def values(self, path):
        start = bisect.bisect_left(self.paths, path)
        end = bisect.bisect_left(self.paths, path + "\uffff")
        return [row[1] for row in self.rows[start:end]]

    def total(self, path):
        return sum(value or 0 for value in self.values(path))

    def latest(self, path):
        dates = [value for value in self.values(path) if value is not None]
        return max(dates) if dates else None


def page_context(appraisal_round, organizations, visible):
    """What ``RATINGS.available`` needs for many organizations of a round page, in three queries:
    unrated members, the latest publicity date and open objections, each over the subtree."""
    unrated = SubtreeFigures(
        Participant.objects.filter(round=appraisal_round, member__left_on__isnull=True, member__organization__in=visible)
        .filter(~Exists(Rating.objects.filter(round=appraisal_round, member_id=OuterRef("member_id"))))
        .unrestricted(WITHIN_VISIBLE)
        .values_list("member__organization__path")
        .annotate(n=Count("pk"))
    )
    publicized = SubtreeFigures(
        Rating.objects.filter(round=appraisal_round, status=RatingStatusChoices.PUBLICIZED, organization__in=visible)
        .unrestricted(WITHIN_VISIBLE)
        .values_list("organization__path")
        .annotate(latest=Max("publicized_on"))
    )
    objections = SubtreeFigures(
        Objection.objects.filter(round=appraisal_round, resolved_on__isnull=True, organization__in=visible)
        .unrestricted(WITHIN_VISIBLE)
        .values_list("organization__path")
        .annotate(n=Count("pk"))
    )
    return {
        "round": appraisal_round,
        "unrated": {org.pk: unrated.total(org.path) for org in organizations},
        "approval": {org.pk: (publicized.latest(org.path), objections.total(org.path)) for org in organizations},
    }


__all__ = ["RATINGS", "WorkflowConflict", "approval_blockers", "page_context", "unrated_participants"]


# How each step's button looks on the round page.
_BUTTON_CLASS = {"submit": "btn-primary", "publicize": "btn-primary", "approve": "btn-success", "return": "btn-outline-warning"}


def offer_steps(user, appraisal_round, organizations, visible, today=None):
    """The workflow buttons of the round page, per organization: ``{org_id: [offer, ...]}``.

    A step is offered only where the user's role allows it and some ratings of the subtree are in
    its source state; when a check fails (publicity still running, members unrated) it is offered
    disabled with the reason. Four queries for the whole page, whatever the number of organizations.
    """
    statuses = {}
    for path, status, n in (
        Rating.objects.filter(round=appraisal_round, organization__in=visible)
        .unrestricted(WITHIN_VISIBLE)
        .values_list("organization__path", "status")
        .annotate(n=Count("pk"))
    ):
        statuses.setdefault(status, []).append((path, n))
    by_status = {status: SubtreeFigures(rows) for status, rows in statuses.items()}
    context = page_context(appraisal_round, organizations, visible)
    offers = {}
    for organization in organizations:
        counts = {status: figures.total(organization.path) for status, figures in by_status.items()}
        found = []
        for available in RATINGS.available(user, organization, counts, context=context, today=today):
            # Not the user's step, or nothing in its source state: no button at all.
            if not available.allowed and (
                RATINGS.permission_problem(user, available.transition, organization)
                or not any(counts.get(state) for state in available.transition.source)
            ):
                continue
            found.append(
                {
                    "name": available.name,
                    "label": str(available.transition.label),
                    "allowed": available.allowed,
                    "reason": available.reason,
                    "css": _BUTTON_CLASS.get(available.name, "btn-outline-primary"),
                }
            )
        if scope.get_scope(user).is_city_admin and counts.get(RatingStatusChoices.APPROVED):
            found.append({"name": "reopen", "allowed": True})
        offers[organization.pk] = found
    return offers
