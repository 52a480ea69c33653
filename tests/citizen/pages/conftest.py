import pytest


@pytest.fixture
def client(client):
    """Messages are checked by their English msgid: the pages are read in English."""
    client.set_cookie("lang", "en")
    return client
