import pytest
from pypdf import PdfReader


@pytest.fixture(scope="module")
def reader(report_dir):
    return PdfReader(report_dir / "report.pdf")


@pytest.fixture(scope="module")
def text(reader):
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_page_count(reader):
    # cover, scorecard, matrix, 4 figures, account/leads/notes
    assert 6 <= len(reader.pages) <= 12


def test_pdf_text_is_real_chinese(text, tenure_result):
    for words in (
        "耕地保有率",
        "永久基本农田减少面积",
        "评价等级",
        "一票否决项",
        "地类转移矩阵",
        "城镇村及工矿用地",
    ):
        assert words in text
    for indicator in tenure_result.scorecard["indicators"]:
        assert indicator["name"] in text.replace("\n", "")
    assert f"{tenure_result.scorecard['total_score']:.2f}" in text


def test_pdf_embeds_the_cjk_font(reader):
    names, embedded = set(), []
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            names.add(str(font["/BaseFont"]))
            for desc in font.get("/DescendantFonts", []):
                embedded.append("/FontFile2" in desc.get_object()["/FontDescriptor"])
    assert any("WenQuanYi" in name for name in names)
    assert embedded and all(embedded)


def test_pdf_metadata(reader):
    assert "津南区" in reader.metadata.title


def test_pdf_pages_are_numbered(reader):
    n = len(reader.pages)
    assert f"第 1 页，共 {n} 页" in reader.pages[0].extract_text()
    assert f"第 {n} 页，共 {n} 页" in reader.pages[-1].extract_text()
