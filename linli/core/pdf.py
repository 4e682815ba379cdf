"""The one way Linli writes PDF files: A4 documents with Chinese text that print and archive.

Reports that leave Linli on paper — a unit's quarterly feedback, a volunteer's service-hours
certificate, a co-construction day's report — are built from a few blocks: a title, headings,
paragraphs, label/value fields and tables. ``Document`` offers exactly those, so every PDF looks
the same and no feature draws coordinates::

    from linli.core import pdf

    doc = pdf.Document(title="2026年第四季度 报到党员服务情况反馈")
    doc.heading("幸福里社区")
    doc.fields([("姓名", "张*明"), ("服务时长", "12.5 小时")])
    doc.table(["日期", "服务内容", "时长（小时）"], rows, numeric={2})
    return pdf.response(doc.render(), "反馈.pdf")

Why fpdf2: it is pure Python (no system libraries to install beside a font), embeds only the
glyphs a document uses (a page of Chinese is a few KB, not the 20 MB font), wraps Chinese text
by character, and draws tables that split across pages with their header repeated.

The font: Chinese needs a CJK font on the server. Debian's ``fonts-noto-cjk`` (``make test`` and
``make demo`` install it where they may; docs/deploy.md lists it) is found at its standard path;
``LINLI_PDF_FONT`` (and ``LINLI_PDF_FONT_BOLD``) name another OpenType/TrueType file or
collection. Without one, ``render`` raises ``FontMissing`` with the package to install, the
system check ``linli.W004`` says so at start-up, and views answer with that message instead of a
PDF of empty boxes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

CONTENT_TYPE = "application/pdf"

# Debian's fonts-noto-cjk: collections whose third face (index 2) is Simplified Chinese.
_NOTO_DIR = Path("/usr/share/fonts/opentype/noto")
_DEFAULT_REGULAR = (_NOTO_DIR / "NotoSansCJK-Regular.ttc", 2)
_DEFAULT_BOLD = (_NOTO_DIR / "NotoSansCJK-Bold.ttc", 2)

FAMILY = "linli-cjk"
MARGIN_MM = 18
BODY_PT = 10.5
# Control characters other than line breaks and tabs cannot be drawn: dropped, not drawn as boxes.
_UNDRAWABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class FontMissing(RuntimeError):
    """No CJK font on this server: a PDF would show empty boxes instead of Chinese."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "PDF files cannot be made on this server: it has no Chinese font. The "
                "administrator installs Debian's fonts-noto-cjk package (or sets LINLI_PDF_FONT)."
            )
        )


@dataclass(frozen=True)
class FontFiles:
    regular: tuple[Path, int]
    bold: tuple[Path, int]


def _configured(value: str) -> tuple[Path, int] | None:
    """``/path/font.ttc#2`` → (path, face 2); a plain path is face 0; empty is ``None``."""
    if not value:
        return None
    path, _sep, index = value.partition("#")
    return Path(path), int(index or 0)


@lru_cache(maxsize=4)
def _font_files_cached(regular_setting: str, bold_setting: str) -> FontFiles | None:
    regular = _configured(regular_setting) or _DEFAULT_REGULAR
    if not regular[0].is_file():
        return None
    bold = _configured(bold_setting)
    if bold is None:
        bold = _DEFAULT_BOLD if regular == _DEFAULT_REGULAR else regular
    if not bold[0].is_file():
        bold = regular
    return FontFiles(regular=regular, bold=bold)


def font_files() -> FontFiles | None:
    """The CJK font files PDFs are drawn with, or ``None`` when the server has none."""
    return _font_files_cached(
        str(getattr(settings, "LINLI_PDF_FONT", "")),
        str(getattr(settings, "LINLI_PDF_FONT_BOLD", "")),
    )


def available() -> bool:
    return font_files() is not None


def clean(value: Any) -> str:
    """``value`` as drawable text: ``None`` is empty, control characters are dropped."""
    if value is None:
        return ""
    return _UNDRAWABLE.sub("", str(value))


