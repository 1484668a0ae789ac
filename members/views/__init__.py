"""Pages of the members app, one module per concern; urls.py reaches them through this package."""

from members.views.organizations import (  # noqa: F401
    OrganizationDeleteView,
    OrganizationDetailView,
    OrganizationEditView,
    OrganizationListView,
    OrganizationTreeView,
)
from members.views.members import (  # noqa: F401
    MemberDetailView,
    MemberEditView,
    MemberExitView,
    MemberListView,
    MyBranchView,
)
from members.views.census import (  # noqa: F401
    CensusView,
)
from members.views.transfers import (  # noqa: F401
    TransferDecisionView,
    TransferIssueView,
    TransferLetterDetailView,
    TransferLetterListView,
    TransferLetterViewMixin,
)
