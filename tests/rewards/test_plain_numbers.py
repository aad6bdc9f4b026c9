"""rewards/plain_numbers.py: the exact fast path for plain numbers."""

from rewards.plain_numbers import parse_plain_number


def test_plain_number_fast_path_is_exact():
    assert parse_plain_number("1,000.00") == 1000
    assert parse_plain_number("1 000") == 1000
    assert parse_plain_number(".5") == parse_plain_number("1/2")
    assert parse_plain_number("0.1") + parse_plain_number("0.2") == parse_plain_number("0.3")  # no floats
    assert parse_plain_number("3, 5") is None
    assert parse_plain_number("2x") is None
    assert parse_plain_number("x" * 100) is None
