"""Reading the audit trail (django-pghistory events) of one object for its page."""

from django.contrib.auth import get_user_model
from pghistory.models import Events


def history_for(obj, limit=200):
    """The object's recorded changes, newest first, each with the user who made it (or None)."""
    events = list(Events.objects.tracks(obj).order_by("-pgh_created_at", "-pgh_id")[:limit])
    user_ids = {
        (event.pgh_context or {}).get("user") for event in events if (event.pgh_context or {}).get("user")
    }
    users = get_user_model().objects.in_bulk(user_ids) if user_ids else {}
    for event in events:
        event.actor = users.get((event.pgh_context or {}).get("user"))
    return events
