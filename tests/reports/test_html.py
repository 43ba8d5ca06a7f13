import base64
import re
from html.parser import HTMLParser

import pytest

from gisaudit.reports import render_report_html
from tests.reports.builders import make_result


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "data", "poster", "action") and value is not None:
                self.urls.append((tag, value))
            if tag == "img" and name == "src":
                self.images.append(value)


@pytest.fixture(scope="module")
def html(report_dir):
    return (report_dir / "report.html").read_text("utf-8")


@pytest.fixture(scope="module")
def links(html):
    parser = _Links()
    parser.feed(html)
    return parser


def test_html_shows_grade_score_and_facts(html, tenure_result):
    sc = tenure_result.scorecard
    assert '<div class="value">差</div>' in html
    assert f"总分 {sc['total_score']:.2f}" in html
    for text in ("津南区", "张三", "区委书记", "2017-12-31", "2022-12-31", "tianjin-2025"):
        assert text in html
    assert "一票否决项" in html and "永久基本农田减少面积" in html


def test_html_lists_every_indicator(html, tenure_result):
    for indicator in tenure_result.scorecard["indicators"]:
        assert indicator["name"] in html
    assert html.count('<tr class="na">') == 3  # three indicators not applicable


def test_html_has_matrix_account_and_leads_tables(html):
    assert '<table class="matrix">' in html
    assert html.count('style="background: #') == 10 * 10  # 9 groups + 合计, coloured cells
    assert 'style="background: #e8eef5">6.25<' in html  # a diagonal (unchanged) cell
    assert "城镇村及工矿用地" in html and "期初＼期末" in html
    assert '<table class="account">' in html and "期末存量（亩）" in html
    assert '<table class="leads">' in html and "永久基本农田被占用" in html


def test_html_images_are_embedded_pngs(links):
    assert len(links.images) == 4
    for src in links.images:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(png) > 10_000  # a real drawing, not a blank pixel


def test_html_has_no_external_urls(html, links):
    assert all(url.startswith(("data:", "#")) for _, url in links.urls)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html


def test_html_has_print_css(html):
    assert "@page" in html and "page-break" in html and "@media print" in html


def test_html_coastline_table_when_the_district_has_a_coast():
    result = make_result()
    result.scorecard["coastline_km"] = {
        "start": {"natural": 12.5, "artificial": 40.0},
        "end": {"natural": 11.25, "artificial": 41.0, "estuary": 2.0},
    }
    html = render_report_html(result, [])
    assert '<table class="coastline">' in html
    assert "自然岸线" in html and "11.250" in html and "河口岸线" in html
    assert "千米" in html


def test_html_without_coast_has_no_coastline_table(html):
    assert '<table class="coastline">' not in html
