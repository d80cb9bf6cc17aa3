"""The password rules and argon2id hashing."""

from __future__ import annotations

import pytest

from jpay_server.domain.passwords import (
    check_new_password,
    common_passwords,
    hash_password,
    needs_rehash,
    verify_password,
)
from jpay_server.errors import InvalidRequest


def test_the_shipped_list_holds_ten_thousand_common_passwords():
    common = common_passwords()
    assert len(common) >= 9_900  # a few differ only by case
    assert {"password", "123456", "qwerty", "1qaz2wsx3edc"} <= common


@pytest.mark.parametrize(
    ("password", "email", "why"),
    [
        ("short-pass1", "a@example.com", "at least 12"),
        ("x" * 257, "a@example.com", "at most 256"),
        ("Ann.Lee@Example.com", "ann.lee@example.com", "email"),
        ("ann.lee.longname", "ann.lee.longname@example.com", "email"),
        ("1QAZ2WSX3EDC", "a@example.com", "too common"),
        ("qwerty123456", "a@example.com", "too common"),
    ],
)
def test_weak_passwords_are_refused(password, email, why):
    with pytest.raises(InvalidRequest) as refused:
        check_new_password(password, email)
    assert refused.value.code == "weak_password"
    assert refused.value.field == "password"
    assert why in refused.value.detail


def test_a_good_password_passes_and_hashes_with_argon2id():
    check_new_password("correct horse battery staple", "a@example.com")
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password(hashed, "correct horse battery staple")
    assert not verify_password(hashed, "correct horse battery stapler")
    assert not verify_password("not a hash", "anything")
    assert not needs_rehash(hashed)
    weaker = "$argon2id$v=19$m=8192,t=1,p=1$" + hashed.split("$", 4)[4]
    assert needs_rehash(weaker)
