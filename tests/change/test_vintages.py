from datetime import date

import pytest

from gisaudit.change.vintages import select_vintages
from gisaudit.errors import InputError

V = [date(2018, 12, 31), date(2020, 12, 31), date(2022, 12, 31), date(2023, 12, 31)]


def test_latest_on_or_before_start_and_end():
    s = select_vintages(V, date(2021, 3, 1), date(2023, 6, 30))
    assert (s.start, s.end) == (date(2020, 12, 31), date(2022, 12, 31))
    assert s.intermediate == ()
    assert s.notes == ()


def test_vintage_dated_on_the_start_day_counts_as_before():
    s = select_vintages(V, date(2020, 12, 31), date(2023, 12, 31))
    assert (s.start, s.end) == (date(2020, 12, 31), date(2023, 12, 31))
    assert s.intermediate == (date(2022, 12, 31),)


def test_in_office_uses_latest_and_lists_intermediates():
    s = select_vintages(V, date(2019, 1, 1), None)
    assert s.start == date(2018, 12, 31)
    assert s.end == date(2023, 12, 31)
    assert s.intermediate == (date(2020, 12, 31), date(2022, 12, 31))


def test_tenure_before_first_vintage_uses_earliest_with_note():
    s = select_vintages(V, date(2016, 5, 1), date(2021, 1, 1))
    assert (s.start, s.end) == (date(2018, 12, 31), date(2020, 12, 31))
    assert len(s.notes) == 1
    assert "2016-05-01" in s.notes[0] and "最早一期" in s.notes[0]


def test_tenure_entirely_before_data_gives_one_vintage_and_notes():
    s = select_vintages(V, date(2010, 1, 1), date(2012, 1, 1))
    assert s.start == s.end == date(2018, 12, 31)
    assert any("同一期" in n for n in s.notes)


def test_unordered_input_and_duplicates():
    s = select_vintages([V[2], V[0], V[0], V[1]], date(2019, 1, 1), None)
    assert (s.start, s.end, s.intermediate) == (V[0], V[2], (V[1],))


def test_no_vintage_is_an_input_error():
    with pytest.raises(InputError, match="没有"):
        select_vintages([], date(2019, 1, 1), None)
