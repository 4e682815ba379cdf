"""Reading back the PDFs Linli writes, as a person would: the text on each page, and the pages as
pictures (var/screenshots/<name>-<n>.png) to look at."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium

SCREENSHOTS = Path(__file__).resolve().parents[1] / "var" / "screenshots"


def pages_text(data: bytes) -> list[str]:
    """The text of each page of the PDF ``data`` (what a reader copies out of it)."""
    document = pdfium.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def save_pages(data: bytes, name: str, *, scale: float = 1.4) -> list[Path]:
    """Each page of ``data`` as a PNG under var/screenshots, for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(data)
    paths = []
    try:
        for number, page in enumerate(document, start=1):
            path = SCREENSHOTS / f"{name}-{number}.png"
            page.render(scale=scale).to_pil().save(path)
            paths.append(path)
    finally:
        document.close()
    return paths
