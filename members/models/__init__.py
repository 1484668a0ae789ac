"""Models of the members app: the organization tree and the party-member roster."""

from members.models.organizations import Organization  # noqa: F401
from members.models.members import Member  # noqa: F401
from members.models.transfers import TransferLetter  # noqa: F401
from members.models.refusals import RegistrationRefusal  # noqa: F401
