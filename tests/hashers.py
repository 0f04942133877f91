"""The tests' password hasher: still Argon2id (ACC-2), with tiny costs. Production's
costs take 0.1-0.5 s a hash on a 2-core machine, paid at every sign-in, new account and
password change of the suite; tests/accounts/test_hashing.py checks production's."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2Hasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 64
    parallelism = 1