class _Pdf(FPDF):
    """fpdf2 with Linli's running header (document title) and footer (page x of y, made at)."""

    def __init__(self, *, running_title: str, made_at: str, landscape: bool) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.running_title = running_title
        self.made_at = made_at
        self.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.set_auto_page_break(auto=True, margin=MARGIN_MM)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FAMILY, size=8)
        self.set_text_color(110)
        self.cell(0, 5, self.running_title, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        self.set_text_color(0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.set_text_color(110)
        # {nb} is fpdf2's alias for the number of pages, filled in when the file is written.
        text = _("Page %(page)s of %(pages)s · made %(made)s") % {
            "page": self.page_no(),
            "pages": "{nb}",
            "made": self.made_at,
        }
        self.cell(0, 5, text, align=Align.C)
        self.set_text_color(0)


class Document:
    """An A4 document of headings, paragraphs, fields and tables, in a CJK font.

    ``title`` is drawn large on the first page and small atop the others; ``subtitle`` (the
    issuer, the period) below it. ``landscape`` for wide tables.
    """

    def __init__(
        self,
        *,
        title: str,
        subtitle: str = "",
        landscape: bool = False,
        author: str = "",
        made_at: dt.datetime | None = None,
    ) -> None:
        fonts = font_files()
        if fonts is None:
            raise FontMissing()
        made = timezone.localtime(made_at or timezone.now())
        self._pdf = _Pdf(
            running_title=clean(title),
            made_at=made.strftime("%Y-%m-%d %H:%M"),
            landscape=landscape,
        )
        pdf = self._pdf
        pdf.add_font(FAMILY, fname=str(fonts.regular[0]), collection_font_number=fonts.regular[1])
        pdf.add_font(
            FAMILY, style="B", fname=str(fonts.bold[0]), collection_font_number=fonts.bold[1]
        )
        pdf.set_title(clean(title))
        pdf.set_lang("zh-CN")
        pdf.set_creator("Linli")
        if author:
            pdf.set_author(clean(author))
        pdf.set_creation_date(made)
        pdf.add_page()
        pdf.set_font(FAMILY, style="B", size=17)
        pdf.multi_cell(0, 9, clean(title), wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN)
        if subtitle:
            pdf.set_font(FAMILY, size=10.5)
            pdf.set_text_color(80)
            pdf.multi_cell(0, 6, clean(subtitle), wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN)
            pdf.set_text_color(0)
        pdf.ln(4)
        pdf.set_font(FAMILY, size=BODY_PT)

    @property
    def width(self) -> float:
        """The writable width of a page, in millimetres."""
        return float(self._pdf.epw)

    def new_page(self) -> None:
        self._pdf.add_page()

    def heading(self, text: str, *, level: int = 1) -> None:
        pdf = self._pdf
        size = {1: 14, 2: 12}.get(level, BODY_PT)
        if pdf.get_y() > pdf.h - MARGIN_MM - 30:  # a heading never ends a page alone
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font(FAMILY, style="B", size=size)
        pdf.multi_cell(0, size * 0.55, clean(text), wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN)
        pdf.ln(1.5)
        pdf.set_font(FAMILY, size=BODY_PT)

    def paragraph(self, text: str, *, size: float = BODY_PT, muted: bool = False) -> None:
        pdf = self._pdf
        pdf.set_font(FAMILY, size=size)
        if muted:
            pdf.set_text_color(90)
        pdf.multi_cell(0, size * 0.6, clean(text), wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN)
        pdf.set_text_color(0)
        pdf.ln(1.5)

    def fields(self, pairs: Iterable[tuple[str, Any]], *, label_width: float = 38) -> None:
        """Label/value lines, as on a certificate or a record card (no borders)."""
        pdf = self._pdf
        for label, value in pairs:
            pdf.set_font(FAMILY, style="B", size=BODY_PT)
            y = pdf.get_y()
            pdf.multi_cell(label_width, 6.5, clean(label), wrapmode=WrapMode.CHAR)
            after_label = pdf.get_y()
            pdf.set_xy(pdf.l_margin + label_width, y)
            pdf.set_font(FAMILY, size=BODY_PT)
            pdf.multi_cell(0, 6.5, clean(value), wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN)
            pdf.set_y(max(after_label, pdf.get_y()))
        pdf.ln(2)

    def table(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        widths: Sequence[float] | None = None,
        numeric: Iterable[int] = (),
        size: float = 9.5,
    ) -> None:
        """A bordered table; the header row repeats on each page the table runs onto.

        ``widths`` are relative column widths; ``numeric`` the column indexes aligned right.
        An empty ``rows`` draws the header and one row saying there is nothing.
        """
        pdf = self._pdf
        right = set(numeric)
        pdf.set_font(FAMILY, size=size)
        align = tuple("RIGHT" if i in right else "LEFT" for i in range(len(headers)))
        body = [[clean(v) for v in row] for row in rows]
        with pdf.table(
            col_widths=tuple(widths) if widths else None,
            text_align=align,
            line_height=size * 0.62,
            padding=1.2,
            headings_style=FontFace(family=FAMILY, emphasis="BOLD", fill_color=(230, 234, 239)),
            cell_fill_color=245,
            cell_fill_mode=TableCellFillMode.ROWS,
            wrapmode=WrapMode.CHAR,
            repeat_headings=1,
        ) as table:
            table.row([clean(h) for h in headers])
            for values in body:
                table.row(values)
            if not body:
                row = table.row()
                row.cell(_("(none)"), colspan=len(headers))
        pdf.ln(3)
        pdf.set_font(FAMILY, size=BODY_PT)

    def signature(self, lines: Sequence[str]) -> None:
        """Right-aligned closing lines: the issuer, the seal's place, the date."""
        pdf = self._pdf
        pdf.ln(8)
        pdf.set_font(FAMILY, size=BODY_PT + 0.5)
        for line in lines:
            pdf.cell(0, 7, clean(line), align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def render(self) -> bytes:
        return bytes(self._pdf.output())


def response(data: bytes, filename: str) -> HttpResponse:
    """``data`` as a download named ``filename`` (Chinese names survive: RFC 6266 encoding)."""
    reply = HttpResponse(data, content_type=CONTENT_TYPE)
    reply["Content-Disposition"] = content_disposition_header(True, filename)
    return reply
