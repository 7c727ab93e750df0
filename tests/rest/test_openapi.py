"""GET /v1/openapi.json: every contract route, matching the router, and fuzzed by schemathesis."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import Case, GenerationMode
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.asgi import create_app
from app.auth.dev import load_or_create_signing_key
from app.services.inventory_items import InitialStock, ProductVariantUpsert, ensure_inventory_item
from app.settings import Settings
from tests.rest import seed
from tests.rest.conftest import MERCHANT_A, Api

Sessions = async_sessionmaker[AsyncSession]
CONTRACT = Path(__file__).resolve().parents[2] / "contracts" / "rest.md"
EXAMPLES_PER_OPERATION = 15
# "Schema-valid input must be accepted" cannot hold: a cursor must be one we issued and an
# amount must be > 0, which JSON Schema cannot say; those answer 400, as documented.
NOT_EXPRESSIBLE = [schemathesis.checks.positive_data_acceptance]


def contract_routes() -> set[tuple[str, str]]:
    text = CONTRACT.read_text()
    return {(m, p) for m, p in re.findall(r"\| `(GET|POST|PUT|DELETE) (/v1/[^`]+)`", text)}


def documented_routes(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}


async def test_the_document_describes_every_contract_route(api: Api) -> None:
    response = await api.client.get("/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert len(contract_routes()) == 7
    assert documented_routes(document) == contract_routes()


async def test_every_documented_operation_is_served(api: Api) -> None:
    document = (await api.client.get("/v1/openapi.json")).json()

    for method, path in documented_routes(document):
        concrete = re.sub(r"{\w+}", str(uuid.uuid4()), path)
        response = await api.client.request(method, concrete)
        # Authentication comes first: a served route answers 401, a missing one 404/405.
        assert response.status_code == 401, (method, path, response.status_code)


async def test_schemathesis_finds_no_server_errors_or_schema_violations(
    database_url: str, sessions: Sessions, tmp_path: Path
) -> None:
    # Real ids next to random ones, so success bodies are checked against the schema too.
    main = await seed.location(sessions, "Main")
    milk = await seed.material(sessions, "Milk", unit="ml")
    await seed.material_stock(sessions, main, milk, "12.5", threshold="20")
    variant = uuid.uuid4()
    await ensure_inventory_item(
        sessions,
        ProductVariantUpsert(MERCHANT_A, variant, name="Latte", track_inventory=True),
        actor=seed.actor(),
        initial_stocks=[InitialStock(main, Decimal(3))],
    )
    order = await seed.purchase_order(sessions, main, [(milk, "5", "1.25")])
    known = {"productVariantId": str(variant), "purchaseOrderId": str(order)}
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        migrate_on_start=False,
        run_relay_in_serve=False,
    )

    # Schemathesis calls are blocking and run the app on their own event loop.
    await anyio.to_thread.run_sync(_fuzz, settings, known)


def _fuzz(settings: Settings, known: dict[str, str]) -> None:
    app = create_app(settings)
    token = load_or_create_signing_key(settings.data_dir).issue_token(
        issuer=settings.identity_issuer,
        audience=settings.identity_audience,
        subject="fuzzer",
        merchant_id=MERCHANT_A,
        role="owner",
    )
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/v1/openapi.json", app)
    # Unknown query parameters are ignored by design, and the token is always sent.
    schema.config.generation.update(allow_extra_parameters=False, with_security_parameters=False)
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                cases = operation.as_strategy(generation_mode=mode)
                if operation.path_parameters and mode is GenerationMode.POSITIVE:
                    names = {p.name for p in operation.path_parameters}
                    ids = {name: value for name, value in known.items() if name in names}
                    cases |= operation.as_strategy(generation_mode=mode, path_parameters=ids)

                @given(case=cases)
                @hypothesis_settings(
                    max_examples=EXAMPLES_PER_OPERATION,
                    deadline=None,
                    database=None,
                    derandomize=True,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                def fuzz(case: Case) -> None:
                    case.call_and_validate(headers=headers, excluded_checks=NOT_EXPRESSIBLE)

                fuzz()
    finally:
        shutdown_lifespans()
