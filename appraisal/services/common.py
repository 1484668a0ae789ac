"""What every appraisal operation shares: the round and organization lookups that keep scope, and the guards on raw input."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from appraisal.models import AppraisalRound
from members.models import Organization
from portal import scope
from portal.input_guards import text_problem


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


def _flatten(error):
    return "; ".join("{}: {}".format(field, " ".join(str(m) for m in messages)) for field, messages in error.items())


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
