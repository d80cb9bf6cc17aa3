"""PBKDF2 with one iteration: the token endpoint measured without the KDF's cost."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class OneIterationPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 hasher, one iteration (for the comparison only: never in production)."""

    algorithm = "pbkdf2_sha256_1"
    iterations = 1
