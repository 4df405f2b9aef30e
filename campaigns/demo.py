"""Fictional demo data. Every name, case and address here is invented; addresses use example.org."""
from __future__ import annotations


def load_demo() -> str:
    return "demo data loaded"
