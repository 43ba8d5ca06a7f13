from matplotlib import font_manager

from gisaudit.fonts import cjk_font_family, cjk_font_path


def test_shipped_font_is_the_one_matplotlib_uses():
    path = cjk_font_path()
    assert path.name == "wqy-microhei.ttc" and path.is_file()
    assert "gisaudit" in path.parts
    found = font_manager.findfont(
        font_manager.FontProperties(family=cjk_font_family()), fallback_to_default=False
    )
    assert found == str(path)


def test_shipped_font_has_chinese_glyphs():
    font = font_manager.get_font(str(cjk_font_path()))
    for ch in "耕地保有率好较差":
        assert font.get_char_index(ord(ch)) != 0
