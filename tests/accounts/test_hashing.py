"""Passwords are hashed with Argon2id at production's costs (ACC-2). The suite itself
hashes with tiny costs (tests/hashers.py), so this reads the project's settings."""

from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher

import markbook.settings as project


def test_production_hashes_new_passwords_with_argon2id_at_owasp_costs():
    assert project.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = Argon2PasswordHasher().encode("correct-horse-battery-staple", "saltsaltsalt")
    _, variety, _, costs, _, _ = encoded.split("$")
    params = dict(part.split("=") for part in costs.split(","))
    assert variety == "argon2id"
    # OWASP's minimum for Argon2id: 19 MiB and 2 passes.
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2


def test_a_hash_from_the_suites_quick_hasher_is_still_verified_by_production():
    from tests.hashers import QuickArgon2Hasher

    encoded = QuickArgon2Hasher().encode("correct-horse-battery-staple", "saltsaltsalt")
    assert identify_hasher(encoded).algorithm == "argon2"
    assert Argon2PasswordHasher().verify("correct-horse-battery-staple", encoded)
