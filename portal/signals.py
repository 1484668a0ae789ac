"""Signal handlers of the shared core."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from portal.accounts import end_other_sessions, forget_session, register_session
from portal.models import RoleAssignment
from portal.scope import forget_scope


@receiver(user_logged_in)
def forget_scope_on_login(sender, request, user, **kwargs):
    """A fresh login must not reuse a scope computed for an earlier request."""
    forget_scope(user)


@receiver(user_logged_in)
def register_session_on_login(sender, request, user, **kwargs):
    """A signed-in session is one a password change or a removed role must be able to end."""
    session = getattr(request, "session", None)
    if session is not None:
        register_session(session)


@receiver(user_logged_out)
def forget_session_on_logout(sender, request, user, **kwargs):
    """A session that logged out is no longer one to end."""
    forget_session(getattr(request, "session", None))


# A password change or a role taken away ends the user's other sessions and API tokens, whatever
# the path: the admin, ``manage.py grant --password``, ``changepassword``, or code that calls
# ``set_password`` and saves. (A ``queryset.update()`` bypasses signals: nothing here does one.)


@receiver(pre_save, sender=get_user_model(), dispatch_uid="portal.password_change")
def note_password_change(sender, instance, raw=False, update_fields=None, **kwargs):
    instance._portal_password_changed = False
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = sender._base_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._portal_password_changed = stored is not None and stored != instance.password


@receiver(post_save, sender=get_user_model(), dispatch_uid="portal.password_changed")
def end_sessions_after_password_change(sender, instance, raw=False, **kwargs):
    if getattr(instance, "_portal_password_changed", False):
        instance._portal_password_changed = False
        end_other_sessions(instance.pk)


@receiver(pre_save, sender=RoleAssignment, dispatch_uid="portal.role_change")
def note_role_change(sender, instance, raw=False, **kwargs):
    instance._portal_role_changed = False
    if raw or instance.pk is None:
        return
    stored = sender._base_manager.filter(pk=instance.pk).values_list("user_id", "role", "organization_id").first()
    instance._portal_role_changed = stored is not None and stored != (
        instance.user_id,
        instance.role,
        instance.organization_id,
    )
    instance._portal_role_previous_user = stored[0] if stored else None


@receiver(post_save, sender=RoleAssignment, dispatch_uid="portal.role_changed")
def end_sessions_after_role_change(sender, instance, raw=False, **kwargs):
    """A role moved to another organization or turned into another role takes the old one away."""
    if getattr(instance, "_portal_role_changed", False):
        instance._portal_role_changed = False
        end_other_sessions(instance._portal_role_previous_user)


@receiver(post_delete, sender=RoleAssignment, dispatch_uid="portal.role_removed")
def end_sessions_after_role_removal(sender, instance, **kwargs):
    end_other_sessions(instance.user_id)
