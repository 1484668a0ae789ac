"""Demo data of the appraisal (``manage.py load_demo``, order 300: after the tree and the roster).

* A closed round for Zhangzhou's municipal direct organs (``ZZ-JG``), approved and final, that
  reproduces the seed report's result among its 9,208 formal members: 1,050 outstanding, 8,114
  qualified, 24 basically qualified, 20 unqualified; each unqualified member has a disposal
  decision (limited-time corrections, some due for review; persuasion to withdraw and removal
  voted by the branch and waiting for the higher committee, so the members are still on the
  roster until someone approves in the portal).
* An open round for Fuzhou (``FZ``) to try the workflow: one community's ratings in draft, one
  submitted, one publicized with its publicity period over (ready to approve), one with an open objection.

Idempotent: each round is found by its name and organization; an existing round is left alone.
When the roster's demo data is missing the step says so and does nothing.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone

from appraisal import services
from appraisal.choices import (
    CorrectionOutcomeChoices,
    DisposalKindChoices,
    RatingChoices,
    RatingStatusChoices,
    RoundStatusChoices,
)
from appraisal.models import AppraisalRound, DisposalDecision, Objection, Participant, Rating, WorkflowStep
from members.models import Member, Organization

SEED = 2003
ZHANGZHOU_ROOT = "ZZ-JG"
ZHANGZHOU_ROUND = "2003 democratic appraisal, municipal direct organs"
# The seed report's result among the 9,208 formal members.
ZHANGZHOU_RESULT = {
    RatingChoices.OUTSTANDING: 1050,
    RatingChoices.QUALIFIED: 8114,
    RatingChoices.BASICALLY_QUALIFIED: 24,
    RatingChoices.UNQUALIFIED: 20,
}
FUZHOU_ROOT = "FZ"
FUZHOU_ROUND = "Democratic appraisal (trial), Fuzhou"


def _admin():
    user_model = get_user_model()
    return (
        user_model.objects.filter(username="admin").first()
        or user_model.objects.filter(is_superuser=True).order_by("pk").first()
    )


def load_demo(stdout):
    root = Organization.objects.filter(code=ZHANGZHOU_ROOT).first()
    if root is None or not Member.objects.filter(organization__path__startswith=root.path).exists():
        stdout.write("  appraisal: skipped, the roster's demo data ({} and its members) is not loaded".format(ZHANGZHOU_ROOT))
        return
    _zhangzhou_round(root, stdout)
    fuzhou = Organization.objects.filter(code=FUZHOU_ROOT).first()
    if fuzhou is None:
        stdout.write("  appraisal: no {} in the demo tree, open round skipped".format(FUZHOU_ROOT))
    else:
        _fuzhou_round(fuzhou, stdout)


def _zhangzhou_round(root, stdout):
    if AppraisalRound.objects.filter(name=ZHANGZHOU_ROUND, organization=root).exists():
        stdout.write("  appraisal: the Zhangzhou round exists already")
        return
    rng = random.Random(SEED)
    appraisal_round = AppraisalRound(
        name=ZHANGZHOU_ROUND,
        year=2003,
        organization=root,
        opens_on=datetime.date(2003, 6, 1),
        closes_on=datetime.date(2003, 7, 31),
        publicity_days=7,
        status=RoundStatusChoices.CLOSED,
    )
    services.open_round(appraisal_round)
    formal = list(
        Participant.objects.filter(round=appraisal_round, is_probationary=False)
        .order_by("member_id")
        .values_list("member_id", "organization_id")
    )
    ratings = _distribute(rng, len(formal))
    approved_by = _admin()
    now = timezone.now()
    Rating.objects.bulk_create(
        [
            Rating(
                round=appraisal_round,
                member_id=member_id,
                organization_id=organization_id,
                rating=rating,
                status=RatingStatusChoices.APPROVED,
                publicized_on=datetime.date(2003, 7, 10),
                approved_at=now,
                approved_by=approved_by,
                reason="",
            )
            for (member_id, organization_id), rating in zip(formal, ratings)
        ],
        batch_size=2000,
    )
    if approved_by is not None:
        WorkflowStep.objects.create(
            round=appraisal_round, organization=root, action="approve", ratings_moved=len(formal), user=approved_by
        )
    decisions = _disposals(rng, appraisal_round)
    counts = dict(Rating.objects.filter(round=appraisal_round).values_list("rating").annotate(n=Count("pk")))
    stdout.write(
        "  appraisal: Zhangzhou round, {} formal members rated ({}), {} disposal decisions".format(
            len(formal), ", ".join("{} {}".format(counts.get(v, 0), v) for v in RatingChoices.values), decisions
        )
    )


def _distribute(rng, formal_count):
    """The seed's ratings for ``formal_count`` members, shuffled with a fixed seed.

    With exactly 9,208 formal members the counts are the report's; otherwise (a changed roster)
    the same shares, the rest qualified.
    """
    total = sum(ZHANGZHOU_RESULT.values())
    counts = {rating: n * formal_count // total for rating, n in ZHANGZHOU_RESULT.items()}
    counts[RatingChoices.QUALIFIED] += formal_count - sum(counts.values())
    ratings = [rating for rating, n in counts.items() for _index in range(n)]
    rng.shuffle(ratings)
    return ratings


def _disposals(rng, appraisal_round):
    """A decision for every unqualified rating: 14 corrections (some due), 4 withdrawals, 2 removals."""
    today = timezone.localdate()
    unqualified = list(
        Rating.objects.filter(round=appraisal_round, rating=RatingChoices.UNQUALIFIED).order_by("member_id")
    )
    kinds = (
        [DisposalKindChoices.REMOVAL] * 2
        + [DisposalKindChoices.PERSUADED_TO_WITHDRAW] * 4
        + [DisposalKindChoices.LIMITED_CORRECTION] * max(len(unqualified) - 6, 0)
    )
    decisions = []
    for index, (rating, kind) in enumerate(zip(unqualified, kinds)):
        talk = datetime.date(2003, 7, 20) + datetime.timedelta(days=rng.randint(0, 5))
        meeting = talk + datetime.timedelta(days=rng.randint(3, 10))
        voters = rng.randint(8, 30)
        against = rng.randint(0, 2)
        decision = DisposalDecision(
            rating=rating,
            organization_id=rating.organization_id,
            kind=kind,
            talk_held_on=talk,
            branch_meeting_on=meeting,
            votes_for=voters - against - 1,
            votes_against=against,
            votes_abstaining=1,
        )
        if kind == DisposalKindChoices.LIMITED_CORRECTION:
            decision.correction_months = 6 if index % 3 else 12
            decision.committee_approved_on = meeting + datetime.timedelta(days=7)
            # A few reviews fall due around today, so the "due or overdue" page has something to show;
            # the others were reviewed long ago (one member did not correct).
            if index % 4 == 0:
                decision.review_on = today + datetime.timedelta(days=rng.randint(-20, 20))
            else:
                decision.review_outcome = (
                    CorrectionOutcomeChoices.NOT_CORRECTED if index == 7 else CorrectionOutcomeChoices.CORRECTED
                )
        decision.full_clean()
        decisions.append(decision)
    DisposalDecision.objects.bulk_create(decisions)
    return len(decisions)


def _fuzhou_round(root, stdout):
    if AppraisalRound.objects.filter(name=FUZHOU_ROUND, organization=root).exists():
        stdout.write("  appraisal: the Fuzhou round exists already")
        return
    rng = random.Random(SEED + 1)
    today = timezone.localdate()
    appraisal_round = services.open_round(
        AppraisalRound(name=FUZHOU_ROUND, year=today.year, organization=root, opens_on=today, publicity_days=5)
    )
    # Four communities (organizations with participants), each at another step of the workflow.
    organizations = list(
        Participant.objects.filter(round=appraisal_round)
        .values_list("organization_id", flat=True)
        .annotate(n=Count("pk"))
        .filter(n__gte=5)
        .order_by("organization_id")[:4]
    )
    steps = [
        (RatingStatusChoices.DRAFT, None),
        (RatingStatusChoices.SUBMITTED, None),
        (RatingStatusChoices.PUBLICIZED, today - datetime.timedelta(days=10)),
        (RatingStatusChoices.PUBLICIZED, today - datetime.timedelta(days=1)),
    ]
    choices = [RatingChoices.OUTSTANDING] * 2 + [RatingChoices.QUALIFIED] * 15 + [RatingChoices.BASICALLY_QUALIFIED]
    created = 0
    for organization_id, (status, publicized_on) in zip(organizations, steps):
        participants = list(Participant.objects.filter(round=appraisal_round, organization_id=organization_id))
        Rating.objects.bulk_create(
            [
                Rating(
                    round=appraisal_round,
                    member_id=participant.member_id,
                    organization_id=organization_id,
                    rating=rng.choice(choices),
                    status=status,
                    publicized_on=publicized_on,
                )
                for participant in participants
            ]
        )
        created += len(participants)
        if publicized_on and publicized_on > today - datetime.timedelta(days=5):
            Objection.objects.create(
                round=appraisal_round,
                member_id=participants[0].member_id,
                organization_id=organization_id,
                text="群众反映该同志长期不参加组织生活。",
            )
    stdout.write("  appraisal: Fuzhou open round, {} ratings at four workflow steps".format(created))
