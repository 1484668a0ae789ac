"""Entering what a branch records: ratings and the branch meeting's evaluation record."""

import datetime
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from appraisal.choices import RatingChoices, RatingStatusChoices, RoundStatusChoices
from appraisal.models import Participant, Rating
from appraisal.services.common import MAX_COUNT, MAX_ID, _flatten, _whole_number
from appraisal.services.workflow import WorkflowConflict, refuse_changes_past_draft
from members.models import Organization
from portal import scope
from portal.input_guards import date_range_message, text_problem, validate_date_in_range


@transaction.atomic
def save_ratings(appraisal_round, user, rows, counts=None):
    """Insert or update the ratings ``rows`` (``[{"member": id, "rating": value, "reason"?: text}]``).

    All or nothing: any bad row raises ``ValidationError`` with the row's index and saves nothing.
    A member who is not a participant of the round, or whose organization the caller may not
    rate, is a bad row. An approved rating raises ``WorkflowConflict``. Changing a rating that
    was already submitted or publicized sends it back to draft (the branch must submit again);
    sending the same value again changes nothing. Returns the number of rows saved; ``counts``
    (a dict), when given, receives how many were ``created`` and ``changed``.
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
    # Past draft a rating changes only after the higher committee sends it back (the workflow's rule).
    refuse_changes_past_draft(existing, wanted)
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
    if counts is not None:
        counts.update(created=len(to_create), changed=len(to_update))
    return len(wanted)


def save_rating_grid(appraisal_round, user, rows):
    """The entry grid's save (``portal.views.grid``): the rated rows of one branch through
    ``save_ratings`` (an empty cell leaves the member's rating as it is). Returns the summary."""
    wanted = [{"member": row.key, "rating": row.values["rating"]} for row in rows if row.values.get("rating")]
    counts = {"created": 0, "changed": 0}
    saved = save_ratings(appraisal_round, user, wanted, counts=counts)
    return " ".join(
        [
            _("Saved {count} ratings.").format(count=saved),
            _("{created} new, {changed} changed, {unchanged} unchanged.").format(
                created=counts["created"], changed=counts["changed"], unchanged=saved - counts["created"] - counts["changed"]
            ),
        ]
    )


# Members evaluate each other in groups of at most this many.
GROUP_LIMIT = 10


def save_group_grid(appraisal_round, organization, user, rows):
    """The groups grid's save: place each posted participant of ``organization`` in the chosen
    mutual-evaluation group (an empty choice takes them out), no group above ``GROUP_LIMIT``.

    Everyone posted is taken out first, then placed, so members can swap between full groups.
    """
    from appraisal.models import MutualEvaluationGroup

    if not scope.allows(user, "change", MutualEvaluationGroup, organization):
        raise PermissionDenied(_("You may not change the groups of this organization."))
    groups = {
        str(group.pk): group
        for group in scope.restrict(
            MutualEvaluationGroup.objects.filter(round=appraisal_round, organization=organization), user, "change"
        ).select_for_update()
    }
    changed = []
    for row in rows:
        if "group" not in row.values:
            continue
        wanted = row.values["group"]
        group = groups.get(str(wanted)) if wanted is not None else None
        if wanted is not None and group is None:
            raise ValidationError({(row.key, "group"): [_("Unknown group.")]})
        changed.append((row.object, group))
    participants = scope.restrict(Participant.objects.all(), user, "change")
    participants.filter(pk__in=[p.pk for p, _g in changed]).update(group=None)
    sizes = dict(
        participants.filter(group__in=list(groups.values())).values_list("group_id").annotate(n=Count("pk"))
    )
    for participant, group in changed:
        if group is None:
            continue
        sizes[group.pk] = sizes.get(group.pk, 0) + 1
        if sizes[group.pk] > GROUP_LIMIT:
            raise ValidationError(
                _("Group {name} would have more than {limit} members.").format(name=group.name, limit=GROUP_LIMIT)
            )
    by_group = {}
    for participant, group in changed:
        if group is not None:
            by_group.setdefault(group.pk, []).append(participant.pk)
    for group_pk, pks in by_group.items():
        participants.filter(pk__in=pks).update(group_id=group_pk)
    return _("Groups saved.")


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
    ``votes-<id>-<rating>-group`` / ``votes-<id>-<rating>-non_party``. (The page reads the same
    fields through the entry grid and calls ``save_evaluation_grid``.)
    """
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
    participants = scope.restrict(
        Participant.objects.filter(round=appraisal_round, organization=organization).select_related("member"), user, "view"
    )
    rows = []
    for participant in participants:
        values = {}
        for value in RatingChoices.values:
            for source in ("group", "non_party"):
                key = "votes-{}-{}-{}".format(participant.pk, value, source)
                values["votes_{}_{}".format(value, source)] = _count(data, key, participant.member.name, errors)
        for column, key in (("self", "self-{}".format(participant.pk)), ("reason", "reason-{}".format(participant.member_id))):
            if data.get(key) is not None:
                message = text_problem(data.get(key))
                if message:
                    errors.append(_("{name}: {message}").format(name=participant.member.name, message=message))
                values[column] = data.get(key)
        rows.append(SimpleNamespace(key=participant.pk, object=participant, values=values))
    if errors:
        raise ValidationError(errors)
    return save_evaluation_grid(
        appraisal_round,
        organization,
        user,
        rows,
        {"non_party_representatives": representatives, "meeting_held_on": meeting_day},
    )


@transaction.atomic
def save_evaluation_grid(appraisal_round, organization, user, rows, header):
    """Save a branch's evaluation records from the grid's rows (``portal.views.grid``), all or nothing.

    ``header`` holds ``non_party_representatives`` and ``meeting_held_on`` (absent: 0 and none);
    each row's ``values`` the member's ``self`` evaluation, the ``reason`` on their rating (unless
    it is final) and ``votes_<rating>_group`` / ``votes_<rating>_non_party``. The votes of the
    branch are replaced by the rows' (absent or empty: none). A participant with more non-party
    votes than there are non-party representatives is refused on that cell. Returns the summary.
    """
    from appraisal.models import BranchEvaluation, MutualEvaluationVote

    if not scope.allows(user, "change", Participant, organization):
        raise PermissionDenied(_("You may not change the evaluation records of this organization."))
    representatives = header.get("non_party_representatives") or 0
    errors = {}
    votes = []
    for row in rows:
        for value in RatingChoices.values:
            group_votes = row.values.get("votes_{}_group".format(value)) or 0
            non_party = row.values.get("votes_{}_non_party".format(value)) or 0
            if non_party > representatives:
                errors[(row.key, "votes_{}_non_party".format(value))] = [
                    _("{name}: more non-party votes than non-party representatives.").format(name=row.object.member.name)
                ]
            if group_votes or non_party:
                votes.append(
                    MutualEvaluationVote(participant=row.object, rating=value, group_votes=group_votes, non_party_votes=non_party)
                )
    if errors:
        raise ValidationError(errors)
    participants = scope.restrict(Participant.objects.filter(pk__in=[row.key for row in rows]), user, "change")
    locked = {participant.pk: participant for participant in participants.select_for_update(of=("self",))}
    ratings = {
        rating.member_id: rating
        for rating in scope.restrict(
            Rating.objects.filter(round=appraisal_round, member_id__in=[p.member_id for p in locked.values()]), user, "change"
        )
    }
    BranchEvaluation.objects.update_or_create(
        round=appraisal_round,
        organization=organization,
        defaults={"non_party_representatives": representatives, "meeting_held_on": header.get("meeting_held_on")},
    )
    for row in rows:
        participant = locked.get(row.key)
        if participant is None:
            continue
        if "self" in row.values and (row.values["self"] or "") != participant.self_evaluation:
            participant.self_evaluation = row.values["self"] or ""
            participant.save(update_fields=["self_evaluation", "updated_at"])
        rating = ratings.get(participant.member_id)
        reason = row.values.get("reason")
        if rating is not None and "reason" in row.values and (reason or "") != rating.reason and not rating.is_final:
            rating.reason = reason or ""
            rating.save(update_fields=["reason", "updated_at"])
    scope.restrict(MutualEvaluationVote.objects.filter(participant__in=list(locked)), user, "change").delete()
    MutualEvaluationVote.objects.bulk_create(votes)
    return _("Evaluation records saved.")
