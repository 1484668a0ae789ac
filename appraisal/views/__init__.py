"""Pages of the democratic appraisal, one module per concern; urls.py reaches them through this package."""

from appraisal.views.rounds import (  # noqa: F401
    EnrolView,
    RoundDetailView,
    RoundEditView,
    RoundListView,
    RoundScopedMixin,
)
from appraisal.views.entry import (  # noqa: F401
    EntryView,
    EvaluationView,
    GroupsView,
)
from appraisal.views.workflow import (  # noqa: F401
    ObjectionsView,
    WorkflowView,
)
from appraisal.views.disposal import (  # noqa: F401
    DisposalEditView,
    DisposalListView,
)
from appraisal.views.report import (  # noqa: F401
    ReportView,
)
