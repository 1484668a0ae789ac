"""Pages of organizations: tree, list, detail, edit, delete."""

from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse

from members.filtersets import OrganizationFilterSet
from members.forms import OrganizationForm
from members.models import Organization
from members.models.organizations import path_ancestors
from members.tables import OrganizationTable
from portal import scope
from portal.views import generic

# Members, census and transfers.
from urllib.parse import urlencode  # noqa: E402

from django.contrib import messages  # noqa: E402
from django.contrib.auth.mixins import LoginRequiredMixin  # noqa: E402
from django.core.exceptions import PermissionDenied  # noqa: E402
from django.db import IntegrityError, transaction  # noqa: E402
from django.http import Http404, HttpResponseRedirect  # noqa: E402
from django.shortcuts import get_object_or_404  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402

from members.census import NEEDS_CHOICES, member_census, member_census_by_child  # noqa: E402
from members.choices import MemberCategoryChoices, TransferStatusChoices  # noqa: E402
from members.filtersets import MemberFilterSet, TransferLetterFilterSet  # noqa: E402
from members.forms import MemberExitForm, MemberForm, TransferDecisionForm, TransferLetterForm  # noqa: E402
from members.models import Member, TransferLetter  # noqa: E402
from members.models.transfers import TransferError  # noqa: E402
from members.models.members import ID_NUMBER_REFUSED_MESSAGE  # noqa: E402
from members.models.refusals import (  # noqa: E402
    RegistrationRefusal,
    RegistrationSourceChoices,
    clash_in_scope,
    clash_message,
)
from members.tables import MemberTable, TransferLetterTable  # noqa: E402
from members.validators import mask_id_number, mask_phone  # noqa: E402
from portal.audit import history_for  # noqa: E402
from portal.choices import RoleChoices  # noqa: E402


class OrganizationListView(generic.ObjectListView):
    queryset = Organization.objects.select_related("parent")
    filterset_class = OrganizationFilterSet
    table_class = OrganizationTable
    create_url_name = "members:organization_add"


class OrganizationTreeView(generic.ScopedViewMixin, generic.View):
    """The organization tree, opened one level at a time (htmx loads a node's children).

    Without ``parent`` it shows the tops of the user's scope; with ``parent=<code>`` it answers
    the children of that organization as a fragment. With ``q`` it lists matches by name or code
    with their place in the tree.
    """

    queryset = Organization.objects.all()
    template_name = "members/organization_tree.html"
    fragment_template = "members/inc/tree_children.html"
    search_limit = 100

    def get(self, request):
        visible = self.get_restricted_queryset()
        parent_code = request.GET.get("parent")
        query = request.GET.get("q", "").strip()
        if parent_code:
            parent = scope.get_or_deny(Organization.objects.all(), request.user, "view", code=parent_code)
            nodes = self._with_child_counts(visible.filter(parent=parent))
            return render(request, self.fragment_template, {"nodes": nodes})
        if query:
            matches = list(
                visible.filter(name__icontains=query) | visible.filter(code__icontains=query)
            )[: self.search_limit]
            ancestor_names = self._ancestor_names(matches)
            for match in matches:
                match.trail = " › ".join(ancestor_names.get(p, "") for p in path_ancestors(match.path))
            return render(request, self.template_name, {"matches": matches, "query": query, "search_limit": self.search_limit})
        return render(
            request, self.template_name, {"nodes": self._with_child_counts(scope.tops(visible, request.user)), "query": ""}
        )

    def _with_child_counts(self, queryset):
        return list(queryset.annotate(child_count=Count("children")).order_by("kind", "name"))

    def _ancestor_names(self, matches):
        paths = {p for match in matches for p in path_ancestors(match.path)}
        return dict(Organization.objects.filter(path__in=paths).values_list("path", "name"))


class OrganizationDetailView(generic.ObjectChildrenView):
    queryset = Organization.objects.select_related("parent")
    lookup_field = "code"
    lookup_url_kwarg = "code"
    template_name = "members/organization_detail.html"
    child_queryset = Organization.objects.all()
    child_ordering = ("name",)

    def get_extra_context(self, obj):
        return {
            **super().get_extra_context(obj),
            "edit_url": reverse("members:organization_edit", args=[obj.code]),
            "delete_url": reverse("members:organization_delete", args=[obj.code]),
            "ancestors": obj.ancestors(),
        }


