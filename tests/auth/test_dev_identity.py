"""The development identity: key pair in DATA_DIR, default policy, `inventory token`, JWKS."""

from __future__ import annotations

import stat
import uuid
from pathlib import Path

import httpx
import jwt
import pytest
from starlette.applications import Starlette

from app.asgi import create_app
from app.auth.actions import Action
from app.auth.dev import KEY_FILE, load_or_create_signing_key
from app.auth.errors import Forbidden, Unauthenticated
from app.auth.identity import build_identity
from app.auth.keys import LocalKeys
from app.cli.main import main
from app.settings import Environment, Settings, SettingsError

MERCHANT = uuid.UUID("7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9")
EVERY_ACTION = set(Action)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("IDENTITY_URL", "ENVIRONMENT", "IDENTITY_ISSUER", "IDENTITY_AUDIENCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    return tmp_path


def dev_settings(data_dir: Path) -> Settings:
    return Settings(identity_url=None, data_dir=data_dir, redis_url=None)


def token_command(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["token", *args]) == 0
    return capsys.readouterr().out.strip()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("owner", EVERY_ACTION),
        ("manager", EVERY_ACTION - {Action.PRODUCT_VARIANT_SYNC}),
        ("cashier", {Action.READ, Action.STOCK_ADJUST}),
        ("kitchen", {Action.READ}),
        ("auditor", set()),
    ],
)
async def test_a_printed_token_verifies_and_gets_the_default_policy(
    data_dir: Path, capsys: pytest.CaptureFixture[str], role: str, allowed: set[Action]
) -> None:
    token = token_command(capsys, "--merchant", str(MERCHANT), "--role", role)
    identity = await build_identity(dev_settings(data_dir))

    principal = await identity.authenticate(f"Bearer {token}")
    permitted = set()
    for action in Action:
        try:
            await identity.authorize(principal, action)
            permitted.add(action)
        except Forbidden:
            pass

    assert principal.merchant_id == MERCHANT
    assert principal.role == role
    assert permitted == allowed


async def test_a_printed_service_token_may_sync_product_variants(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = token_command(capsys, "--service", "--subject", "commerce")
    identity = await build_identity(dev_settings(data_dir))

    principal = await identity.authenticate(token)
    await identity.authorize(principal, Action.PRODUCT_VARIANT_SYNC)

    assert principal.is_service is True
    assert principal.merchant_id is None
    assert principal.actor == "service:commerce"


def test_the_ttl_option_sets_the_lifetime(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = token_command(capsys, "--merchant", str(MERCHANT), "--ttl", "90")

    claims = jwt.decode(token, options={"verify_signature": False})

    assert claims["exp"] - claims["iat"] == 90
    assert claims["role"] == "owner"


async def test_a_token_from_another_key_pair_is_refused(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    stranger = load_or_create_signing_key(tmp_path_factory.mktemp("elsewhere"))
    token = stranger.issue_token(
        issuer="inventory-dev-identity",
        audience="inventory",
        subject="mallory",
        merchant_id=MERCHANT,
        role="owner",
    )
    identity = await build_identity(dev_settings(data_dir))

    with pytest.raises(Unauthenticated):
        await identity.authenticate(token)


def test_the_key_pair_is_created_once_and_kept_private(data_dir: Path) -> None:
    first = load_or_create_signing_key(data_dir)
    second = load_or_create_signing_key(data_dir)

    assert first.kid == second.kid
    assert stat.S_IMODE((data_dir / KEY_FILE).stat().st_mode) == 0o600


def test_token_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["token", "--help"])

    help_text = capsys.readouterr().out
    for option in ("--merchant", "--role", "--service", "--ttl", "--subject"):
        assert option in help_text
    assert "owner" in help_text


def test_token_refuses_when_identity_url_is_set(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_URL", "https://identity.example")

    assert main(["token", "--merchant", str(MERCHANT)]) == 2
    assert "IDENTITY_URL" in capsys.readouterr().err


def test_a_user_token_needs_a_merchant(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--role", "owner"]) == 2
    assert "--merchant" in capsys.readouterr().err


async def test_the_development_identity_is_refused_in_production(data_dir: Path) -> None:
    # The settings validator refuses this too; build_identity checks on its own.
    settings = Settings.model_construct(
        identity_url=None, environment=Environment.PRODUCTION, data_dir=data_dir
    )

    with pytest.raises(SettingsError, match="IDENTITY_URL"):
        await build_identity(settings)


async def test_the_app_serves_the_jwks_that_verifies_printed_tokens(
    data_dir: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> None:
    token = token_command(capsys, "--merchant", str(MERCHANT), "--role", "kitchen")
    settings = Settings(
        database_url=database_url, migrate_on_start=False, identity_url=None, data_dir=data_dir
    )
    app: Starlette = create_app(settings)

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get(
                "/dev-identity/jw-certs", headers={"X-Request-ID": "jwks-1"}
            )
        assert isinstance(app.state.runtime.identity.keys, LocalKeys)

    jwk = jwt.PyJWKSet.from_dict(response.json())[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, jwk, algorithms=["ES256"], audience="inventory")
    assert claims["merchant_id"] == str(MERCHANT)
    assert response.headers["X-Request-ID"] == "jwks-1"
