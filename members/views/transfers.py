"""Pages of transfer letters (组织关系转接): list, detail, issue, accept or return."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from members.choices import TransferStatusChoices
from members.filtersets import TransferLetterFilterSet
from members.forms import TransferDecisionForm, TransferLetterForm
from members.models import Member, TransferLetter
from members.models.transfers import LETTERS, TransferError
from members.tables import TransferLetterTable
from portal.views import generic


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
            "may_accept": is_open and LETTERS.may(user, "accept", letter),
            "may_return": is_open and LETTERS.may(user, "return_letter", letter),
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
            if not LETTERS.may(request.user, self.step, letter):
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
