"""The import's fast rule check agrees with the roster's own ``Member.clean()``.

The import checks 100,000 rows with plain arithmetic (``passes_member_rules``) and asks the real
``Member.clean()`` only about rows that fail it, so the fast check must never accept a row that
clean() refuses. This walks a grid of valid and invalid values of every field clean() looks at.
"""

import datetime
import itertools

import pytest

from members.io import rules
from portal.spreadsheets import detect_encoding
from members.models import Member
from tests.members.import_helpers import credit_code, id_number

TODAY = datetime.date.today()
VALID_ID = id_number("19900101", "123")  # male
ID_NUMBERS = [
    VALID_ID,
    VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1"),  # wrong check character
    "35010219900101123",  # too short
    id_number((TODAY + datetime.timedelta(days=30)).strftime("%Y%m%d"), "123"),  # born in the future
    id_number("18800101", "123"),  # before 1900
    "",
]
BIRTH_DATES = [datetime.date(1990, 1, 1), datetime.date(1990, 1, 2), None]
GENDERS = ["male", "female", None]
PHONES = ["13800138000", "0596-1234567", "+86 138 0013 8000", "call me", "12", None]
STATUSES = ["formal", "probationary", None]
JOINED = [datetime.date(2015, 7, 1), TODAY + datetime.timedelta(days=1), datetime.date(2005, 1, 1), datetime.date(2008, 1, 1), None]
FULL = [None, datetime.date(2015, 7, 1), datetime.date(2016, 7, 1), TODAY + datetime.timedelta(days=1)]
ENTERPRISES = [None, credit_code(), credit_code()[:17] + ("0" if credit_code()[17] != "0" else "1"), "NOT-A-CODE"]


def clean_accepts(**values):
    candidate = Member(name="x", **values)
    candidate._id_number_taken = rules._not_checked_here
    try:
        candidate.clean()
    except Exception:  # noqa: BLE001 - any refusal counts
        return False
    return True


def test_fast_check_never_accepts_what_member_clean_refuses():
    checked = accepted = 0
    for id_value, birth, gender, phone, status, joined, full, enterprise in itertools.product(
        ID_NUMBERS, BIRTH_DATES, GENDERS, PHONES, STATUSES, JOINED, FULL, ENTERPRISES
    ):
        values = dict(
            gender=gender, birth_date=birth, id_number=id_value, phone=phone, status=status,
            joined_on=joined, full_member_on=full, enterprise=enterprise,
        )
        fast = rules.passes_member_rules(TODAY, **values)
        checked += 1
        if fast:
            accepted += 1
            assert clean_accepts(**values), values
    assert accepted > 50, "the grid should contain valid rows too ({} of {})".format(accepted, checked)


def test_fast_check_accepts_the_ordinary_valid_row():
    values = dict(
        gender="male", birth_date=datetime.date(1990, 1, 1), id_number=VALID_ID, phone="13800138000",
        status="formal", joined_on=datetime.date(2015, 7, 1), full_member_on=datetime.date(2016, 7, 1),
        enterprise=credit_code(),
    )
    assert rules.passes_member_rules(TODAY, **values)
    assert clean_accepts(**values)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2020-01-05", datetime.date(2020, 1, 5)),
        ("2020/1/5", datetime.date(2020, 1, 5)),
        ("2020.01.05", datetime.date(2020, 1, 5)),
        ("2020年1月5日", datetime.date(2020, 1, 5)),
        ("2020-02-30", None),
        ("05/01/2020", None),
        ("yesterday", None),
    ],
)
def test_dates(text, expected):
    assert rules.parse_date(text) == expected


@pytest.mark.parametrize(
    "data, encoding",
    [("姓名".encode("utf-8"), "utf-8-sig"), (b"\xef\xbb\xbfname", "utf-8-sig"), ("姓名".encode("gbk"), "gb18030"), (b"name", "utf-8-sig")],
)
def test_encoding_detection(data, encoding):
    import io

    assert detect_encoding(io.BytesIO(data)) == encoding


def test_header_names_every_missing_column():
    positions, errors = rules.header_errors(["name", "gender", "unrelated"])
    assert positions == {"name": 0, "gender": 1}
    assert [error["field"] for error in errors] == [column for column in rules.COLUMNS if column not in ("name", "gender")]
    assert {error["row"] for error in errors} == {0}
