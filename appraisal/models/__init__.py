"""Democratic appraisal of party members (民主评议党员): rounds, evaluation records, ratings, disposal.

The procedure (DOMAIN.md): every member writes a self-evaluation; members evaluate each other in
groups of at most 10, non-party representatives take part; the branch proposes a rating with a
reason; the branch's ratings are publicized in the unit (objections may be raised) and then
approved by a higher party committee, after which they are final. Unqualified members are
disposed of under written rules."""

from appraisal.models.rounds import (  # noqa: F401
    APPRAISAL_ACTIONS,
    AppraisalRound,
    DEFAULT_CORRECTION_MONTHS,
    GROUP_SIZE_LIMIT,
    MAX_CORRECTION_MONTHS,
)
from appraisal.models.evaluations import (  # noqa: F401
    BranchEvaluation,
    MutualEvaluationGroup,
    MutualEvaluationVote,
    Participant,
)
from appraisal.models.ratings import (  # noqa: F401
    Objection,
    Rating,
    Reopening,
    WorkflowStep,
)
from appraisal.models.disposal import (  # noqa: F401
    DisposalDecision,
    DisposalDecisionQuerySet,
    add_months,
)
