"""Named choices of the democratic appraisal (values fixed by API.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RatingChoices(models.TextChoices):
    """The four ratings of a democratic appraisal (优秀, 合格, 基本合格, 不合格)."""

    OUTSTANDING = "outstanding", _("Outstanding")
    QUALIFIED = "qualified", _("Qualified")
    BASICALLY_QUALIFIED = "basically_qualified", _("Basically qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")


class RatingStatusChoices(models.TextChoices):
    """Where a rating stands: entered by the branch, submitted, publicized in the unit, approved (final)."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    PUBLICIZED = "publicized", _("Publicized")
    APPROVED = "approved", _("Approved")


class RoundStatusChoices(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class WorkflowActionChoices(models.TextChoices):
    """The steps that move an organization's ratings, plus the city administrator's way back."""

    SUBMIT = "submit", _("Submitted")
    PUBLICIZE = "publicize", _("Publicized")
    APPROVE = "approve", _("Approved")
    REOPEN = "reopen", _("Reopened")


class DisposalKindChoices(models.TextChoices):
    """How an unqualified member is disposed of (限期改正, 劝退, 除名)."""

    LIMITED_CORRECTION = "limited_correction", _("Limited-time correction")
    PERSUADED_TO_WITHDRAW = "persuaded_to_withdraw", _("Persuaded to withdraw")
    REMOVAL = "removal", _("Removal")


class CorrectionOutcomeChoices(models.TextChoices):
    """The review of a limited-time correction."""

    PENDING = "pending", _("Pending review")
    CORRECTED = "corrected", _("Corrected")
    NOT_CORRECTED = "not_corrected", _("Not corrected")
