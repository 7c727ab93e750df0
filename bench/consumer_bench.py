"""Payment consumer throughput, end to end, beside the raw-SQL ceiling on the same database.

    python -m bench.consumer_bench [--events 20000] [--partitions 4] [--shops 64]

Produces PAYMENT_SUCCESS events (two items each: a tracked product, and an untracked
one with a three-material recipe, so four ledger rows and seven outbox rows per
payment) into a fresh topic. The recipe is entered in other units than its materials'
(0.2 l of milk kept in ml, 0.018 kg of espresso kept in g) and its third material is a
prep item (a syrup with a prep recipe of two ingredients), as a café's would be. It
then times the consumer from its first fetch to its last offset commit. The ceiling
applies the same number of fresh payments with the same SQL on raw asyncpg, one
connection per partition, in runs of --batch per transaction as the consumer applies a
partition's fetch (see bench/consumer_ceiling.py). DATABASE_URL and
KAFKA_BOOTSTRAP_SERVERS are used when set, else an embedded PostgreSQL and a local
tansu broker are started. The figures are appended to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.engine import create_engine, create_session_factory
from app.db.migrate import upgrade_to_head
from app.db.models import InventoryItem, Location, Material, Merchant, Recipe, RecipeLine, Stock
from app.domain.enums import ItemType, RecipeOwner
from app.kafka.client import create_producer, ensure_topics
from app.kafka.topics import dead_letter_topic
from app.settings import Settings
from bench import harness
from bench.consumer_ceiling import run_ceiling
from bench.consumer_instances import InstanceOptions, consume_with_instances
from bench.consumer_report import HEADING, Figures, describe_services, markdown_table
from consumers import payments

PLENTY = Decimal(10**9)


@dataclass(frozen=True)
class Shop:
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    tracked_variant: uuid.UUID
    recipe_variant: uuid.UUID


async def seed(sessions: async_sessionmaker[AsyncSession], count: int) -> list[Shop]:
    """Shops with plenty of stock: payments spread over them, as over real merchants."""
    shops: list[Shop] = []
    # Flushed table by table: the models declare no relationships to order inserts by.
    layers: list[list[Any]] = [[], [], [], []]
    for n in range(count):
        merchant = Merchant(name=f"bench {n}")
        location = Location(merchant_id=merchant.id, name="Main", is_default=True)
        tracked = InventoryItem(
            merchant_id=merchant.id,
            product_variant_id=uuid.uuid4(),
            name="Croissant",
            track_inventory=True,
        )
        latte = InventoryItem(
            merchant_id=merchant.id, product_variant_id=uuid.uuid4(), name="Latte"
        )
        materials = [
            Material(merchant_id=merchant.id, name=name, unit=unit)
            for name, unit in (("milk", "ml"), ("espresso", "g"), ("syrup", "ml"))
        ]
        # The syrup is made in the kitchen from sugar and water (neither sold directly).
        ingredients = [
            Material(merchant_id=merchant.id, name=name, unit=unit)
            for name, unit in (("sugar", "g"), ("water", "ml"))
        ]
        prep = Recipe(
            merchant_id=merchant.id,
            owner_type=RecipeOwner.PREP_ITEM,
            owner_id=materials[2].id,
            yield_quantity=Decimal(1000),
        )
        recipe = Recipe(
            merchant_id=merchant.id,
            owner_type=RecipeOwner.PRODUCT_VARIANT,
            owner_id=latte.product_variant_id,
        )
        layers[0].append(merchant)
        layers[1] += [location, tracked, latte, *materials, *ingredients, recipe, prep]
        entered = (("200", "0.2", "l"), ("18", "0.018", "kg"), ("5", None, None))
        layers[2] += [
            RecipeLine(
                merchant_id=merchant.id,
                recipe_id=recipe.id,
                material_id=m.id,
                quantity=Decimal(q),
                position=i,
                entered_quantity=None if e is None else Decimal(e),
                entered_unit=u,
            )
            for i, (m, (q, e, u)) in enumerate(zip(materials, entered, strict=True))
        ]
        layers[2] += [
            RecipeLine(
                merchant_id=merchant.id,
                recipe_id=prep.id,
                material_id=m.id,
                quantity=Decimal(q),
                position=i,
            )
            for i, (m, q) in enumerate(zip(ingredients, ("500", "600"), strict=True))
        ]
        layers[3] += [
            Stock(
                merchant_id=merchant.id,
                location_id=location.id,
                item_type=kind,
                inventory_item_id=item,
                material_id=material,
                on_hand=PLENTY,
            )
            for kind, item, material in [
                (ItemType.PRODUCT, tracked.id, None),
                *((ItemType.MATERIAL, None, m.id) for m in materials),
            ]
        ]
        shops.append(
            Shop(merchant.id, location.id, tracked.product_variant_id, latte.product_variant_id)
        )
    async with sessions.begin() as session:
        for layer in layers:
            session.add_all(layer)
            await session.flush()
    return shops


def payment_events(shops: list[Shop], count: int, rng: random.Random) -> list[tuple[bytes, bytes]]:
    """(key, value) of `count` contract PAYMENT_SUCCESS events on random shops."""
    events = []
    for _ in range(count):
        shop = rng.choice(shops)
        order = str(uuid.uuid4())
        document = {
            "eventId": str(uuid.uuid4()),
            "eventType": "PAYMENT_SUCCESS",
            "occurredAt": "2026-11-22T12:30:05.120Z",
            "merchantId": str(shop.merchant_id),
            "locationId": str(shop.location_id),
            "saleOrderId": order,
            "paymentId": f"pay_{order[:8]}",
            "items": [
                {
                    "saleOrderItemId": str(uuid.uuid4()),
                    "productVariantId": str(variant),
                    "quantity": quantity,
                }
                for variant, quantity in ((shop.tracked_variant, "1"), (shop.recipe_variant, "2"))
            ],
        }
        events.append((order.encode(), json.dumps(document).encode()))
    return events


async def produce_all(settings: Settings, topic: str, events: list[tuple[bytes, bytes]]) -> float:
    producer = create_producer(settings, linger_ms=20, max_batch_size=256 * 1024)
    await producer.start()
    try:
        started = time.perf_counter()
        for start in range(0, len(events), 1000):
            sent = [
                await producer.send(topic, value, key=key)
                for key, value in events[start : start + 1000]
            ]
            await asyncio.gather(*sent)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def ledger_rows(sessions: async_sessionmaker[AsyncSession], actor: str) -> int:
    async with sessions() as session:
        statement = select(func.count()).where(t.stock_movement.c.actor == actor)
        return int((await session.execute(statement)).scalar_one())


async def run(args: argparse.Namespace) -> Figures:
    rng = random.Random(args.seed)
    async with harness.services(describe=describe_services) as (database_url, bootstrap, described):
        await asyncio.to_thread(upgrade_to_head, database_url)
        settings = Settings(
            database_url=database_url,
            kafka_bootstrap_servers=bootstrap,
            kafka_enable_idempotence=False,
            kafka_consumer_group=f"consumer-bench-{uuid.uuid4().hex[:8]}",
        )
        engine = create_engine(database_url, pool_size=args.concurrency + 2)
        sessions = create_session_factory(engine)
        try:
            shops = await seed(sessions, args.shops)
            ceiling_events = [v for _, v in payment_events(shops, args.events, rng)]
            dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
            print(f"ceiling: {args.events} payments on raw asyncpg ...", flush=True)
            ceiling_seconds, raw_rows = await run_ceiling(
                dsn, ceiling_events, args.partitions, args.batch
            )
            topic = f"bench.payment.success.{uuid.uuid4().hex[:8]}"
            await ensure_topics(
                settings, [topic, dead_letter_topic(topic)], partitions=args.partitions
            )
            events = payment_events(shops, args.events, rng)
            produce_seconds = await produce_all(settings, topic, events)
            print(f"produced {args.events} events in {produce_seconds:.1f} s", flush=True)
            options = InstanceOptions(concurrency=args.concurrency, batch=args.batch)
            seconds, dead, _, cpu = await consume_with_instances(
                settings, topic, args.events, options, args.instances
            )
            print(
                f"consumer CPU (Python, all instances): {cpu / args.events * 1000:.2f} ms "
                "per payment",
                flush=True,
            )
            rows = await ledger_rows(sessions, payments.ACTOR_LABEL)
        finally:
            await engine.dispose()
    if rows != 4 * args.events or raw_rows != 4 * args.events or dead:
        raise SystemExit(f"wrong effect: {rows} consumer / {raw_rows} raw ledger rows")
    return Figures(
        events=args.events,
        partitions=args.partitions,
        concurrency=args.concurrency,
        batch=args.batch,
        instances=args.instances,
        shops=args.shops,
        consumer_seconds=seconds,
        ceiling_seconds=ceiling_seconds,
        produce_seconds=produce_seconds,
        services=described,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.consumer_bench", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="payments (default 20000)")
    parser.add_argument("--partitions", type=int, default=4, help="topic partitions (default 4)")
    parser.add_argument("--concurrency", type=int, default=4, help="partitions handled at once")
    parser.add_argument(
        "--batch", type=int, default=100, help="records per partition and batch (default 100)"
    )
    parser.add_argument(
        "--instances", type=int, default=1, help="consumer processes in the group (default 1)"
    )
    parser.add_argument("--shops", type=int, default=64, help="merchants the sales spread over")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the payments")
    parser.add_argument("--no-record", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    table = markdown_table(figures)
    print(table)
    if not args.no_record:
        command = "python -m bench.consumer_bench"
        print(f"recorded in {harness.append_dated_entry(HEADING, table, command=command)}")


if __name__ == "__main__":
    main()
