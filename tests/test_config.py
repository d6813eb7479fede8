import os
import stat

import pytest

from scorecard.config import pseudonym_key, settings
from scorecard.errors import ConfigError


def test_key_is_created_once_owner_only_and_reused(tmp_path):
    f = tmp_path / "sub" / "k.key"
    k1 = pseudonym_key(f)
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    assert pseudonym_key(f) == k1 and len(k1) >= 32


def test_configured_key_overrides_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SCORECARD_PSEUDONYM_KEY", "a-configured-secret-key")
    assert pseudonym_key(tmp_path / "never.key") == b"a-configured-secret-key"
    assert not (tmp_path / "never.key").exists()
    monkeypatch.setenv("SCORECARD_PSEUDONYM_KEY", "short")
    with pytest.raises(ConfigError, match="at least 16"):
        pseudonym_key(tmp_path / "never.key")


def test_settings_from_environment_and_overrides(monkeypatch):
    monkeypatch.setenv("SCORECARD_LA", "380")
    assert settings().la_code == 380
    assert settings(la_code=370).la_code == 370
    monkeypatch.setenv("SCORECARD_LA", "Barnsley")
    with pytest.raises(ConfigError, match="not a DfE LA code"):
        settings()


def test_missing_match_tolerance_from_environment_and_checked(monkeypatch):
    assert settings().missing_match_hours == 24
    monkeypatch.setenv("SCORECARD_MISSING_MATCH_HOURS", "12")
    assert settings().missing_match_hours == 12
    assert settings(missing_match_hours=2.5).missing_match_hours == 2.5
    monkeypatch.setenv("SCORECARD_MISSING_MATCH_HOURS", "a day")
    with pytest.raises(ConfigError, match="not a number of hours"):
        settings()
    monkeypatch.delenv("SCORECARD_MISSING_MATCH_HOURS")
    with pytest.raises(ConfigError, match="0 to 168 hours"):
        settings(missing_match_hours=-1)
