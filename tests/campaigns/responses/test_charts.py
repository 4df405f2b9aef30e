"""Server-rendered charts: plain SVG with classes, escaped labels, no style attributes."""
from __future__ import annotations

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
