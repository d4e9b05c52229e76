import pytest
from hypothesis import given
from hypothesis import strategies as st

from hkipo.core.codes import InvalidCode, code_to_yahoo, normalize_code, yahoo_to_code


@pytest.mark.parametrize(
    "raw, code, symbol",
    [
        ("00100", "00100", "0100.HK"),
        ("100", "00100", "0100.HK"),
        ("0100.HK", "00100", "0100.HK"),
        ("00100.HK", "00100", "0100.HK"),
        ("HK00100", "00100", "0100.HK"),
        ("02513", "02513", "2513.HK"),
        ("2513.hk", "02513", "2513.HK"),
        ("09988", "09988", "9988.HK"),
        (700, "00700", "0700.HK"),
        ("80737", "80737", "80737.HK"),
    ],
)
def test_spellings(raw, code, symbol):
    assert normalize_code(raw) == code
    assert code_to_yahoo(raw) == symbol
    assert yahoo_to_code(symbol) == code


@pytest.mark.parametrize("bad", ["", "abc", "0", "00000", "123456", "0100.SS", "01 00", "-100", "1e3"])
def test_rejects_malformed(bad):
    with pytest.raises(InvalidCode) as e:
        normalize_code(bad)
    assert repr(bad) in str(e.value)


@pytest.mark.parametrize("bad", ["00100", "0100", "100.HK", "AAPL", "0100.SZ"])
def test_yahoo_rejects_non_hk_symbols(bad):
    with pytest.raises(InvalidCode):
        yahoo_to_code(bad)


@given(st.integers(min_value=1, max_value=99999))
def test_round_trip(n):
    code = normalize_code(n)
    assert len(code) == 5 and int(code) == n
    assert yahoo_to_code(code_to_yahoo(code)) == code


@given(st.text(max_size=12))
def test_never_raises_anything_but_invalid_code(s):
    try:
        normalize_code(s)
    except InvalidCode:
        pass
