"""Server-rendered charts: plain SVG with classes, escaped labels, no style attributes."""
from __future__ import annotations

import re

from campaigns.responses.charts import bar_chart, funnel, sparkline


def test_the_funnel_scales_to_the_first_step_and_shows_shares():
    svg = funnel("Funnel", [("Sent", 10), ("Delivered", 8), ("Replied", 2)])
    assert svg.count("<rect") == 3 and "8 (80%)" in svg and "2 (20%)" in svg
    assert "style=" not in svg and "<script" not in svg


def test_labels_are_escaped():
    svg = bar_chart("t", [("<b>Embassy</b>", 1, "1")])
    assert "<b>" not in svg and "&lt;b&gt;" in svg


def test_a_sparkline_breaks_at_gaps_and_handles_no_data():
    svg = sparkline("rate", [0.1, None, 0.3, 0.5])
    assert svg.count("<polyline") == 2
    assert "<polyline" not in sparkline("rate", [None, None])


def test_a_long_label_is_neither_cut_at_22_characters_nor_printed_over_by_its_figure():
    name = "Embassy of the United Kingdom of Great Britain"
    svg = str(bar_chart("Response rate", [(name, 0, "0% of 1"), ("Short", 50, "50% of 2")]))
    assert name in svg
    labels = re.findall(r'<text class="chart-label" x="[\d.]+" y="([\d.]+)"', svg)
    values = re.findall(r'<text class="chart-value" x="[\d.]+" y="([\d.]+)"', svg)
    assert not set(labels) & set(values), "a figure shares its label's line"


def test_a_label_longer_than_the_line_ends_in_an_ellipsis_and_keeps_its_full_text():
    name = "Permanent Mission of the Republic of Kazakhstan to the United Nations Office at Geneva"
    svg = str(bar_chart("t", [(name, 1, "1")]))
    assert "…" in svg and f"<title>{name}</title>" in svg
