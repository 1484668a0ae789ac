"""The appraisal's operations, shared by pages and API: enrol, enter ratings, move the workflow, reopen, dispose.

Each operation checks scope itself and raises:

* ``django.core.exceptions.ValidationError`` for bad input (400, nothing saved);
* ``django.core.exceptions.PermissionDenied`` for a visible thing the caller may not do (403);
* ``WorkflowConflict`` when the state forbids the change (409): an approved rating, a
  publicity period still running, unresolved objections, nothing to move.

Callers run them inside ``transaction.atomic`` (the functions open their own too).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisal.choices import RatingChoices, RatingStatusChoices, RoundStatusChoices, WorkflowActionChoices
from appraisal.models import (
    AppraisalRound,
    Objection,
    Participant,
    Rating,
    Reopening,
    WorkflowStep,
)
from members.choices import ExitReasonChoices, MemberStatusChoices
from members.models import Organization
from portal import scope
from portal.input_guards import date_range_message, text_problem, validate_date_in_range

# Ids are bigint; a larger number names no row, and PostgreSQL would refuse to compare it.
MAX_ID = 2**63 - 1
# Vote and representative counts of one branch meeting; far below the columns' 2**31 - 1.
MAX_COUNT = 100_000


def _whole_number(value):
    """``value`` as a non-negative int when it is one or is written in ASCII digits, else None
    (``int()`` would also take "٣" or " 3 ", and ``str.isdigit()`` takes "²")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _refuse_unstorable(field, text):
    """A ``ValidationError`` on ``field`` when ``text`` cannot be stored (the pages' and the API's
    guards see it first; a service called from elsewhere still answers 400)."""
    message = text_problem(text) if isinstance(text, str) else None
    if message:
        raise ValidationError({field: [message]})


