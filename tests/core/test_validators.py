"""ROS-3: identifiers are validated (facts: docs/domain.md, Identifiers)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from markbook.core.validators import UPN_ALPHABET, uln_problem, upn_check_letter, upn_problem


def test_domain_example_upn_is_valid():
    assert upn_problem("B801200005001") is None


def test_domain_example_with_wrong_check_letter_is_invalid():
    assert "check letter" in upn_problem("A801200005001")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("B80120000500", "13 characters"),
        ("B8012000050011", "13 characters"),
        ("B80120000X001", "11 digits"),
        ("1801200005001", "letter"),
        ("I801200005001", "I, O or S"),
    ],
)
def test_malformed_upns_say_what_is_wrong(value, fragment):
    assert fragment in upn_problem(value)


@given(
    st.text(alphabet="0123456789", min_size=11, max_size=11),
    st.sampled_from(UPN_ALPHABET + "0123456789"),
)
def test_any_body_with_its_computed_letter_is_valid(digits, last):
    body = digits + last
    assert upn_problem(upn_check_letter(body) + body) is None


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_every_other_letter_is_rejected(body):
    right = upn_check_letter(body)
    for letter in UPN_ALPHABET:
        if letter != right:
            assert upn_problem(letter + body) is not None


def test_temporary_upn_with_final_letter_is_valid():
    body = "80120000500A"
    assert upn_problem(upn_check_letter(body) + body) is None


def test_uln_check_digit():
    # 9 digits then the check: sum(d*w for w=10..2) + c*1 == 10 (mod 11)
    digits = "123456789"
    total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
    check = (10 - total) % 11
    assert check < 10  # this prefix has a single-digit check
    assert uln_problem(digits + str(check)) is None
    assert uln_problem(digits + str((check + 1) % 10)) == "the check digit is wrong"
    assert "10 digits" in uln_problem("0123456789")


def test_made_up_ulns_pass_the_uln_check():
    import random

    from markbook.core.validators import random_uln, uln_problem

    rng = random.Random(7)
    ulns = [random_uln(rng) for _ in range(200)]
    assert [u for u in ulns if uln_problem(u)] == []
    assert len(set(ulns)) > 190
