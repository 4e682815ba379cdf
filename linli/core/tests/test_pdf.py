"""linli/core/pdf.py: the PDFs people print carry their Chinese text, tables run across pages with
their header, and a server without a CJK font says so instead of printing empty boxes."""

from __future__ import annotations

import pytest
from django.test import override_settings

from linli.core import pdf
from linli.core.checks import check_pdf_font
from tests.pdfs import pages_text, save_pages

needs_font = pytest.mark.skipif(
    not pdf.available(), reason="no CJK font (make test installs fonts-noto-cjk)"
)


@needs_font
def test_a_report_carries_its_chinese_text() -> None:
    doc = pdf.Document(title="2026年第四季度 报到党员服务情况反馈", subtitle="幸福里社区党委")
    doc.heading("张*明")
    doc.fields([("工作单位", "区税务局"), ("服务时长", "12.5 小时")])
    doc.paragraph("本季度参加城市共建日 3 次，楼道清理、政策宣讲。")
    rows = [["2026-10-09", "楼道清理", "2.5"]]
    doc.table(["日期", "服务内容", "时长（小时）"], rows, numeric={2})
    doc.signature(["幸福里社区党委（盖章）", "2026年12月7日"])
    data = doc.render()
    assert data.startswith(b"%PDF-")
    assert len(data) < 200_000  # only the glyphs used are embedded, not the 20 MB font
    (text,) = pages_text(data)
    for expected in ("报到党员服务情况反馈", "区税务局", "楼道清理", "12.5 小时", "盖章"):
        assert expected in text
    save_pages(data, "pdf-core-report")


@needs_font
def test_a_long_table_repeats_its_header_on_every_page() -> None:
    doc = pdf.Document(title="名单")
    rows = [[f"第{n}行", "很长的服务内容" * 8, str(n)] for n in range(120)]
    doc.table(["序号", "内容", "数"], rows, widths=(1, 4, 1))
    pages = pages_text(doc.render())
    assert len(pages) > 2
    assert all("序号" in page for page in pages)
    assert "第119行" in pages[-1]
    assert f"共 {len(pages)} 页" in pages[-1] or f"of {len(pages)}" in pages[-1]


@needs_font
def test_text_a_user_typed_cannot_break_the_file() -> None:
    doc = pdf.Document(title="名单\x00\x1b[31m")
    doc.table(["名称"], [[None], ["a\x07b"], ["😀 表情"]])
    doc.table(["名称"], [])  # an empty table says so
    (text,) = pages_text(doc.render())
    assert "\x00" not in text
    assert "\x07" not in text
    assert "ab" in text


@override_settings(LINLI_PDF_FONT="/nonexistent/font.ttf")
def test_without_a_font_no_pdf_is_made_and_start_up_says_so() -> None:
    assert not pdf.available()
    with pytest.raises(pdf.FontMissing, match="fonts-noto-cjk"):
        pdf.Document(title="x")
    assert "linli.W004" in {message.id for message in check_pdf_font(None)}


def test_a_chinese_file_name_survives_the_download() -> None:
    reply = pdf.response(b"%PDF-1.4", "反馈 2026Q4.pdf")
    assert reply["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''%E5%8F%8D%E9%A6%88" in reply["Content-Disposition"]
