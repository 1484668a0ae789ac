import pytest
from django.core.exceptions import ValidationError

from members import validators


def valid_id(prefix17):
    return prefix17 + validators.id_number_check_character(prefix17)


def test_known_valid_id_number():
    # The GB 11643 standard's own example.
    validators.validate_id_number("11010519491231002X")


@pytest.mark.parametrize(
    "value",
    ["11010519491231002", "110105194912310021", "1101051949123100XX", "110105194913310025", "11010530001231002X"],
)
def test_invalid_id_numbers(value):
    with pytest.raises(ValidationError):
        validators.validate_id_number(value)


def test_id_number_birth_and_gender():
    number = valid_id("35060019850315001")
    assert validators.id_number_birth_date(number).isoformat() == "1985-03-15"
    assert validators.id_number_gender(number) == "male"
    assert validators.id_number_gender(valid_id("35060019850315002")) == "female"


def test_credit_code_check_character():
    # A published code (Huawei Technologies Co., Ltd.).
    validators.validate_credit_code("914403001922038216")
    with pytest.raises(ValidationError):
        validators.validate_credit_code("914403001922038217")
    with pytest.raises(ValidationError):
        validators.validate_credit_code("91440300192203821I")


def test_masks():
    assert validators.mask_id_number("35060019850315001X") == "350***********001X"
    assert validators.mask_phone("13812345678") == "138****5678"
