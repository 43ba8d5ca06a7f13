import pandas as pd
import pytest

from gisaudit.errors import ConfigError, UnknownClassCodeError
from gisaudit.layers.classes import class_table_from_dict, default_class_table


@pytest.fixture(scope="module")
def table():
    return default_class_table()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0101", "0101"),
        (101, "0101"),
        (101.0, "0101"),
        ("101", "0101"),
        (" 1104a ", "1104A"),
        ("05H1", "05H1"),
        ("08h2", "08H2"),
        ("0810A", "0810A"),
        ("0201K", "0201K"),
        ("09", "09"),
        ("1107A", "1107A"),
        ("0103K", "0103K"),
    ],
)
def test_normalise(table, raw, code):
    assert table.normalise(raw) == code


@pytest.mark.parametrize("raw", ["9999", "0199", "", None, "01", "0101X", "ABCD", float("nan")])
def test_unknown_codes_rejected(table, raw):
    with pytest.raises(UnknownClassCodeError):
        table.normalise(raw)


def test_groups_follow_the_spec(table):
    expected = {
        "wetland": ["0303", "0304", "0306", "0402", "0603", "1105", "1106", "1108"],
        "farmland": ["0101", "0102", "0103"],
        "garden": ["0201", "0202", "0203", "0204", "0201K"],
        "forest_land": ["0301", "0302", "0305", "0307"],
        "grassland": ["0401", "0403", "0404"],
        "built": [
            "05H1",
            "0508",
            "0601",
            "0602",
            "0701",
            "0702",
            "08H1",
            "08H2",
            "0810A",
            "09",
            "1201",
        ],
        "transport": [f"100{i}" for i in range(1, 10)],
        "water_facilities": [
            "1101",
            "1102",
            "1103",
            "1104",
            "1104A",
            "1107",
            "1107A",
            "1109",
            "1110",
        ],
        "other": ["1202", "1203", "1204", "1205", "1206", "1207"],
    }
    for group, codes in expected.items():
        for code in codes:
            assert table.group(code) == group, code
    assert table.group_ids == list(expected)


def test_themes_follow_the_spec(table):
    t = table.themes
    assert t["farmland"] == {"0101", "0102", "0103"}
    assert t["forest"] == {"0301", "0302", "0303", "0305"}
    assert t["forest_land"] == {"0301", "0302", "0303", "0304", "0305", "0306", "0307"}
    assert t["water"] == {"1101", "1102", "1103", "1104", "1107"}
    assert t["tidal_flat"] == {"1105"}
    assert "1006" not in t["construction"] and "1109" in t["construction"]
    assert {"1001", "1008", "0601", "0702", "1201"} <= t["construction"]
    assert "0603" not in t["construction"]
    assert {"0201", "0204", "0301", "0307", "1104"} <= t["nongrain"]
    assert table.in_theme("1104A", "nongrain") and table.in_theme("1104A", "water")
    codes = pd.Series(["0101", "1104A", "0701", "1006"])
    assert table.theme_mask(codes, "construction").tolist() == [False, False, True, False]
    assert table.groups_of(codes).tolist() == ["farmland", "water_facilities", "built", "transport"]


def test_names(table):
    assert table.name("1104A") == "养殖坑塘"
    assert table.name("0103") == "旱地"


def test_bad_table_data():
    with pytest.raises(ConfigError, match="未知地类分组"):
        class_table_from_dict(
            {
                "groups": {"a": "甲"},
                "classes": {"0101": ["水田", "a"]},
                "themes": {"x": {"members": ["group:zzz"]}},
            }
        )
    with pytest.raises(ConfigError, match="未知专题"):
        default_class_table().theme_codes("nonsense")
