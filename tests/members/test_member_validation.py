"""The roster's validation rules (Member.clean()), shared by forms and the API; each failure is
a message on its field, in both languages."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from members.models import Member
from members.validators import credit_code_check_character
from tests.conftest import valid_id_number

pytestmark = pytest.mark.django_db

VALID_CREDIT_CODE = "91350200MA2XYA123" + credit_code_check_character("91350200MA2XYA123")


def build(tree, **overrides):
    values = {
        "name": "Li Si",
        "gender": "male",
        "birth_date": datetime.date(1990, 1, 1),
        "id_number": valid_id_number("19900101", "123"),
        "phone": "13800138000",
        "organization": tree["BRANCH_A"],
        "status": "formal",
        "joined_on": datetime.date(2015, 7, 1),
        "full_member_on": datetime.date(2016, 7, 1),
    }
    values.update(overrides)
    return Member(**values)


def errors_of(member):
    with pytest.raises(ValidationError) as caught:
        member.clean()
    return caught.value.message_dict


def wrong_check_digit():
    number = valid_id_number("19900101", "123")
    return number[:17] + ("0" if number[17] != "0" else "1")


# (field, overrides) for each rule; the member is otherwise valid.
RULES = [
    ("id_number", {"id_number": "35010219900101123"}),  # 17 characters
    ("id_number", {"id_number": wrong_check_digit()}),
    ("id_number", {"id_number": ""}),
    ("birth_date", {"birth_date": datetime.date(1990, 1, 2)}),
    ("gender", {"gender": "female"}),
    ("full_member_on", {"full_member_on": None}),
    ("full_member_on", {"full_member_on": datetime.date(2015, 6, 1)}),
    ("full_member_on", {"status": "probationary", "full_member_on": datetime.date(2016, 7, 1)}),
    ("joined_on", {"joined_on": datetime.date(2007, 12, 31), "full_member_on": datetime.date(2008, 12, 31)}),
    ("joined_on", {"joined_on": datetime.date.today() + datetime.timedelta(days=3), "status": "probationary", "full_member_on": None}),
    ("enterprise", {"enterprise": VALID_CREDIT_CODE[:17] + ("0" if VALID_CREDIT_CODE[17] != "0" else "1")}),
    ("enterprise", {"enterprise": "91350200MA2XYA12I"}),  # I is not in the alphabet
    ("phone", {"phone": "call me"}),
]


def test_a_valid_member_passes(tree):
    member = build(tree, enterprise=VALID_CREDIT_CODE.lower())
    member.clean()
    assert member.enterprise == VALID_CREDIT_CODE  # normalized


@pytest.mark.parametrize("field,overrides", RULES, ids=["{}-{}".format(f, i) for i, (f, _) in enumerate(RULES)])
def test_each_rule_reports_on_its_field_in_both_languages(tree, field, overrides):
    member = build(tree, **overrides)
    messages = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            messages[language] = errors_of(member)
            assert field in messages[language], messages[language]
            assert all(text.strip() for text in messages[language][field])
    # The Chinese catalogue translates every one of them.
    assert messages["zh-hans"][field] != messages["en"][field]


def test_joining_on_the_eighteenth_birthday_is_allowed(tree):
    build(tree, joined_on=datetime.date(2008, 1, 1), full_member_on=datetime.date(2009, 1, 1)).clean()


def test_no_two_current_members_share_an_id_number(tree, make_member):
    existing = make_member("BRANCH_B")
    duplicate = build(tree, id_number=existing.id_number, birth_date=existing.birth_date, gender=existing.gender)
    assert "id_number" in errors_of(duplicate)
    # A member who left frees the number (a member may rejoin).
    existing.record_exit("withdrawal")
    duplicate.clean()


def test_editing_a_member_does_not_clash_with_itself(make_member):
    member = make_member("BRANCH_A")
    member.name = "Renamed"
    member.clean()


def test_lowercase_x_is_normalized(tree):
    number = None
    for sequence in range(100, 999):
        candidate = valid_id_number("19900101", str(sequence))
        if candidate.endswith("X") and sequence % 2:
            number = candidate
            break
    member = build(tree, id_number=number.lower())
    member.clean()
    assert member.id_number == number


def test_activity_status_since_follows_changes(make_member):
    member = make_member("BRANCH_A")
    assert member.activity_status_since == datetime.date.today()
    Member.objects.filter(pk=member.pk).update(activity_status_since=datetime.date(2020, 1, 1))
    member = Member.objects.get(pk=member.pk)
    member.name = "Other"
    member.save()
    assert Member.objects.get(pk=member.pk).activity_status_since == datetime.date(2020, 1, 1)
    member.activity_status = "lost_contact"
    member.save()
    assert Member.objects.get(pk=member.pk).activity_status_since == datetime.date.today()
