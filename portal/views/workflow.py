"""Pages that make a workflow step (POST only): the conflict becomes a message, never an error page.

A view lists what it does in ``perform_step`` (inside one transaction) and returns the success
message; a :class:`portal.workflow.WorkflowConflict` (the state forbids the step) or a
``ValidationError`` (a missing reason, say) rolls the step back and is shown as an error message
on the page the user came from. ``PermissionDenied`` and ``Http404`` pass through (403, 404).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect

from portal.views.redirects import safe_next
from portal.workflow import WorkflowConflict


def error_text(error):
    """A ``ValidationError``'s messages as one line."""
    if hasattr(error, "message_dict"):
        return " ".join(str(m) for messages_ in error.message_dict.values() for m in messages_)
    return " ".join(str(m) for m in error.messages)


class WorkflowStepMixin:
    """POST: run ``perform_step`` in a transaction; show its message or the refusal; go back."""

    http_method_names = ["post", "options"]

    def get_next_url(self):
        """Where to go afterwards: the posted ``next`` when it is on this portal, else this default."""
        raise NotImplementedError

    def perform_step(self):
        """Make the step; return the success message."""
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        try:
            with transaction.atomic():
                message = self.perform_step()
        except WorkflowConflict as error:
            messages.error(request, str(error))
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            if message:
                messages.success(request, message)
        return HttpResponseRedirect(safe_next(request, self.get_next_url()))