class OrganizationEditView(generic.ObjectEditView):
    queryset = Organization.objects.all()
    form_class = OrganizationForm
    lookup_field = "code"
    lookup_url_kwarg = "code"


class OrganizationDeleteView(generic.ObjectDeleteView):
    queryset = Organization.objects.all()
    lookup_field = "code"
    lookup_url_kwarg = "code"
    success_url_name = "members:organization_list"

    def get_blockers(self, obj):
        return obj.deletion_blockers()



# ---------------------------------------------------------------------------------------------
# Members: the roster.


def _mask_history(events):
    """The member's history with ID numbers and phones masked (for users without personal-data
    rights on the member): every recorded value and every before/after of a change."""
    maskers = {"id_number": mask_id_number, "phone": mask_phone}
    for event in events:
        data = dict(event.pgh_data or {})
        for field, mask in maskers.items():
            if data.get(field):
                data[field] = mask(data[field])
        event.pgh_data = data
        if event.pgh_diff:
            diff = dict(event.pgh_diff)
            for field, mask in maskers.items():
                if field in diff:
                    diff[field] = [mask(value) if value else value for value in diff[field]]
            event.pgh_diff = diff
    return events


class MemberListView(generic.ObjectListView):
    queryset = Member.objects.select_related("organization")
    filterset_class = MemberFilterSet
    table_class = MemberTable
    create_url_name = "members:member_add"
    template_name = "members/member_list.html"
    # A search may be a phone number or the digits of an ID number: keep it out of URLs.
    private_search = True

    def get_restricted_queryset(self, action="view"):
        return super().get_restricted_queryset(action).with_transit()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["table"] = self.table_class(context["object_list"], user=self.request.user)
        return context


class MemberDetailView(generic.ObjectDetailView):
    queryset = Member.objects.select_related("organization")
    template_name = "members/member_detail.html"

    def get_extra_context(self, member):
        user = self.request.user
        shows_personal = member.shows_personal_data_to(user)
        letters = (
            TransferLetter.objects.restrict(user)
            .filter(member=member)
            .select_related("from_organization", "to_organization")[:50]
        )
        context = {
            "edit_url": reverse("members:member_edit", args=[member.pk]),
            "exit_url": reverse("members:member_exit", args=[member.pk]),
            "transfer_url": reverse("members:transfer_issue", args=[member.pk]),
            "shows_personal": shows_personal,
            "shown_id_number": member.id_number_for(user),
            "shown_phone": member.phone_for(user),
            "category_labels": [MemberCategoryChoices(value).label for value in member.categories],
            "letters": letters,
            "in_transit": any(letter.current_status == TransferStatusChoices.ISSUED for letter in letters),
        }
        if not shows_personal:
            context["history"] = _mask_history(history_for(member))
        return context


class MemberEditView(generic.ObjectEditView):
    """Create or edit a member. An ID number held by a current member outside the user's scope is
    refused in neutral words and recorded (``members.models.refusals``); a user refused too often
    lately gets a 429 page until the refusals age out."""

    queryset = Member.objects.select_related("organization")
    form_class = MemberForm

    def get_form(self, data=None, instance=None):
        self.form = super().get_form(data=data, instance=instance)
        return self.form

    def post(self, request, *args, **kwargs):
        self.form = None
        try:
            response = self._post(request, *args, **kwargs)
        finally:
            # After the view's transaction: the refusal is kept whatever became of the request.
            if self.form is not None and self.form.refused_id_numbers:
                RegistrationRefusal.record(request.user, RegistrationSourceChoices.FORM, self.form.refused_id_numbers)
        return response

    def render_form(self, form, instance, status=200):
        limit = getattr(form, "limit_reached", None)
        if limit is None:
            return super().render_form(form, instance, status=status)
        messages.error(self.request, limit.message)
        response = super().render_form(form, instance, status=429)
        response["Retry-After"] = str(limit.retry_after)
        return response

    def _post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except IntegrityError as error:
            # Two saves of the same ID number at once: clean() passed for both, the index refused
            # the second. Its transaction is rolled back; answer like clean() would have.
            if "member_unique_current_id_number" not in str(error):
                raise
            instance = None if self.is_create() else self.get_object("change")
            form = self.get_form(data=request.POST, instance=instance)
            if form.is_valid() or "id_number" not in form.errors:
                id_number = form.instance.id_number
                other = clash_in_scope(request.user, id_number, form.instance.pk)
                if other is not None:
                    form.add_error("id_number", clash_message(other))
                else:
                    form.add_error("id_number", ID_NUMBER_REFUSED_MESSAGE)
                    form.refused_id_numbers.append((id_number, form.instance.organization_id))
            return self.render_form(form, instance, status=400)


