"""The generic views every app's pages subclass: list, detail, edit, delete.

An app's view is mostly attributes (``queryset``, ``filterset_class``, ``table_class``,
``form_class``); scope is applied here, once: lists and detail pages see only
``restrict(user, "view")``, an edit re-checks ``change`` on the locked row inside its transaction,
a create checks the organization the new row lands in, and out of scope is 404.
"""

import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import ProtectedError
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from portal import export, paging, scope
from portal.audit import history_for
from portal.versioning import record_version

# The hidden field of an edit form that carries the version of the record the form was filled from.
VERSION_FIELD = "record_version"


class ScopedViewMixin(LoginRequiredMixin):
    """Gives a page its model, its restricted queryset and the user's right to see it at all."""

    queryset = None
    lookup_field = "pk"
    lookup_url_kwarg = "pk"

    @property
    def model(self):
        return self.queryset.model

    @classmethod
    def may_open(cls, user):
        """Whether ``user``'s role opens this page at all (links to it are shown only then)."""
        return scope.may_ever(user, "view", cls.queryset.model)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.may_open(request.user):
            raise PermissionDenied(_("Your role does not give access to this page."))
        return super().dispatch(request, *args, **kwargs)

    def get_restricted_queryset(self, action="view"):
        return scope.restrict(self.queryset.all(), self.request.user, action)

    def get_object(self, action="view", lock=False):
        return scope.get_or_deny(
            self.queryset.all(),
            self.request.user,
            action,
            lock=lock,
            **{self.lookup_field: self.kwargs[self.lookup_url_kwarg]},
        )

    def may(self, action, obj):
        """Whether the user may ``action`` this object (to show or hide buttons)."""
        return scope.allows(self.request.user, action, self.model, obj.get_scope_organization())

    def base_context(self):
        meta = self.model._meta
        return {"model_name": meta.verbose_name, "model_name_plural": meta.verbose_name_plural}


PRIVATE_SEARCHES = "portal_private_searches"
PRIVATE_SEARCHES_KEPT = 20


def remember_search(request, text):
    """Keep a search text in the session and return the short token that stands for it in URLs."""
    searches = dict(request.session.get(PRIVATE_SEARCHES, {}))
    token = secrets.token_urlsafe(6)
    searches[token] = text
    # Only the latest few: a session is not an archive of what its user looked for.
    request.session[PRIVATE_SEARCHES] = dict(list(searches.items())[-PRIVATE_SEARCHES_KEPT:])
    return token


def filter_data(request):
    """The list's filters from the query string, a remembered search (``search=<token>``) put back as ``q``."""
    data = request.GET.copy()
    token = data.pop("search", [None])[0]
    if token:
        text = request.session.get(PRIVATE_SEARCHES, {}).get(token)
        if text:
            data["q"] = text
    return data


class ObjectListView(ScopedViewMixin, ListView):
    """A filtered, searchable, paginated list of what the user may see.

    With ``private_search`` (lists whose search may hold personal data: a phone, the digits of an
    ID number) the filter form is POSTed; the search text stays in the session and the URL the
    user is redirected to carries only a token for it, so it never reaches a URL, the browser's
    history or an access log.
    """

    private_search = False

    template_name = "generic/object_list.html"
    filterset_class = None
    table_class = None
    paginate_by = 50
    # Bounded counts, keyset next/previous links, the last page read from the end (portal/paging.py).
    paginator_class = paging.Paginator
    create_url_name = None

    def get_paginator(self, *args, **kwargs):
        return super().get_paginator(*args, cursor=self.request.GET.get(paging.CURSOR_PARAM), **kwargs)

    def get_queryset(self):
        self.filterset = self.filterset_class(
            filter_data(self.request) or None, queryset=self.get_restricted_queryset(), request=self.request
        )
        return self.filterset.qs

    def get(self, request, *args, **kwargs):
        # ?export=csv|xlsx: the whole list as filtered now, through the same gate and table (masking).
        file_format = request.GET.get(export.EXPORT_PARAM)
        if file_format is None:
            return super().get(request, *args, **kwargs)
        if file_format not in export.FORMATS:
            return HttpResponseBadRequest(_("Choose one of: {formats}.").format(formats=", ".join(export.FORMATS)))
        meta = self.model._meta
        return export.ListExporter(
            self.table_class, self.get_queryset(), request.user, filename=meta.model_name,
            title=capfirst(meta.verbose_name_plural),
        ).response(file_format)

    def post(self, request, *args, **kwargs):
        if not self.private_search:
            return HttpResponseNotAllowed(["GET"])
        params = request.POST.copy()
        params.pop("csrfmiddlewaretoken", None)
        text = params.pop("q", [""])[0].strip()
        if text:
            params["search"] = remember_search(request, text)
        return HttpResponseRedirect("{}?{}".format(request.path, params.urlencode()) if params else request.path)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.base_context())
        context["filterset"] = self.filterset
        context["table"] = self.table_class(context["object_list"], user=self.request.user)
        context["may_add"] = self.create_url_name and scope.may_ever(self.request.user, "add", self.model)
        context["create_url_name"] = self.create_url_name
        context["private_search"] = self.private_search
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop(paging.CURSOR_PARAM, None)
        context["query_without_page"] = query.urlencode()
        context["export_formats"] = export.FORMATS
        return context


