from pathlib import Path

import pytest

from hkipo.core.config import ConfigError, default_config_text, load_config, parse_config


def test_packaged_default_has_both_securities():
    c = parse_config(default_config_text(), "default")
    codes = {s.code: s for s in c.watchlist}
    assert set(codes) == {"00100", "02513"}
    assert codes["00100"].yahoo_symbol == "0100.HK"
    assert codes["02513"].yahoo_symbol == "2513.HK"
    assert codes["02513"].board_lot == 100
    assert "智譜華章" in codes["02513"].names


def test_lookup_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HKIPO_CONFIG", raising=False)
    assert load_config().source.startswith("<packaged")
    local = tmp_path / "hkipo.toml"
    local.write_text(default_config_text().replace('path = "data/hkipo.duckdb"', 'path = "local.duckdb"'))
    assert load_config().source == str(local)
    assert str(load_config().db_path()) == "local.duckdb"
    monkeypatch.setenv("HKIPO_DB", "env.duckdb")
    assert str(load_config().db_path()) == "env.duckdb"
    assert str(load_config().db_path("cli.duckdb")) == "cli.duckdb"


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as e:
        parse_config(text, "conf.toml")
    return str(e.value)


def test_error_names_file_line_and_key():
    text = default_config_text().replace("board_lot = 100", "board_lot = -5")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "board_lot = -5" in l)
    msg = _error(text)
    assert f"conf.toml:{line}: watchlist[1].board_lot" in msg


def test_unknown_key_is_an_error_with_its_line():
    text = default_config_text().replace("[politeness]", "[politeness]\nuser_agnt = 'x'")
    msg = _error(text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "user_agnt" in l)
    assert f"conf.toml:{line}: politeness.user_agnt: unknown key" in msg


def test_syntax_error_has_line():
    msg = _error("[database\npath = 1\n")
    assert "conf.toml: invalid TOML" in msg and "line 1" in msg


@pytest.mark.parametrize(
    "snippet, key",
    [
        ('[[watchlist]]\ncode = "abc"\nname_en = "x"\n', "watchlist[0].code"),
        ('[[watchlist]]\ncode = "00100"\nname_en = "x"\nyahoo_symbol = "0200.HK"\n', "watchlist[0]"),
        ('[[watchlist]]\ncode = "00100"\nname_en = "x"\n[[watchlist]]\ncode = "100"\nname_en = "y"\n', "watchlist"),
        ('[[watchlist]]\ncode = "00100"\nname_en = "x"\n[schedule]\ntimezone = "Mars/Olympus"\n', "schedule.timezone"),
        ('[[watchlist]]\ncode = "00100"\nname_en = "x"\n[schedule]\nprices_cron = "30 16"\n', "schedule.prices_cron"),
        ('[[watchlist]]\ncode = "00100"\nname_en = "x"\n[news]\nsearch_feeds = ["https://x/?q=1"]\n', "news.search_feeds"),
        ('[[watchlist]]\ncode = "00100"\nname_en = "x"\nlisting_date = 2026-02-30\n', "invalid TOML"),
        ('[database]\npath = "x"\n', "watchlist: required key is missing"),
    ],
)
def test_invalid_configs(snippet, key):
    assert key in _error(snippet)


def test_cli_reports_config_errors_with_exit_2(hkipo_cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[watchlist]]\ncode = "00100"\nname_en = "x"\nboard_lot = "many"\n')
    r = hkipo_cli("config", "check", "--config", str(bad))
    assert r.returncode == 2
    assert f"{bad}:4: watchlist[0].board_lot" in r.stderr
    assert "Traceback" not in r.stderr
    missing = hkipo_cli("config", "check", "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "config file not found" in missing.stderr


def test_config_init_writes_default(hkipo_cli, tmp_path):
    r = hkipo_cli("config", "init")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "hkipo.toml").read_text(encoding="utf-8") == default_config_text()
    again = hkipo_cli("config", "init")
    assert again.returncode == 2 and "--force" in again.stderr