class MemberExitView(generic.ScopedViewMixin, generic.View):
    """Takes a member off the roster with a recorded reason; members are never deleted."""

    queryset = Member.objects.select_related("organization")
    template_name = "members/member_exit.html"

    def get(self, request, pk):
        member = self.get_object("change")
        form = MemberExitForm(member=member, initial={"left_on": timezone.localdate()})
        return self.render_form(member, form)

    def post(self, request, pk):
        with transaction.atomic():
            member = self.get_object("change", lock=True)
            form = MemberExitForm(request.POST, member=member)
            blocker = member.exit_blocker()
            if blocker:
                return self.render_form(member, form, blocker=blocker, status=409)
            if form.is_valid():
                member.record_exit(form.cleaned_data["reason"], form.cleaned_data["left_on"])
                messages.success(request, _("{name} left the roster; the record is kept.").format(name=member.name))
                return HttpResponseRedirect(member.get_absolute_url())
        return self.render_form(member, form, status=400)

    def render_form(self, member, form, blocker=None, status=200):
        context = {"object": member, "form": form, "blocker": blocker or member.exit_blocker(), **self.base_context()}
        return render(self.request, self.template_name, context, status=status)


class MyBranchView(LoginRequiredMixin, generic.View):
    """Where a user lands after login: a branch secretary on their branch's roster, everyone else
    on the dashboard."""

    def get(self, request):
        user_scope = scope.get_scope(request.user)
        branch_ids = user_scope.organizations(role=RoleChoices.SECRETARY)
        if branch_ids and not user_scope.is_city_admin:
            own = Organization.objects.unrestricted("the branch the user holds the role on")
            code = own.filter(pk=branch_ids[0]).values_list("code", flat=True).first()
            if code:
                return HttpResponseRedirect("{}?{}".format(reverse("members:member_list"), urlencode({"within": code})))
        return HttpResponseRedirect(reverse("home"))


# ---------------------------------------------------------------------------------------------
# Census and data quality.


class CensusView(generic.ScopedViewMixin, generic.View):
    """What needs fixing in an organization subtree's roster, each count linking to its list.

    A constant number of queries whatever the size of the subtree: the organization, one
    conditional aggregate over its members, one count of organizations past their term.
    """

    queryset = Member.objects.all()
    template_name = "members/census.html"

    def get(self, request, code=None):
        if code is None:
            return self.redirect_to_default()
        organization = scope.get_or_deny(Organization.objects.all(), request.user, "view", code=code)
        members = self.get_restricted_queryset().current().filter(organization__path__startswith=organization.path)
        counts = member_census(members)
        term_overdue = (
            scope.restrict(Organization.objects.all(), request.user, "view")
            .filter(path__startswith=organization.path)
            .term_overdue()
            .count()
        )
        list_url = reverse("members:member_list")
        checks = [
            {
                "label": label,
                "count": counts[check],
                "url": "{}?{}".format(list_url, urlencode({"within": organization.code, "needs": check})),
            }
            for check, label in NEEDS_CHOICES
        ]
        checks.append(
            {
                "label": _("Organizations past their term of office"),
                "count": term_overdue,
                "url": "{}?{}".format(
                    reverse("members:organization_list"),
                    urlencode({"within": organization.code, "term_overdue": "true"}),
                ),
            }
        )
        context = {
            "organization": organization,
            "rows": self.rows_by_child(members, organization),
            "check_labels": [label for _check, label in NEEDS_CHOICES],
            "total": counts["total"],
            "total_url": "{}?{}".format(list_url, urlencode({"within": organization.code})),
            "checks": checks,
            **self.base_context(),
        }
        return render(request, self.template_name, context)

    def rows_by_child(self, members, organization):
        """The counts per direct child (one grouped query, one query for the children's names)."""
        grouped = member_census_by_child(members, organization)
        paths = [row["child_path"] for row in grouped]
        organizations = {
            child.path: child
            for child in scope.restrict(Organization.objects.all(), self.request.user, "view").filter(path__in=paths)
        }
        rows = []
        for row in grouped:
            child = organizations.get(row["child_path"])
            if child is None:
                continue
            rows.append(
                {
                    "organization": child,
                    "is_self": child.pk == organization.pk,
                    "total": row["total"],
                    "counts": [row[check] for check, _label in NEEDS_CHOICES],
                }
            )
        return rows

    def redirect_to_default(self):
        visible = scope.restrict(Organization.objects.all(), self.request.user, "view")
        top = scope.tops(visible, self.request.user).order_by("path").first()
        if top is None:
            raise Http404(_("No organization in your scope."))
        return HttpResponseRedirect(reverse("members:census", args=[top.code]))


