"""The permission matrix of the roster's endpoints and pages: members, exits, transfer letters,
census. Refused writes change nothing (checked by MatrixTests after every refusal)."""

import pytest

from members.models import Member, TransferLetter
from tests.matrix import Case, MatrixTests, everyone

pytestmark = pytest.mark.django_db

OK_IN_A = {"city_admin": 200, "county_staff": 200, "secretary_a": 200, "secretary_b": 404, "reader": 403}


@pytest.fixture
def roster_world(tree, users, make_member):
    member_a = make_member("BRANCH_A")
    member_b = make_member("BRANCH_B")
    member_c = make_member("BRANCH_C")
    letter_ab = TransferLetter.objects.create(
        member=make_member("BRANCH_A"), to_organization=tree["BRANCH_B"], reason="moved"
    )
    letter_bc = TransferLetter.objects.create(member=member_b, to_organization=tree["BRANCH_C"], reason="moved")
    world = {code: code for code in tree}
    world.update(
        MEMBER_A=member_a.pk, MEMBER_B=member_b.pk, MEMBER_C=member_c.pk, LETTER_AB=letter_ab.pk, LETTER_BC=letter_bc.pk
    )
    return world


class TestMemberMatrix(MatrixTests):
    model = Member
    cases = [
        # API
        Case("GET", "/api/v1/members/", everyone(200, reader=403, anonymous=401)),
        Case("GET", "/api/v1/members/{MEMBER_A}/", {**OK_IN_A, "anonymous": 401}),
        Case("GET", "/api/v1/members/{MEMBER_C}/", everyone(404, city_admin=200, reader=403, anonymous=401)),
        Case("PATCH", "/api/v1/members/{MEMBER_B}/", {"secretary_a": 404, "reader": 403, "anonymous": 401},
             data={"name": "Hacked"}),
        Case("PATCH", "/api/v1/members/{MEMBER_A}/", {"secretary_a": 200, "county_staff": 200}, data={"workplace": "Mill"}),
        Case("DELETE", "/api/v1/members/{MEMBER_A}/", everyone(405, reader=403, anonymous=401)),
        Case("POST", "/api/v1/members/{MEMBER_B}/exit/", {"secretary_a": 404, "reader": 403, "anonymous": 401},
             data={"reason": "death"}),
        Case("POST", "/api/v1/members/{MEMBER_A}/exit/", {"secretary_a": 200}, data={"reason": "removal"}),
        # Pages
        Case("GET", "/members/", everyone(200, reader=403, anonymous=302), api=False),
        Case("GET", "/members/{MEMBER_A}/", {**OK_IN_A, "anonymous": 302}, api=False),
        Case("GET", "/members/{MEMBER_A}/edit/", {**OK_IN_A, "anonymous": 302}, api=False),
        Case("POST", "/members/{MEMBER_A}/edit/", {"secretary_b": 404, "reader": 403, "anonymous": 302},
             data={"name": "Hacked"}, api=False),
        Case("GET", "/members/{MEMBER_A}/exit/", {**OK_IN_A, "anonymous": 302}, api=False),
        Case("POST", "/members/{MEMBER_A}/exit/", {"secretary_b": 404, "reader": 403, "anonymous": 302},
             data={"reason": "death", "left_on": "2025-01-01"}, api=False),
        Case("GET", "/members/add/", everyone(200, reader=403, anonymous=302), api=False),
        Case("GET", "/members/my-branch/", everyone(302), api=False),
        Case("GET", "/census/BRANCH_A/", {**OK_IN_A, "anonymous": 302}, api=False),
        Case("GET", "/census/COUNTY2/", everyone(404, city_admin=200, reader=403, anonymous=302), api=False),
    ]

    @pytest.fixture
    def world(self, roster_world):
        return roster_world


class TestTransferMatrix(MatrixTests):
    model = TransferLetter
    cases = [
        Case("GET", "/api/v1/transfers/", everyone(200, reader=403, anonymous=401)),
        # A letter A → B: both sides see it; a third branch does not.
        Case("GET", "/api/v1/transfers/{LETTER_AB}/", everyone(200, reader=403, anonymous=401)),
        Case("GET", "/api/v1/transfers/{LETTER_BC}/", everyone(200, secretary_a=404, reader=403, anonymous=401)),
        Case("POST", "/api/v1/transfers/{LETTER_BC}/accept/", {"secretary_a": 404, "secretary_b": 403, "reader": 403,
                                                               "anonymous": 401}),
        Case("POST", "/api/v1/transfers/{LETTER_AB}/accept/", {"secretary_a": 403, "secretary_b": 200}),
        Case("POST", "/api/v1/transfers/{LETTER_BC}/return/", {"secretary_a": 404, "secretary_b": 200}),
        Case("POST", "/api/v1/transfers/", {"secretary_a": 404, "reader": 403, "anonymous": 401},
             data={"member": "{MEMBER_B}", "to_organization": "BRANCH_A", "reason": "x"}),
        Case("POST", "/api/v1/transfers/", {"secretary_a": 201},
             data={"member": "{MEMBER_A}", "to_organization": "BRANCH_C", "reason": "x"}),
        Case("DELETE", "/api/v1/transfers/{LETTER_AB}/", everyone(405, reader=403, anonymous=401)),
        # Pages
        Case("GET", "/transfers/", everyone(200, reader=403, anonymous=302), api=False),
        Case("GET", "/transfers/{LETTER_BC}/", everyone(200, secretary_a=404, reader=403, anonymous=302), api=False),
        Case("POST", "/transfers/{LETTER_BC}/accept/", {"secretary_a": 404, "secretary_b": 403, "reader": 403,
                                                        "anonymous": 302}, api=False),
        Case("GET", "/members/{MEMBER_B}/transfer/", {"secretary_a": 404, "secretary_b": 200, "reader": 403,
                                                      "anonymous": 302}, api=False),
        Case("POST", "/members/{MEMBER_B}/transfer/", {"secretary_a": 404, "reader": 403, "anonymous": 302},
             data={"to_organization": "BRANCH_A", "reason": "x", "issued_on": "2025-01-01"}, api=False),
    ]

    @pytest.fixture
    def world(self, roster_world):
        return roster_world
