"""Assessment tests reuse the roster helpers: `in_a` runs a test in School A's scope."""

from tests.rosters.conftest import in_a  # noqa: F401
