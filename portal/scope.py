"""Scope: which rows of a scoped model a user may see or change.

Every user holds role assignments (role + organization). A role gives a set of actions on each
scoped model (``ScopedModel.scope_actions``) over a part of the tree:

* ``city_admin``: every action, everywhere;
* ``staff`` and ``reader``: the organization's whole subtree (materialized-path prefix);
* ``secretary``: that one organization and its party groups.

``restrict(queryset, user, action)`` turns the user's assignments into one ``WHERE`` clause;
the assignments are read once per request and cached on the user object. ``allows`` answers the
same question in Python for one organization (used before creating a row there).
Outside the view scope a view answers 404; visible but not allowed answers 403 (``get_or_deny``).

**One gate.** ``restrict`` is the only way a scoped row is read or changed. A model widens its own
view through a hook of its declaration (``ScopedModel.scope_extra``: "rounds that cover me", "both
sides of a transfer letter"), so every caller of ``restrict`` gets the same rows. The querysets
``restrict`` returns carry a mark; inside ``enforce_gate()`` (the gate test's walk over every page
and endpoint) reading or changing a scoped model through an unmarked queryset is a violation.
System work that is not done on a user's behalf (rollups, demo data, tasks, migrations, a child
row read through an already-authorized parent) says so with ``.unrestricted("why")``.
"""

import contextlib
import contextvars
import traceback
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef, Q
from django.db.models.functions import JSONObject
from django.http import Http404
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext as _

from portal.choices import RoleChoices

GROUP_KIND = "group"


@dataclass(frozen=True)
class Grant:
    """One role over one organization, reduced to what scope needs."""

    role: str
    organization_id: int | None
    path: str
    kind: str


def grants_subquery(user_reference="pk"):
    """The user's role assignments as one array, so they load in the same query as the user.

    Authentication annotates the user (or the API token) with it (``portal_grants``): a scoped
    request then costs no query of its own for the scope.
    """
    from portal.models import RoleAssignment

    return ArraySubquery(
        RoleAssignment.objects.filter(user=OuterRef(user_reference))
        .order_by("pk")
        .values(
            json=JSONObject(
                role="role", organization_id="organization_id", path="organization__path", kind="organization__kind"
            )
        )
    )


class UserScope:
    """The role assignments of one user, loaded once (or handed over by authentication)."""

    def __init__(self, user, rows=None):
        self.user = user
        self.is_city_admin = bool(user.is_superuser)
        self.grants = []
        if not user.is_authenticated:
            return
        if rows is None:
            rows = user.role_assignments.order_by("pk").values(
                "role", "organization_id", path=F("organization__path"), kind=F("organization__kind")
            )
        for row in rows:
            if row["role"] == RoleChoices.CITY_ADMIN:
                self.is_city_admin = True
            elif row["organization_id"] is not None:
                self.grants.append(Grant(row["role"], row["organization_id"], row["path"], row["kind"]))

    @property
    def roles(self):
        roles = {grant.role for grant in self.grants}
        if self.is_city_admin:
            roles.add(RoleChoices.CITY_ADMIN)
        return roles

    def organizations(self, role=None):
        """The ids of the organizations the user holds a role on (optionally one role)."""
        return [grant.organization_id for grant in self.grants if role is None or grant.role == role]


def _unwrapped(user):
    """The user object itself, not Django's lazy ``request.user`` wrapper around it."""
    if isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        return user._wrapped
    return user


def get_scope(user):
    """The user's scope, computed once per request (cached on the user object)."""
    user = _unwrapped(user)
    cached = user.__dict__.get("_portal_scope")
    if cached is None:
        cached = UserScope(user, rows=user.__dict__.get("portal_grants"))
        user.__dict__["_portal_scope"] = cached
    return cached


def forget_scope(user):
    """Drop the cached scope (after the user's assignments change)."""
    user = _unwrapped(user)
    user.__dict__.pop("_portal_scope", None)
    user.__dict__.pop("portal_grants", None)


def _actions(model, role):
    return model.scope_actions.get(role, set())


def _prefix(model):
    field = model.scope_organization
    return field + "__" if field else ""


def grant_q(model, grant):
    """The rows of ``model`` that one grant covers."""
    return _grant_q_at(_prefix(model), grant)


def covered_q(user_scope, action, acting_model, prefix=""):
    """The rows whose organization (reached through ``prefix``, e.g. ``"to_organization__"``) lies
    where one of the user's grants gives ``action`` on ``acting_model``; None when no grant does."""
    condition = None
    for grant in user_scope.grants:
        if action not in _actions(acting_model, grant.role):
            continue
        q = _grant_q_at(prefix, grant)
        condition = q if condition is None else condition | q
    return condition


def _grant_q_at(prefix, grant):
    if grant.role == RoleChoices.SECRETARY:
        return Q(**{prefix + "pk": grant.organization_id}) | Q(
            **{prefix + "path__startswith": grant.path, prefix + "kind": GROUP_KIND}
        )
    return Q(**{prefix + "path__startswith": grant.path})