class ObjectDetailView(ScopedViewMixin, View):
    """One object's page, with its audit history."""

    template_name = "generic/object_detail.html"

    def get_extra_context(self, obj):
        return {}

    def get(self, request, *args, **kwargs):
        obj = self.get_object()
        context = {
            "object": obj,
            "history": history_for(obj),
            "may_change": self.may("change", obj),
            "may_delete": self.may("delete", obj),
            **self.base_context(),
            **self.get_extra_context(obj),
        }
        return render(request, self.template_name, context)


class ObjectChildrenView(ObjectDetailView):
    """One object's page with the list of its children (NetBox's ``ObjectChildrenView``).

    The children go through the gate like any list: ``restrict(user, "view")`` on
    ``child_queryset`` filtered by ``child_relation`` (the lookup from a child to this object),
    so a child outside the user's scope is never listed. The template gets ``children`` (the
    first ``child_limit``) and ``child_count``.
    """

    child_queryset = None
    child_relation = "parent"
    child_ordering = ("pk",)
    child_limit = 200

    def get_children(self, obj):
        children = self.child_queryset.filter(**{self.child_relation: obj}).order_by(*self.child_ordering)
        return scope.restrict(children, self.request.user, "view")

    def get_extra_context(self, obj):
        children = self.get_children(obj)
        return {"children": children[: self.child_limit], "child_count": children.count()}


class ObjectEditView(ScopedViewMixin, View):
    """Create (no ``pk`` in the URL) or edit one object, all in one transaction.

    A stale form is never saved over someone else's change: the form of an existing record carries
    the version it was filled from (a hidden field), and ``get_form`` compares it with the record
    as locked inside the saving transaction. When they differ, the form comes back unbound, with
    the record's current values, the current version and a message (``form.stale_message``), so
    nothing is saved; a subclass that writes its own ``post`` gets the same by calling
    ``get_form`` after locking the row. A POST without the field (a script) saves as before.
    """

    template_name = "generic/object_edit.html"
    form_class = None

    def get_form(self, data=None, instance=None):
        if instance is None or instance.pk is None:
            return self.form_class(data=data, instance=instance, user=self.request.user)
        current = record_version(instance)
        posted = data.get(VERSION_FIELD) if data is not None else None
        if posted and posted != current:
            form = self.form_class(data=None, instance=instance, user=self.request.user)
            form.stale_message = _(
                "Someone else changed this record since you opened it. Nothing was saved: the form now "
                "shows the current values. Make your changes again and save."
            )
        else:
            form = self.form_class(data=data, instance=instance, user=self.request.user)
        form.fields[VERSION_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False, initial=current)
        # Rendered with the version current now, whatever was posted: saving again is a conscious overwrite.
        form.initial[VERSION_FIELD] = current
        if form.is_bound:
            form.data = form.data.copy()
            form.data[VERSION_FIELD] = current
        return form

    def is_create(self):
        return self.lookup_url_kwarg not in self.kwargs

    def get(self, request, *args, **kwargs):
        if self.is_create():
            if not scope.may_ever(request.user, "add", self.model):
                raise PermissionDenied(_("You may not add this."))
            instance = None
        else:
            instance = self.get_object("change")
        return self.render_form(self.get_form(instance=instance, data=None), instance)

    def post(self, request, *args, **kwargs):
        with transaction.atomic():
            if self.is_create():
                if not scope.may_ever(request.user, "add", self.model):
                    raise PermissionDenied(_("You may not add this."))
                instance = None
            else:
                instance = self.get_object("change", lock=True)
            form = self.get_form(data=request.POST, instance=instance)
            if form.is_valid():
                obj = form.save()
                messages.success(request, _("Saved {object}.").format(object=obj))
                return HttpResponseRedirect(obj.get_absolute_url())
        return self.render_form(form, instance, status=409 if getattr(form, "stale_message", None) else 400)

    def render_form(self, form, instance, status=200):
        context = {"form": form, "object": instance, **self.base_context()}
        return render(self.request, self.template_name, context, status=status)


class ObjectDeleteView(ScopedViewMixin, View):
    """Confirm, then delete one object; ``get_blockers`` can refuse with reasons."""

    template_name = "generic/object_confirm_delete.html"
    success_url_name = "home"

    def get_blockers(self, obj):
        return []

    def get(self, request, *args, **kwargs):
        obj = self.get_object("delete")
        return render(
            request,
            self.template_name,
            {"object": obj, "blockers": self.get_blockers(obj), **self.base_context()},
        )

    def post(self, request, *args, **kwargs):
        with transaction.atomic():
            obj = self.get_object("delete", lock=True)
            blockers = self.get_blockers(obj)
            if blockers:
                return render(
                    request,
                    self.template_name,
                    {"object": obj, "blockers": blockers, **self.base_context()},
                    status=409,
                )
            label = str(obj)
            try:
                with transaction.atomic():
                    obj.delete()
            except ProtectedError:
                # Records of another app still point to it: refuse with a reason, never a 500.
                blockers = [_("Other records still refer to it; it cannot be deleted.")]
                return render(
                    request,
                    self.template_name,
                    {"object": obj, "blockers": blockers, **self.base_context()},
                    status=409,
                )
        messages.success(request, _("Deleted {object}.").format(object=label))
        return HttpResponseRedirect(reverse(self.success_url_name))