# ---------------------------------------------------------------------------------------------
# Transfers of organizational relations (组织关系转接).


class TransferLetterViewMixin:
    """Transfer letters are seen by both sides: the issuing side and the receiving side."""

    queryset = TransferLetter.objects.select_related(
        "member__organization", "from_organization", "to_organization", "issued_by", "decided_by"
    )

    def get_restricted_queryset(self, action="view"):
        return self.queryset.restrict(self.request.user)

    def get_object(self, action="view", lock=False):
        letters = self.get_restricted_queryset()
        if lock:
            letters = letters.select_for_update(of=("self",))
        return get_object_or_404(letters, pk=self.kwargs["pk"])


class TransferLetterListView(TransferLetterViewMixin, generic.ObjectListView):
    filterset_class = TransferLetterFilterSet
    table_class = TransferLetterTable


class TransferLetterDetailView(TransferLetterViewMixin, generic.ObjectDetailView):
    template_name = "members/transfer_detail.html"

    def get_extra_context(self, letter):
        user = self.request.user
        is_open = letter.current_status == TransferStatusChoices.ISSUED
        return {
            "may_change": False,
            "may_delete": False,
            "may_accept": is_open and letter.may_be_decided_by(user, "accept"),
            "may_return": is_open and letter.may_be_decided_by(user, "return_letter"),
            "shown_id_number": letter.member.id_number_for(user),
            "decision_form": TransferDecisionForm(),
        }


class TransferIssueView(generic.ScopedViewMixin, generic.View):
    """Issue a transfer letter for a member: needs the right to change that member."""

    queryset = Member.objects.select_related("organization")
    template_name = "members/transfer_form.html"

    def get(self, request, pk):
        member = self.get_object("change")
        TransferLetter.objects.filter(member=member).expire_due()
        return self.render_form(member, TransferLetterForm(member=member, user=request.user))

    def post(self, request, pk):
        with transaction.atomic():
            member = self.get_object("change", lock=True)
            TransferLetter.objects.filter(member=member).expire_due()
            form = TransferLetterForm(request.POST, member=member, user=request.user)
            if form.is_valid():
                letter = form.save()
                messages.success(
                    request, _("Issued transfer letter {number}.").format(number=letter.letter_number)
                )
                return HttpResponseRedirect(letter.get_absolute_url())
        return self.render_form(member, form, status=400)

    def render_form(self, member, form, status=200):
        context = {"member": member, "form": form, "blocker": member.exit_blocker() if member.is_current else None}
        return render(self.request, self.template_name, context, status=status)


class TransferDecisionView(TransferLetterViewMixin, generic.ScopedViewMixin, generic.View):
    """Accept or return a letter (POST only); out of either side's scope is 404."""

    step = None  # "accept" or "return_letter"

    def post(self, request, pk):
        form = TransferDecisionForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        with transaction.atomic():
            letter = self.get_object(lock=True)
            if not letter.may_be_decided_by(request.user, self.step):
                raise PermissionDenied(_("You may not do this."))
            try:
                getattr(letter, self.step)(request.user, note)
            except TransferError as error:
                messages.error(request, str(error))
                return HttpResponseRedirect(letter.get_absolute_url())
        if self.step == "accept":
            messages.success(request, _("Accepted: {name} now belongs to {organization}.").format(
                name=letter.member.name, organization=letter.destination))
        else:
            messages.success(request, _("The letter was returned."))
        return HttpResponseRedirect(letter.get_absolute_url())