class WorkflowConflict(Exception):
    """The state of the ratings forbids this change (answered with 409)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# --- rounds and participants -------------------------------------------------------------------

def enrol_current_members(appraisal_round):
    """Enrol every current formal and probationary member of the round's subtree (one INSERT ... SELECT).

    Members already enrolled are left alone, so calling it again adds only those who joined since.
    Returns the number of participants added.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO appraisal_participant
                (created_at, updated_at, round_id, member_id, organization_id, is_probationary, self_evaluation)
            SELECT now(), now(), %s, m.id, m.organization_id, m.status = %s, ''
            FROM members_member m
            JOIN members_organization o ON o.id = m.organization_id
            WHERE o.path LIKE %s AND m.left_on IS NULL AND m.status IN (%s, %s)
            ON CONFLICT (round_id, member_id) DO NOTHING
            """,
            [
                appraisal_round.pk,
                MemberStatusChoices.PROBATIONARY,
                _like_prefix(appraisal_round.organization.path),
                MemberStatusChoices.FORMAL,
                MemberStatusChoices.PROBATIONARY,
            ],
        )
        return cursor.rowcount


def _like_prefix(path):
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@transaction.atomic
def open_round(appraisal_round):
    """Save a new round and enrol its members."""
    appraisal_round.full_clean()
    appraisal_round.save()
    enrol_current_members(appraisal_round)
    return appraisal_round


@transaction.atomic
def add_participant(appraisal_round, member, user):
    """Enrol a member who joined after the round opened."""
    if not scope.allows(user, "add", Participant, member.organization):
        raise PermissionDenied(_("You may not enrol members of this organization."))
    if not member.organization.path.startswith(appraisal_round.organization.path):
        raise ValidationError({"member": [_("The member is not inside the organization this round covers.")]})
    if not member.is_current:
        raise ValidationError({"member": [_("The member is no longer on the roster.")]})
    participant, _created = Participant.objects.get_or_create(
        round=appraisal_round,
        member=member,
        defaults={
            "organization_id": member.organization_id,
            "is_probationary": member.status == MemberStatusChoices.PROBATIONARY,
        },
    )
    return participant


# --- ratings -----------------------------------------------------------------------------------

@transaction.atomic
def save_ratings(appraisal_round, user, rows):
    """Insert or update the ratings ``rows`` (``[{"member": id, "rating": value, "reason"?: text}]``).

    All or nothing: any bad row raises ``ValidationError`` with the row's index and saves nothing.
    A member who is not a participant of the round, or whose organization the caller may not
    rate, is a bad row. An approved rating raises ``WorkflowConflict``. Changing a rating that
    was already submitted or publicized sends it back to draft (the branch must submit again);
    sending the same value again changes nothing. Returns the number of rows saved.
    """
    if not isinstance(rows, list):
        raise ValidationError({"non_field_errors": [_("Send a list of ratings.")]})
    if appraisal_round.status == RoundStatusChoices.CLOSED:
        raise WorkflowConflict(_("The round is closed; it takes no more ratings."))
    errors = {}
    wanted = {}
    for index, row in enumerate(rows):
        row_errors = {}
        if not isinstance(row, dict):
            errors[index] = {"non_field_errors": [_("Each row is an object with member and rating.")]}
            continue
        member_id = _whole_number(row.get("member"))
        if member_id is None:
            row_errors["member"] = [_("A member id is a whole number.")]
        elif not 0 < member_id <= MAX_ID:
            row_errors["member"] = [_("Member {id} does not take part in this round.").format(id=member_id)]
            member_id = None
        if row.get("rating") not in RatingChoices.values:
            row_errors["rating"] = [
                _("Choose one of: {choices}.").format(choices=", ".join(RatingChoices.values))
            ]
        reason = row.get("reason", "")
        if not isinstance(reason, str):
            row_errors["reason"] = [_("The reason is text.")]
        elif text_problem(reason):
            row_errors["reason"] = [text_problem(reason)]
        if member_id is not None and member_id in wanted:
            row_errors["member"] = [_("This member appears twice in the list.")]
        if row_errors:
            errors[index] = row_errors
        elif member_id is not None:
            wanted[member_id] = (index, row["rating"], reason)
    if not wanted and not errors:
        return 0

    # One query: the listed members who take part, with the organization they are in now (plain
    # tuples: a city-wide list has thousands of rows).
    member_organization = {
        member_id: organization_id
        for member_id, organization_id in Participant.objects.filter(
            round=appraisal_round, member_id__in=list(wanted), member__left_on__isnull=True
        ).values_list("member_id", "member__organization_id")
    }
    rateable = set(
        scope.restrict(
            Organization.objects.filter(pk__in=set(member_organization.values())), user, "change", for_model=Rating
        ).values_list("pk", flat=True)
    )
    for member_id, (index, _rating, _reason) in wanted.items():
        if member_organization.get(member_id) not in rateable:
            # Unknown, not enrolled, left, or outside the caller's scope: all said the same way, so
            # the answer never reveals who exists outside the scope.
            errors[index] = {"member": [_("Member {id} does not take part in this round.").format(id=member_id)]}
    if errors:
        raise ValidationError(
            {
                "ratings": [
                    _("Row {row}: {errors}").format(row=index + 1, errors=_flatten(error))
                    for index, error in sorted(errors.items())
                ]
            }
        )

    existing = {
        member_id: (pk, rating, reason, status)
        for pk, member_id, rating, reason, status in Rating.objects.select_for_update()
        .filter(round=appraisal_round, member_id__in=list(wanted))
        .values_list("pk", "member_id", "rating", "reason", "status")
    }
    final = sum(1 for row in existing.values() if row[3] == RatingStatusChoices.APPROVED)
    if final:
        raise WorkflowConflict(
            _("{count} of these ratings are approved and final; a city administrator must reopen them first.").format(
                count=final
            )
        )
    to_create, to_update = [], []
    for member_id, (index, value, reason) in wanted.items():
        current = existing.get(member_id)
        if current is None:
            to_create.append(
                Rating(
                    round=appraisal_round,
                    member_id=member_id,
                    organization_id=member_organization[member_id],
                    rating=value,
                    reason=reason,
                    entered_by=user,
                )
            )
        elif current[1] != value or (reason and current[2] != reason):
            to_update.append((current[0], value, reason or current[2]))
    Rating.objects.bulk_create(to_create, batch_size=2000)
    _update_ratings(to_update, user)
    return len(wanted)


def _update_ratings(ratings, user, chunk=5000):
    """Changed ratings ``(pk, rating, reason)`` back to draft, one ``UPDATE ... FROM (VALUES ...)`` per few thousand rows.

    (``bulk_update`` writes a ``CASE`` over every id of a batch for every row: a city's list took
    40 seconds that way.)
    """
    with connection.cursor() as cursor:
        for start in range(0, len(ratings), chunk):
            part = ratings[start : start + chunk]
            values = ", ".join(["(%s::bigint, %s::varchar, %s::text)"] * len(part))
            params = [item for row in part for item in row]
            cursor.execute(
                "UPDATE appraisal_rating AS r SET rating = v.rating, reason = v.reason, status = %s, "
                "publicized_on = NULL, entered_by_id = %s, updated_at = now() "
                "FROM (VALUES " + values + ") AS v (id, rating, reason) WHERE r.id = v.id",
                [RatingStatusChoices.DRAFT, user.pk if user is not None else None] + params,
            )


def _flatten(error):
    return "; ".join("{}: {}".format(field, " ".join(str(m) for m in messages)) for field, messages in error.items())


# --- workflow ----------------------------------------------------------------------------------

_STEPS = {
    WorkflowActionChoices.SUBMIT: (RatingStatusChoices.DRAFT, RatingStatusChoices.SUBMITTED),
    WorkflowActionChoices.PUBLICIZE: (RatingStatusChoices.SUBMITTED, RatingStatusChoices.PUBLICIZED),
    WorkflowActionChoices.APPROVE: (RatingStatusChoices.PUBLICIZED, RatingStatusChoices.APPROVED),
}


def organization_ratings(appraisal_round, organization):
    """The ratings of ``organization``: those entered under it or anywhere below it."""
    return Rating.objects.filter(round=appraisal_round, organization__path__startswith=organization.path)


def _approving_grants(user):
    return [grant for grant in scope.get_scope(user).grants if "approve" in Rating.scope_actions.get(grant.role, ())]


def holds_higher_role(user, organization):
    """Whether the user approves for a committee above ``organization`` (a role on a strict ancestor)."""
    if scope.get_scope(user).is_city_admin:
        return True
    return any(
        organization.path.startswith(grant.path) and organization.path != grant.path for grant in _approving_grants(user)
    )


def awaiting_approval_by(user, ratings):
    """Those of ``ratings`` that are publicized and that ``user`` approves (holds_higher_role, set-based)."""
    ratings = ratings.filter(status=RatingStatusChoices.PUBLICIZED)
    if scope.get_scope(user).is_city_admin:
        return ratings
    condition = Q(pk__in=[])
    for grant in _approving_grants(user):
        condition |= Q(organization__path__startswith=grant.path) & ~Q(organization_id=grant.organization_id)
    return ratings.filter(condition)


def publicity_ends_on(appraisal_round, publicized_on):
    return publicized_on + datetime.timedelta(days=appraisal_round.publicity_days)


def approval_blockers(appraisal_round, organization, today=None):
    """Why the organization's publicized ratings cannot be approved yet (empty when they can)."""
    today = today or timezone.localdate()
    reasons = []
    latest = (
        organization_ratings(appraisal_round, organization)
        .filter(status=RatingStatusChoices.PUBLICIZED)
        .aggregate(latest=Max("publicized_on"))["latest"]
    )
    if latest is not None and publicity_ends_on(appraisal_round, latest) > today:
        reasons.append(
            _("The publicity period runs until {date}; approve after it has ended.").format(
                date=publicity_ends_on(appraisal_round, latest).isoformat()
            )
        )
    unresolved = Objection.objects.filter(
        round=appraisal_round, organization__path__startswith=organization.path, resolved_on__isnull=True
    ).count()
    if unresolved:
        reasons.append(
            _("{count} objection(s) raised during publicity are not resolved yet.").format(count=unresolved)
        )
    return reasons


