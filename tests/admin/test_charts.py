"""Server-drawn SVG bar charts."""

from terminvergabe.admin import charts


def test_long_labels_are_cut_to_fit_left_of_the_bars():
    svg = charts.bar_chart("Utilisation", ["Schalter 1", "Schalter 6 (Meldewesen)"], [10, 20])
    assert ">Schalter 1</text>" in svg
    assert ">Schalter 6 (Melde…</text>" in svg