def restrict(queryset, user, action="view", for_model=None):
    """``queryset`` cut down to the rows ``user`` may ``action``.

    ``for_model`` asks on behalf of another model: ``restrict(Organization.objects.all(), user,
    "add", for_model=Member)`` gives the organizations where the user may add members (the
    choices of a form's organization dropdown). Without it, the model's ``scope_extra`` hook may
    add rows beyond the subtree (rounds held above the user that cover them, letters addressed
    to the user's organizations).
    """
    if user is None or not user.is_authenticated:
        return mark_restricted(queryset.none())
    scope = get_scope(user)
    if scope.is_city_admin:
        return mark_restricted(queryset.all())
    model = queryset.model
    acting_model = for_model or model
    condition = covered_q(scope, action, acting_model, _prefix(model))
    extra = getattr(model, "scope_extra", None)
    if for_model is None and extra is not None:
        more = extra(scope, action)
        if more is not None:
            condition = more if condition is None else condition | more
    if condition is None:
        return mark_restricted(queryset.none())
    return mark_restricted(queryset.filter(condition))


def allows_from_above(user, action, model, organization):
    """Whether ``user`` may ``action`` rows of ``model`` belonging to ``organization`` from a
    strictly higher organization: a role on a strict ancestor (the higher committee approves what
    a branch entered, never the branch itself). A city administrator always may."""
    if user is None or not user.is_authenticated:
        return False
    user_scope = get_scope(user)
    if user_scope.is_city_admin:
        return True
    if organization is None:
        return False
    return any(
        action in _actions(model, grant.role) and organization.path.startswith(grant.path) and organization.path != grant.path
        for grant in user_scope.grants
    )


def from_above_q(user, action, model):
    """``allows_from_above`` as a condition on the rows of ``model`` (set-based steps)."""
    user_scope = get_scope(user)
    if user_scope.is_city_admin:
        return Q()
    prefix = _prefix(model)
    condition = Q(pk__in=[])
    for grant in user_scope.grants:
        if action in _actions(model, grant.role):
            condition |= Q(**{prefix + "path__startswith": grant.path}) & ~Q(**{prefix + "pk": grant.organization_id})
    return condition


# The gate ---------------------------------------------------------------------------------------

_gate = contextvars.ContextVar("portal_scope_gate", default=None)


class GateViolation(AssertionError):
    """A scoped model was read or changed through a queryset ``restrict`` did not make."""


def mark_restricted(queryset, reason="restrict"):
    """Marks ``queryset`` as having passed the gate (the mark survives filter, values, clone...)."""
    queryset._scope_gate = reason
    return queryset


def is_scoped(model):
    return hasattr(model, "scope_actions") and hasattr(model, "scope_organization")


@contextlib.contextmanager
def enforce_gate(record=None):
    """Within the block, reading or changing a scoped model through an unmarked queryset is a
    violation: raised as ``GateViolation``, or appended to ``record`` (a list) when one is given."""
    token = _gate.set(record if record is not None else False)
    try:
        yield record
    finally:
        _gate.reset(token)


def check_gate(queryset, operation):
    """Called by ``ScopedQuerySet`` before it touches the database."""
    state = _gate.get()
    if state is None or getattr(queryset, "_scope_gate", None) or not is_scoped(queryset.model):
        return
    where = "".join(
        traceback.format_list(
            [
                frame
                for frame in traceback.extract_stack()
                if not frame.filename.endswith(("portal/scope.py", "portal/models/base.py"))
                and "/site-packages/" not in frame.filename
            ][-3:]
        )
    )
    message = "{} of {} outside restrict():\n{}".format(operation, queryset.model.__name__, where)
    if state is False:
        raise GateViolation(message)
    state.append(message)


def may_ever(user, action, model):
    """Whether any of the user's roles gives ``action`` on ``model`` anywhere (list pages, menus)."""
    if user is None or not user.is_authenticated:
        return False
    scope = get_scope(user)
    return scope.is_city_admin or any(action in _actions(model, grant.role) for grant in scope.grants)


def allows(user, action, model, organization):
    """Whether ``user`` may ``action`` rows of ``model`` that belong to ``organization``.

    ``organization`` None means "at the root" (only a city administrator may act there).
    """
    if user is None or not user.is_authenticated:
        return False
    scope = get_scope(user)
    if scope.is_city_admin:
        return True
    if organization is None:
        return False
    for grant in scope.grants:
        if action not in _actions(model, grant.role):
            continue
        if grant.role == RoleChoices.SECRETARY:
            if organization.pk == grant.organization_id or (
                organization.path.startswith(grant.path) and organization.kind == GROUP_KIND
            ):
                return True
        elif organization.path.startswith(grant.path):
            return True
    return False


def tops(organizations, user):
    """The highest of ``organizations`` (a queryset already restricted for ``user``) to start from:
    the roots for a city administrator, otherwise the organizations the user holds a role on."""
    user_scope = get_scope(user)
    if user_scope.is_city_admin:
        return organizations.filter(parent__isnull=True)
    return organizations.filter(pk__in=user_scope.organizations())


def get_or_deny(queryset, user, action, lock=False, **lookup):
    """The one object ``lookup`` finds, if ``user`` may ``action`` it.

    Not visible at all raises Http404 (never reveal that it exists); visible but not allowed
    raises PermissionDenied. With ``lock`` the row is locked for the rest of the transaction, so a
    write re-checks scope on the row it then changes.
    """
    visible = restrict(queryset, user, "view")
    if lock:
        visible = visible.select_for_update(of=("self",))
    try:
        obj = visible.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(_("Not found.")) from None
    if action != "view" and not restrict(queryset.model.objects.filter(pk=obj.pk), user, action).exists():
        raise PermissionDenied(_("You may not do this."))
    return obj
