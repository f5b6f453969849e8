"""Registers the shared fixtures for every test; the helpers themselves live in tests/fixtures/."""

from tests.fixtures.hostile import http_server, victim  # noqa: F401
from tests.fixtures.hostile_sites import hostile_site, preview  # noqa: F401
from tests.fixtures.repos import (  # noqa: F401
    _git_identity,
    example_repo,
    moto_endpoint,
    reproduced_repo,
    s3_bucket,
    s3_repo,
)
