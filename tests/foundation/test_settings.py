from pathlib import Path

import pytest

from app.cli.main import main
from app.settings import Environment, SettingsError, load_settings


def test_plain_postgresql_url_gets_the_asyncpg_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:pass@db:5432/inventory")

    settings = load_settings()

    assert settings.database_url == "postgresql+asyncpg://user:pass@db:5432/inventory"


def test_defaults_are_the_embedded_development_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "IDENTITY_URL", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", "/tmp/somewhere")

    settings = load_settings()

    assert settings.database_url is None
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.identity_audience == "inventory"
    assert settings.kafka_enable_idempotence is True
    assert settings.kafka_create_topics is True
    assert settings.broadcast_url == "memory://"
    assert settings.data_dir == Path("/tmp/somewhere")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://nope"),
        ("ENVIRONMENT", "prod-ish"),
        ("KAFKA_ENABLE_IDEMPOTENCE", "perhaps"),
        ("BROADCAST_URL", "carrier-pigeon://"),
        ("MIGRATE_ON_START", "sometimes"),
    ],
)
def test_invalid_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert name in str(raised.value)


def test_production_refuses_embedded_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("DATABASE_URL", raising=False)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "DATABASE_URL" in str(raised.value)


def test_cli_reports_bad_settings_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "moon")

    code = main(["migrate"])

    assert code == 2
    err = capsys.readouterr().err
    assert "ENVIRONMENT" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_an_unreachable_database_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://someone:secret@127.0.0.1:1/inventory")

    code = main([command, "--port", "1"] if command == "serve" else [command])

    err = capsys.readouterr().err
    assert code == 2
    assert "DATABASE_URL" in err
    assert "127.0.0.1:1/inventory" in err
    assert "secret" not in err
    assert "Traceback" not in err
