"""Password hashes: werkzeug's scrypt in production, a cheap one only in a TESTING app."""

from terminvergabe.auth import operations
from terminvergabe.booking.models import Role
from tests.conftest import TEST_PASSWORD_HASH


def test_the_tests_hash_passwords_cheaply_and_still_check_them(app_ctx, office):
    member = operations.create_staff("clerk", "correct horse battery", "C", [Role.CLERK], office)
    assert member.password_hash.startswith(TEST_PASSWORD_HASH + "$")
    assert operations.authenticate("clerk", "correct horse battery") == member
    assert operations.authenticate("clerk", "wrong horse battery") is None


def test_an_app_that_is_not_testing_ignores_the_cheap_method(app_ctx, office, monkeypatch):
    monkeypatch.setattr(app_ctx, "testing", False)
    member = operations.create_staff("clerk", "correct horse battery", "C", [Role.CLERK], office)
    assert member.password_hash.startswith("scrypt:32768:8:1$")
