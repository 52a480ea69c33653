"""Imprint, privacy and accessibility statements (terminvergabe/citizen/pages/legal.py)."""

import pytest

from tests.citizen.pages.helpers import (
    text,
)


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/barrierefreiheit", "Schlichtungsstelle"),
        ("/impressum", "Markt 1"),
        ("/datenschutz", "30"),
    ],
)
def test_legal_pages_are_linked_from_every_page(client, office, path, needle):
    response = client.get(path)
    assert response.status_code == 200
    assert needle in text(response)
    assert f'href="{path}"' in text(client.get("/"))
