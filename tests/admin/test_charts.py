"""Server-drawn SVG bar charts."""

from terminvergabe.admin import charts


def test_long_labels_are_cut_to_fit_left_of_the_bars():
    svg = charts.bar_chart("Utilisation", ["Schalter 1", "Schalter 6 (Meldewesen)"], [10, 20])
    assert ">Schalter 1</text>" in svg
    assert ">Schalter 6 (Melde…</text>" in svg


def test_office_names_are_marked_german_on_pages_in_other_languages(app):
    with app.test_request_context("/?lang=en"):
        svg = charts.bar_chart("Utilisation", ["Schalter 1"], [10], office_labels=True)
        plain = charts.bar_chart("Waiting time", ["0–5"], [10])
    assert 'class="chart-label" lang="de">Schalter 1</text>' in svg
    assert 'lang="de"' not in plain
    with app.test_request_context("/?lang=de"):
        svg = charts.bar_chart("Auslastung", ["Schalter 1"], [10], office_labels=True)
    assert 'lang="de"' not in svg  # the page is German already
