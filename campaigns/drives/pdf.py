"""The compiled letter as a PDF: the letter, then its signatures as the targets may see them (pure).

The font is Source Sans Pro from the `font-source-sans-pro` package (SIL Open Font License), which
covers Latin, Cyrillic and Kazakh letters, so the PDF does not depend on fonts of the machine.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import font_source_sans_pro
from fpdf import FPDF

from campaigns.drives.drives import paragraphs
from campaigns.drives.signing import clean_text

FONT_DIR = font_source_sans_pro.font_directory


@dataclass(frozen=True)
class Compiled:
    heading: str          # "Open letter" or "Another 42 people signed"
    title: str
    body: str
    named: list[str]      # one line per signature the targets may read (or "name withheld")
    note: str             # "and 37 more who asked not to be named" (or "")
    summary: str          # "1,204 people signed this letter"


def render_pdf(doc: Compiled) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font("Sans", "", os.path.join(FONT_DIR, "SourceSansPro-Regular.ttf"))
    pdf.add_font("Sans", "B", os.path.join(FONT_DIR, "SourceSansPro-Bold.ttf"))
    pdf.set_title(clean_text(doc.title))
    pdf.add_page()
    pdf.set_font("Sans", "", 10)
    pdf.multi_cell(0, 5, clean_text(doc.heading), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Sans", "B", 16)
    pdf.multi_cell(0, 8, clean_text(doc.title), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Sans", "", 11)
    for paragraph in paragraphs(doc.body):
        pdf.multi_cell(0, 5.5, "\n".join(clean_text(line) for line in paragraph.splitlines()),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
    pdf.ln(4)
    pdf.set_font("Sans", "B", 12)
    pdf.multi_cell(0, 6, clean_text(doc.summary), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Sans", "", 10)
    if doc.named:
        pdf.multi_cell(0, 5, "\n".join(clean_text(line) for line in doc.named), new_x="LMARGIN", new_y="NEXT")
    if doc.note:
        pdf.ln(2)
        pdf.multi_cell(0, 5, clean_text(doc.note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