@transaction.atomic
def move_step(appraisal_round, user, organization, action, today=None):
    """Move every rating of ``organization`` (and below) one step: submit, publicize or approve.

    Submitting and publicizing need the right to change ratings there; approving needs a role
    on a higher organization than the one approved. Returns the number of ratings moved.
    """
    today = today or timezone.localdate()
    source, target = _STEPS[action]
    if not scope.allows(user, "change", Rating, organization):
        raise PermissionDenied(_("You may not change the ratings of this organization."))
    if action == WorkflowActionChoices.APPROVE and not holds_higher_role(user, organization):
        raise PermissionDenied(
            _("Ratings are approved by a higher party committee than the organization that entered them.")
        )
    # Lock the organization's ratings so the checks below and the update see the same rows.
    ratings = organization_ratings(appraisal_round, organization)
    list(ratings.select_for_update().values_list("pk", flat=True))
    if action == WorkflowActionChoices.APPROVE:
        blockers = approval_blockers(appraisal_round, organization, today)
        if blockers:
            raise WorkflowConflict(" ".join(str(reason) for reason in blockers))
    changes = {"status": target, "updated_at": timezone.now()}
    if action == WorkflowActionChoices.PUBLICIZE:
        changes["publicized_on"] = today
    if action == WorkflowActionChoices.APPROVE:
        changes.update(approved_at=timezone.now(), approved_by=user)
    moved = ratings.filter(status=source).update(**changes)
    if not moved:
        counts = dict(ratings.values_list("status").annotate(n=Count("pk")))
        raise WorkflowConflict(
            _("No {source} ratings of {organization} to move (ratings by status: {counts}).").format(
                source=RatingStatusChoices(source).label,
                organization=organization.name,
                counts=", ".join("{}: {}".format(k, v) for k, v in sorted(counts.items())) or _("none"),
            )
        )
    WorkflowStep.objects.create(
        round=appraisal_round, organization=organization, action=action, ratings_moved=moved, user=user
    )
    return moved


