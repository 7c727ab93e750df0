"""GraphiQL and the stock board in a real browser (Debian's chromium, headless, driven
by Playwright) against `inventory dev`: the pages load only from the service itself,
GraphiQL runs a query and a subscription, and the board follows a sale live."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote

import pytest
from aiokafka import AIOKafkaProducer
from playwright.async_api import Browser, Locator, Page, Request, async_playwright, expect

from app.dev_catalog import DEMO_MERCHANT_ID, MAIN, PRODUCTS
from app.kafka import topics
from tests.fixtures.server_dirs import ServerDir
from tests.ops.dev_process import DevProcess, graphql, running_dev
from tests.web.browser import CHROMIUM, launch_options

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

# The board must show a sale within this long of the payment reaching Kafka.
LIVE_BOUND_MS = 2000
# Loading a page (scripts, the first queries) on a loaded CI machine.
PAGE_MS = 30_000


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory, server_dir: ServerDir) -> Iterator[DevProcess]:
    with running_dev(server_dir("web-dev"), tmp_path_factory.mktemp("web-logs")) as process:
        yield process


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(**launch_options())
        try:
            yield launched
        finally:
            await launched.close()


class Requests:
    """Every URL a page asked for; anything not of the service is refused (offline)."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.seen: list[str] = []
        self.sockets: list[str] = []

    def foreign(self) -> list[str]:
        socket_origin = self.origin.replace("http", "ws", 1)
        return [
            *(url for url in self.seen if not url.startswith((self.origin, "data:"))),
            *(url for url in self.sockets if not url.startswith(socket_origin)),
        ]


async def open_page(browser: Browser, dev: DevProcess, path: str) -> tuple[Page, Requests]:
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    requests = Requests(dev.http_url)

    def seen(request: Request) -> None:
        requests.seen.append(request.url)

    page.on("request", seen)
    page.on("websocket", lambda socket: requests.sockets.append(socket.url))

    async def only_the_service(route: object) -> None:
        request = route.request  # type: ignore[attr-defined]
        if request.url.startswith((dev.http_url, "data:")):
            await route.continue_()  # type: ignore[attr-defined]
        else:
            await route.abort()  # type: ignore[attr-defined]

    await page.route("**/*", only_the_service)
    await page.goto(f"{dev.http_url}{path}")
    return page, requests


def _main(dev: DevProcess) -> str:
    assert dev.state is not None
    return str(dev.state.location_ids[MAIN])


async def test_graphiql_runs_a_query_from_the_services_own_assets(
    browser: Browser, dev: DevProcess
) -> None:
    query = "query Locations { locations(first: 5) { nodes { name } } }"
    page, requests = await open_page(
        browser, dev, f"/graphql#token={dev.token}&query={quote(query)}"
    )

    await page.locator(".graphiql-execute-button").click(timeout=PAGE_MS)

    await expect(page.locator(".graphiql-response")).to_contain_text("Main Street", timeout=PAGE_MS)
    assert any(url.endswith("/static/graphiql/graphiql.min.js") for url in requests.seen)
    assert requests.foreign() == []


async def test_graphiql_runs_a_subscription_over_the_websocket(
    browser: Browser, dev: DevProcess
) -> None:
    stock_id, _ = await _stock_of(dev, "Vanilla syrup")
    subscription = (
        f'subscription Watch {{ stockChanged(locationId: "{_main(dev)}") '
        "{ stock { id onHand } movement { type deltaOnHand } } }"
    )
    page, requests = await open_page(
        browser, dev, f"/graphql#token={dev.token}&query={quote(subscription)}"
    )
    await page.locator(".graphiql-execute-button").click(timeout=PAGE_MS)
    await _until(lambda: bool(requests.sockets))

    # The server may not have registered the subscription yet when the socket opens:
    # move the stock until an event shows (each adjustment is its own event).
    response = page.locator(".graphiql-response")
    for _ in range(10):
        await graphql(
            dev,
            'mutation($id: ID!) { stockAdjust(input: {stock: {stockId: $id}, delta: "7", '
            'reason: "browser test"}) { userErrors { code } } }',
            {"id": stock_id},
        )
        if await _shows(response, '"deltaOnHand": "7"'):
            break
    await expect(response).to_contain_text('"deltaOnHand": "7"')
    assert requests.sockets == [f"ws://127.0.0.1:{dev.port}/graphql"]
    assert requests.foreign() == []


