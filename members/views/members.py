"""Pages of party members: list, detail, edit, exit, and a secretary's own branch."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from members.choices import MemberCategoryChoices, TransferStatusChoices
from members.filtersets import MemberFilterSet
from members.forms import MemberExitForm, MemberForm
from members.models import Member, Organization, TransferLetter
from members.models.members import ID_NUMBER_REFUSED_MESSAGE
from members.models.refusals import (
    RegistrationRefusal,
    RegistrationSourceChoices,
    clash_in_scope,
    clash_message,
)
from members.tables import MemberTable
from members.validators import mask_id_number, mask_phone
from portal import scope
from portal.audit import history_for
from portal.choices import RoleChoices
from portal.views import generic


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