@transaction.atomic
def reopen(appraisal_round, user, organization, reason):
    """The city administrator's only way back: the organization's approved ratings return to draft.

    The reopening is recorded first, with its written reason: the database lets approved ratings
    go back to draft only under a reopening recorded in the same transaction (``Rating.final_state``).
    Each rating's history records the change too.
    """
    if not scope.get_scope(user).is_city_admin:
        raise PermissionDenied(_("Only a city administrator may reopen approved ratings."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for reopening in writing.")]})
    _refuse_unstorable("reason", reason)
    # Locked, so the count recorded is the count reopened.
    approved = list(
        organization_ratings(appraisal_round, organization)
        .filter(status=RatingStatusChoices.APPROVED)
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
    count = len(approved)
    if not count:
        raise WorkflowConflict(_("{organization} has no approved ratings to reopen.").format(organization=organization.name))
    Reopening.objects.create(
        round=appraisal_round, organization=organization, reason=reason, ratings_reopened=count, user=user
    )
    Rating.objects.filter(pk__in=approved).update(
        status=RatingStatusChoices.DRAFT, publicized_on=None, approved_at=None, approved_by=None, updated_at=timezone.now()
    )
    WorkflowStep.objects.create(
        round=appraisal_round, organization=organization, action=WorkflowActionChoices.REOPEN, ratings_moved=count, user=user
    )
    return count


# --- objections and disposal -------------------------------------------------------------------

@transaction.atomic
def record_objection(appraisal_round, user, member, text):
    """Record an objection against a member whose rating is publicized."""
    if not scope.allows(user, "add", Objection, member.organization):
        raise PermissionDenied(_("You may not record objections for this organization."))
    rating = Rating.objects.filter(round=appraisal_round, member=member).first()
    if rating is None or rating.status != RatingStatusChoices.PUBLICIZED:
        raise WorkflowConflict(_("Objections are recorded while the member's rating is publicized."))
    if not (text or "").strip():
        raise ValidationError({"text": [_("Write down the objection.")]})
    _refuse_unstorable("text", text)
    return Objection.objects.create(
        round=appraisal_round, member=member, organization=rating.organization, text=text.strip()
    )


@transaction.atomic
def resolve_objection(objection, user, resolution, today=None):
    if not scope.allows(user, "change", Objection, objection.organization):
        raise PermissionDenied(_("You may not resolve objections of this organization."))
    if not (resolution or "").strip():
        raise ValidationError({"resolution": [_("Say how the objection was resolved.")]})
    _refuse_unstorable("resolution", resolution)
    objection.resolution = resolution.strip()
    objection.resolved_on = today or timezone.localdate()
    objection.save(update_fields=["resolution", "resolved_on", "updated_at"])
    return objection


@transaction.atomic
def save_disposal(decision, user):
    """Validate and save a disposal decision; when the higher committee has approved a removal or
    a persuasion to withdraw, the member leaves the roster through its recorded-exit path."""
    decision.organization_id = decision.rating.organization_id
    if decision.committee_approved_on and not holds_higher_role(user, decision.rating.organization):
        raise PermissionDenied(_("The higher party committee records its own approval."))
    decision.full_clean()
    decision.save()
    member = decision.rating.member
    if decision.committee_approved_on and decision.removes_member and member.is_current:
        reason = (
            ExitReasonChoices.REMOVAL
            if decision.kind == "removal"
            else ExitReasonChoices.WITHDRAWAL
        )
        member.record_exit(reason, on=decision.committee_approved_on)
    return decision


def get_round_or_404(user, pk):
    """A round the user may see (held above them or inside their scope); 404 otherwise."""
    try:
        return AppraisalRound.objects.restrict(user).select_related("organization").get(pk=pk)
    except (AppraisalRound.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Not found.")) from None


def get_organization_or_404(user, code, appraisal_round=None):
    """An organization the user may see, inside the round's subtree (404 otherwise)."""
    organization = scope.restrict(Organization.objects.all(), user, "view").filter(code=code).first()
    if organization is None or (
        appraisal_round is not None and not organization.path.startswith(appraisal_round.organization.path)
    ):
        raise Http404(_("No organization with code {code} in your scope.").format(code=code))
    return organization


def unqualified_without_decision(appraisal_round_ids=None):
    ratings = Rating.objects.filter(rating=RatingChoices.UNQUALIFIED, disposal__isnull=True)
    if appraisal_round_ids is not None:
        ratings = ratings.filter(round_id__in=appraisal_round_ids)
    return ratings



def _count(data, key, label, errors):
    raw = (data.get(key) or "").strip()
    if raw == "":
        return 0
    count = _whole_number(raw)
    if count is None:
        errors.append(_("{label}: a whole number of 0 or more.").format(label=label))
        return 0
    if count > MAX_COUNT:
        errors.append(_("{label}: at most {maximum}.").format(label=label, maximum=MAX_COUNT))
        return 0
    return count


@transaction.atomic
def save_evaluation(appraisal_round, user, organization, data):
    """Save a branch's evaluation records from the evaluation page's fields, all or nothing.

    ``non_party_representatives``, ``meeting_held_on``; per participant ``self-<id>``,
    ``reason-<member id>`` (on the member's rating, unless it is final) and
    ``votes-<id>-<rating>-group`` / ``votes-<id>-<rating>-non_party``.
    """
    from appraisal.models import BranchEvaluation, MutualEvaluationVote

    if not scope.allows(user, "change", Participant, organization):
        raise PermissionDenied(_("You may not change the evaluation records of this organization."))
    errors = []
    representatives = _count(data, "non_party_representatives", _("Non-party representatives"), errors)
    meeting = (data.get("meeting_held_on") or "").strip()
    meeting_day = None
    if meeting:
        try:
            meeting_day = datetime.date.fromisoformat(meeting)
        except ValueError:
            errors.append(_("The meeting date is a date (YYYY-MM-DD)."))
        else:
            try:
                validate_date_in_range(meeting_day)
            except ValidationError:
                errors.append(date_range_message())
                meeting_day = None
    participants = list(
        Participant.objects.filter(round=appraisal_round, organization=organization)
        .select_related("member")
        .select_for_update(of=("self",))
    )
    ratings = {
        r.member_id: r
        for r in Rating.objects.filter(round=appraisal_round, member_id__in=[p.member_id for p in participants])
    }
    votes = []
    for participant in participants:
        for value in RatingChoices.values:
            group_votes = _count(data, "votes-{}-{}-group".format(participant.pk, value), participant.member.name, errors)
            non_party = _count(data, "votes-{}-{}-non_party".format(participant.pk, value), participant.member.name, errors)
            if non_party > representatives:
                errors.append(
                    _("{name}: more non-party votes than non-party representatives.").format(name=participant.member.name)
                )
            votes.append((participant, value, group_votes, non_party))
        for key in ("self-{}".format(participant.pk), "reason-{}".format(participant.member_id)):
            message = text_problem(data.get(key) or "")
            if message:
                errors.append(_("{name}: {message}").format(name=participant.member.name, message=message))
    if errors:
        raise ValidationError(errors)
    BranchEvaluation.objects.update_or_create(
        round=appraisal_round,
        organization=organization,
        defaults={"non_party_representatives": representatives, "meeting_held_on": meeting_day},
    )
    for participant in participants:
        text = data.get("self-{}".format(participant.pk))
        if text is not None and text != participant.self_evaluation:
            participant.self_evaluation = text
            participant.save(update_fields=["self_evaluation", "updated_at"])
        reason = data.get("reason-{}".format(participant.member_id))
        rating = ratings.get(participant.member_id)
        if rating is not None and reason is not None and reason != rating.reason and not rating.is_final:
            rating.reason = reason
            rating.save(update_fields=["reason", "updated_at"])
    MutualEvaluationVote.objects.filter(participant__in=participants).delete()
    MutualEvaluationVote.objects.bulk_create(
        [
            MutualEvaluationVote(participant=participant, rating=value, group_votes=group_votes, non_party_votes=non_party)
            for participant, value, group_votes, non_party in votes
            if group_votes or non_party
        ]
    )