async def test_the_board_shows_the_demo_location_and_follows_a_sale_live(
    browser: Browser, dev: DevProcess
) -> None:
    page, requests = await open_page(
        browser, dev, f"/board#token={dev.token}&locationId={_main(dev)}"
    )
    await expect(page.locator("#location-name")).to_have_text("Main Street", timeout=PAGE_MS)
    await expect(page.locator("#status")).to_have_text("live", timeout=PAGE_MS)
    beans = page.locator("tr", has=page.locator("td.name", has_text="Espresso beans"))
    available = beans.locator("td.available")
    await expect(available).to_have_count(1, timeout=PAGE_MS)
    before = await available.inner_text()
    # The token left the address bar once the page kept it.
    assert "token=" not in page.url

    espresso = next(p for p in PRODUCTS if p.key == "espresso")
    await _pay(dev, _main(dev), espresso.variant_id)

    # Within the bound, with no reload; the recipe reserves 18 g of beans.
    await expect(available).not_to_have_text(before, timeout=LIVE_BOUND_MS)
    after = await available.inner_text()
    assert _quantity(before) - _quantity(after) == espresso.recipe["beans"]
    assert after.endswith(" g")
    assert requests.foreign() == []


async def test_the_board_lists_a_product_once_it_sells_out(
    browser: Browser, dev: DevProcess
) -> None:
    page, requests = await open_page(
        browser, dev, f"/board#token={dev.token}&locationId={_main(dev)}"
    )
    await expect(page.locator("#status")).to_have_text("live", timeout=PAGE_MS)
    await expect(page.locator("#sold-out li", has_text="Butter croissant")).to_have_count(0)
    stock_id, on_hand = await _stock_of(dev, "Butter croissant")

    await graphql(
        dev,
        "mutation($id: ID!, $d: Decimal!) { stockAdjust(input: {stock: {stockId: $id}, "
        'delta: $d, reason: "browser test: sold out"}) { userErrors { code } } }',
        {"id": stock_id, "d": str(-on_hand)},
    )

    await expect(page.locator("#sold-out li", has_text="Butter croissant")).to_have_count(
        1, timeout=PAGE_MS
    )
    assert requests.foreign() == []


def _quantity(shown: str) -> Decimal:
    return Decimal(shown.split(" ")[0])


async def _shows(locator: Locator, text: str) -> bool:
    try:
        await expect(locator).to_contain_text(text, timeout=3000)
    except AssertionError:
        return False
    return True


async def _stock_of(dev: DevProcess, name: str) -> tuple[str, Decimal]:
    """The id and on hand of the MAIN location's stock of the item called `name`."""
    data = await graphql(
        dev,
        "query($l: ID) { stocks(first: 50, locationId: $l) { nodes { id onHand "
        "item { ... on Material { name } ... on InventoryItem { name } } } } }",
        {"l": _main(dev)},
    )
    node = next(n for n in data["stocks"]["nodes"] if n["item"]["name"] == name)
    return node["id"], Decimal(node["onHand"])


async def _pay(dev: DevProcess, location_id: str, variant_id: uuid.UUID) -> None:
    """One PAYMENT_SUCCESS for one product, as the sale service publishes it."""
    assert dev.state is not None
    assert dev.state.bootstrap_servers
    sale_order = uuid.uuid4()
    payment = {
        "eventId": str(uuid.uuid4()),
        "eventType": "PAYMENT_SUCCESS",
        "occurredAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "merchantId": str(DEMO_MERCHANT_ID),
        "locationId": location_id,
        "saleOrderId": str(sale_order),
        "paymentId": f"pay-{sale_order.hex[:8]}",
        "items": [
            {
                "saleOrderItemId": str(uuid.uuid4()),
                "productVariantId": str(variant_id),
                "quantity": "1",
                "modifiers": [],
            }
        ],
    }
    producer = AIOKafkaProducer(
        bootstrap_servers=dev.state.bootstrap_servers, enable_idempotence=False
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            topics.PAYMENT_SUCCESS, json.dumps(payment).encode(), key=str(sale_order).encode()
        )
    finally:
        await producer.stop()


async def _until(condition: object, seconds: float = 30) -> None:
    assert callable(condition)
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 (a test's poll)
            await asyncio.sleep(0.05)
