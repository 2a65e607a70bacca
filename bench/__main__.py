"""Run every benchmark on loopback and write BENCHMARKS.md: `python -m bench [--quick]`.

The fake Bot API and feed servers run in this process; the bots under test (ours, and a bare
PTB echo bot as the floor) run as their own processes, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import os
import platform
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import factories
from bench.fake_feed import FakeFeed, fixture
from bench.storage import open_store, publisher_on, write
from bot.plumbing.rate_limits import SEND_METHODS, TelegramLimits
from bot.sandbox.bot_api import TOKEN
from bot.sandbox.bot_api import LocalBotApi as FakeTelegram
from briefings.database import Database
from briefings.facts.changes import latest_version

ROOT = Path(__file__).parent.parent
GROUPS = ["b1", "b3", "b4", "b5", "b7", "b8", "b8u"]
# The floor is stock PTB (httpx); the same echo bot on our HTTP client shows what is the
# client's doing and what is the bot's own work.
STOCK, SAME_CLIENT = "stock PTB, httpx", "PTB on our aiohttp client"
ECHO_BOTS: list[tuple[str, list[str]]] = [(STOCK, []), (SAME_CLIENT, ["--aiohttp"])]
# Sends in a reply to /forces (the chart, then the text); the echo bot's reply is one.
FORCES_SENDS = 2


@dataclass
class Sizes:
    burst: int = 2000
    # B1's bursts are taken in rounds, ours and the echo bots' in turn, and the median kept:
    # between runs of the same code on this shared machine one burst's CPU moved by 60%.
    burst_rounds: int = 3
    latency_seconds: float = 20
    broadcast_fast: int = 10_000
    broadcast_free: int = 1000
    memory_subscribers: int = 1_000_000
    b4_readers_per_second: int = 10
    feed_items: int = 100
    repeats: int = 20
    # B7: readers' /forces per second, seconds per phase, subscribers each /publish queues.
    b7_rate: int = 20
    b7_seconds: float = 15
    b7_subscribers: int = 100_000
    # B8: subscribers pushed at the free ceiling while readers send commands (per second).
    b8_subscribers: int = 10_000
    b8_readers_per_second: int = 5
    # B8u: update subscribers (/subscribe updates) one editor's change is pushed to, and
    # the seconds of that push measured at the free ceiling (B8's readers beside it).
    b8u_subscribers: int = 100_000
    b8u_push_seconds: float = 60


QUICK = Sizes(burst=50, burst_rounds=1, latency_seconds=1, broadcast_fast=200, broadcast_free=30,
              memory_subscribers=20_000, feed_items=10, repeats=2, b7_rate=10, b7_seconds=1,
              b7_subscribers=500, b8_subscribers=150, b8u_subscribers=12_000,
              b8u_push_seconds=2)  # fmt: skip


@dataclass
class Report:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    # Figures one group compares with another's in the same run (B8u with B4's).
    figures: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, figure: str, target: str, verdict: bool | None) -> None:
        mark = "n/a" if verdict is None else ("met" if verdict else "MISSED")
        self.rows.append((name, figure, target, mark))
        print(f"{name}: {figure} (target {target}: {mark})", flush=True)


def bot_env(telegram: FakeTelegram, database: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ADMIN_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.base_url,
        DATABASE_PATH=str(database), FEED_URL="http://127.0.0.1:9/feed", LOG_LEVEL="WARNING",
        USER_COMMANDS_PER_MINUTE="10000",
    )  # fmt: skip
    env.update(extra)
    return env


async def start(
    args: list[str], env: dict[str, str], checkout: Path = ROOT
) -> asyncio.subprocess.Process:
    """A process of `python <args>` run from checkout (another one's with its own .venv)."""
    python = sys.executable if checkout == ROOT else str(checkout / ".venv" / "bin" / "python")
    command = [python, *args]
    if profile_dir := os.environ.get("BENCH_PROFILE_DIR"):
        # Profile each bot process with cProfile (written when it exits on SIGTERM).
        out = Path(profile_dir) / f"{args[1]}-{time.monotonic_ns()}.prof"
        command = [python, "-m", "cProfile", "-o", str(out), *args]
    return await asyncio.create_subprocess_exec(
        *command, env=env, cwd=checkout,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def polling(telegram: FakeTelegram) -> None:
    """Wait until a freshly started bot is about to poll (calls cleared before its start)."""
    await telegram.wait_for(lambda: telegram.calls_of("deleteWebhook"), 60)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Burst:
    rate: float  # replies per second
    cpu_ms: float  # the bot's CPU per reply

    def figure(self) -> str:
        return f"{self.rate:.0f} replies/s, {self.cpu_ms:.2f} ms CPU per reply"

    @staticmethod
    def median(bursts: list[Burst]) -> Burst:
        """Each figure's median over rounds of the same burst."""
        return Burst(statistics.median(b.rate for b in bursts),
                     statistics.median(b.cpu_ms for b in bursts))  # fmt: skip


async def burst(
    telegram: FakeTelegram, bot: asyncio.subprocess.Process, text: str, n: int, first_chat: int
) -> Burst:
    """Replies per second to n updates offered at once, and the bot's CPU per reply."""
    chats = range(first_chat, first_chat + n)
    cpu_before, started = cpu_seconds(bot.pid), time.monotonic()
    for chat_id in chats:
        await telegram.push_update(factories.message(text, factories.private_chat(chat_id)))
    await telegram.wait_for(lambda: telegram.accepted >= n, 300)
    elapsed, cpu = time.monotonic() - started, cpu_seconds(bot.pid) - cpu_before
    return Burst(n / elapsed, cpu / n * 1000)


@dataclass
class Contestant:
    """A bot in B1's rounds: its own fake, its process, the commands it is burst with, and
    the bursts taken so far by command."""

    label: str
    telegram: FakeTelegram
    process: asyncio.subprocess.Process
    texts: tuple[str, ...]
    taken: dict[str, list[Burst]] = field(default_factory=dict)

    @classmethod
    async def started(
        cls, label: str, args: list[str], options: list[str], texts: tuple[str, ...],
        tmp: Path | None = None, checkout: Path = ROOT,
    ) -> Contestant:  # fmt: skip
        """A bot started on a fake of its own, once it polls: an echo bot (told the fake's
        address), or a checkout's `-m bot run` (its settings in the environment)."""
        telegram = FakeTelegram()
        telegram.free_per_second = None
        await telegram.start()
        if tmp is None:
            process = await start([*args, telegram.base_url, *options], os.environ.copy())
        else:
            env = bot_env(telegram, tmp / f"b1-{len(list(tmp.iterdir()))}.db",
                          FREE_SENDS_PER_SECOND="0")  # fmt: skip
            process = await start(args, env, checkout)
        await polling(telegram)
        if tmp is not None:  # the first /forces draws the chart: not in a burst, as ours
            await telegram.push_update(factories.message("/forces", factories.private_chat(4242)))
            await telegram.wait_for(lambda: telegram.sent(4242), 60)
        return cls(label, telegram, process, texts)

    async def take_bursts(self, n: int, chats: Iterator[int]) -> None:
        for text in self.texts:
            self.telegram.calls.clear()
            self.telegram.accepted = 0
            measured = await burst(self.telegram, self.process, text, n, next(chats))
            self.taken.setdefault(text, []).append(measured)

    def medians(self) -> dict[str, Burst]:
        return {text: Burst.median(bursts) for text, bursts in self.taken.items()}

    async def stop(self) -> None:
        await stop(self.process)
        await self.telegram.stop()


async def fake_ceiling(telegram: FakeTelegram, n: int) -> float:
    """sendMessage calls per second the fake serves to a load generator in its own process."""
    url = f"{telegram.base_url}{TOKEN}/sendMessage"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.hammer", url, str(n), "50", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, _ = await asyncio.wait_for(process.communicate(), 300)
    return float(stdout.decode().strip())


async def b1_b2_b6(
    report: Report, sizes: Sizes, tmp: Path, other_checkouts: Sequence[Path] = ()
) -> None:
    # B6 first: the time from spawning the process to the first reply.
    telegram = FakeTelegram()
    # These measure the bot's own CPU and latency at rates far beyond Telegram's 30 sends a
    # second: the fake's limits are off for them.
    telegram.free_per_second = None
    await telegram.start()
    try:
        # A new reader's first command is /start: it must not wait for the chart machinery.
        await telegram.push_update(factories.message("/start"))
        spawned = time.monotonic()
        # The bot paces nothing either (FREE_SENDS_PER_SECOND=0).
        env = bot_env(telegram, tmp / "b1.db", FREE_SENDS_PER_SECOND="0")
        ours = await start(["-m", "bot", "run"], env)
        await telegram.wait_for(lambda: telegram.sent(), 60)
        cold = time.monotonic() - spawned
        report.add("B6 cold start to first reply (/start)", f"{cold:.2f} s", "< 1 s", cold < 1)
        # Then the first /forces, which imports matplotlib and draws the chart.
        asked = time.monotonic()
        await telegram.push_update(factories.message("/forces", factories.private_chat(4242)))
        await telegram.wait_for(lambda: telegram.sent(4242), 60)
        first_chart = time.monotonic() - asked
        report.add("B6 first /forces after start (chart drawn)", f"{first_chart:.2f} s", "", None)

        # The echo bots (and another checkout's bot, if asked) run beside ours, each on a
        # fake of its own, so that every bot's bursts are taken in turn, round after round,
        # on the machine as it is then.
        ours_here = Contestant("ours", telegram, ours, ("/forces", "/brief"))
        echo_args = ["-m", "bench.echo_bot", TOKEN]
        beside = [
            await Contestant.started(label, echo_args, options, ("/forces",))
            for label, options in ECHO_BOTS
        ]
        for checkout in other_checkouts:
            beside.append(await Contestant.started(
                f"ours at {checkout}", ["-m", "bot", "run"], [], ("/forces", "/brief"),
                tmp=tmp, checkout=checkout,
            ))  # fmt: skip
        # Each burst comes from readers new to the bot (none it has met), as a burst of
        # readers sent by a link would be.
        chats = itertools.count(10_000, sizes.burst)
        for _ in range(sizes.burst_rounds):
            for contestant in (ours_here, *beside):
                await contestant.take_bursts(sizes.burst, chats)
        rounds = f" (median of {sizes.burst_rounds} rounds)" if sizes.burst_rounds > 1 else ""
        bursts = ours_here.medians()
        for text, measured in bursts.items():
            report.add(f"B1 {text} burst of {sizes.burst}{rounds}", measured.figure(), "", None)
        ours_rate = bursts["/forces"].rate

        # B2: a steady 50 updates per second; latency from offer to reply.
        telegram.calls.clear()
        telegram.accepted = 0
        offered: dict[int, float] = {}
        count = int(sizes.latency_seconds * 50)
        for i in range(count):
            chat_id = 50_000 + i
            offered[chat_id] = time.monotonic()
            await telegram.push_update(
                factories.message("/forces", factories.private_chat(chat_id))
            )
            await asyncio.sleep(0.02)  # pacing the load generator, not synchronisation
        await telegram.wait_for(lambda: telegram.accepted >= count, 60)
        latencies = sorted(
            (call.at - offered[int(call.params["chat_id"])]) * 1000 for call in telegram.sent()
        )
        p50 = statistics.median(latencies)
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        report.add("B2 latency at 50 updates/s", f"p50 {p50:.1f} ms, p99 {p99:.1f} ms",
                   "p99 < 50 ms", p99 < 50)  # fmt: skip
        await stop(ours)
        floors: dict[str, Burst] = {}
        for contestant in beside:
            await contestant.stop()
            for text, measured in contestant.medians().items():
                if contestant.label in dict(ECHO_BOTS):
                    floors[contestant.label] = measured
                    name = f"B1 echo bot ({contestant.label}), same bursts{rounds}"
                else:
                    name = f"B1 {text} burst of {sizes.burst}{rounds}, {contestant.label}"
                report.add(name, measured.figure(), "", None)
        # The target is like for like: CPU per send against the echo bot on the same client.
        # A reply to /forces is two sends (the chart, then the text), the echo's is one.
        same = floors[SAME_CLIENT]
        per_send = bursts["/forces"].cpu_ms / FORCES_SENDS
        report.add(
            "B1 CPU per send, ours / echo on the same client (/forces: two sends a reply)",
            f"{per_send / same.cpu_ms:.2f} ({per_send:.2f} ms against {same.cpu_ms:.2f} ms)",
            "<= 1.0",
            per_send <= same.cpu_ms,
        )
        # Replies a second against the echo's: information (a /forces reply is two sends).
        rate = floors[STOCK].rate
        report.add("B1 ratio ours / echo (/forces)", f"{ours_rate / rate:.2f}", "", None)
        report.add("B1 ratio ours / echo on the same client (/forces: two sends)",
                   f"{ours_rate / same.rate:.2f}", "", None)  # fmt: skip
        report.add("B1 ratio ours / echo on the same client (/brief: one send, as the echo's)",
                   f"{bursts['/brief'].rate / same.rate:.2f}", "", None)  # fmt: skip
        ceiling = await fake_ceiling(telegram, 2 * sizes.burst)
        # The fastest any bot goes in this run: a burst, or B3's 1,000 pushes a second.
        fastest = max(ours_rate, *(floor.rate for floor in floors.values()), 1000)
        report.add(
            "Fake Bot API ceiling (sendMessage)",
            f"{ceiling:.0f} calls/s",
            f"> 2 x {fastest:.0f} (the fastest bot here)",
            ceiling > 2 * fastest,
        )
    finally:
        await telegram.stop()


async def add_subscribers(db: Database, count: int) -> None:
    """count subscribers, chat ids from 1,000,000 up, in one transaction."""
    async with db.transaction():
        await db.executemany(
            "INSERT INTO subscribers (chat_id, chat_type, subscribed_at, updated_at)"
            " VALUES (?, 'private', 'now', 'now')",
            ((1_000_000 + i,) for i in range(count)),
        )


async def primed(database: Path, feed: FakeFeed, subscribers: int) -> None:
    """Subscribers, and the feed polled once: the bot's own first poll finds no news."""
    store = await open_store(database)
    publisher = publisher_on(store.db, feed.url)
    try:
        await add_subscribers(store.db, subscribers)
        await publisher.poll_feed()
    finally:
        await publisher.ingest.close()
        await store.db.close()


async def prepared(database: Path, feed: FakeFeed, subscribers: int) -> float:
    """Subscribers and a primed feed; return the seconds it took to write the outbox rows."""
    await primed(database, feed, subscribers)
    feed.body = fixture("bismarck-feed-v2.xml")
    store = await open_store(database)
    publisher = publisher_on(store.db, feed.url)
    try:
        started = time.monotonic()
        await publisher.poll_feed()  # the new cable, then its outbox rows in chunks
        return time.monotonic() - started
    finally:
        await publisher.ingest.close()
        await store.db.close()


async def broadcast(report: Report, tmp: Path, name: str, subscribers: int, rate: int) -> None:
    telegram, feed = FakeTelegram(), FakeFeed()
    await telegram.start()
    await feed.start()
    # The fake enforces Telegram's limits: 30 free sends a second, or (at a higher rate,
    # which the bot sends only as paid broadcasts) a paid budget of that rate.
    paid = rate > 30
    if paid:
        telegram.paid_per_second = rate
    try:
        database = tmp / f"{name}.db"
        await prepared(database, feed, subscribers)
        env = bot_env(telegram, database, BROADCAST_RATE=str(rate), FEED_URL=feed.url,
                      PAID_BROADCAST=str(paid).lower())  # fmt: skip
        ours = await start(["-m", "bot", "run"], env)
        await telegram.wait_for(lambda: telegram.accepted >= 1, 60)
        cpu_before = cpu_seconds(ours.pid)
        await telegram.wait_for(lambda: telegram.accepted >= subscribers, 3600)
        cpu_ms = (cpu_seconds(ours.pid) - cpu_before) / max(1, subscribers - 1) * 1000
        sends = [call.at for call in telegram.delivered()]
        achieved = (len(sends) - 1) / (sends[-1] - sends[0])
        await stop(ours)
        met = achieved / rate >= 0.9 and len(sends) == subscribers
        figure = (
            f"{achieved:.0f}/s = {achieved / rate:.2f} of the ceiling, "
            f"{telegram.throttled} 429s answered, {len(sends)} delivered, "
            f"{cpu_ms:.2f} ms bot CPU per push"
        )
        report.add(f"B3 broadcast {subscribers:,} at {rate}/s", figure, ">= 0.9, no loss", met)
    finally:
        await telegram.stop()
        await feed.stop()


async def limiter_per_reply(report: Report) -> None:
    """The rate limiter's own cost per reply, each counted in Telegram's second under a limit
    the burst never reaches (measured in this process)."""
    limits, replies = TelegramLimits(per_second=1_000_000), 3000

    async def send() -> bool:
        return True

    started = time.perf_counter()
    for chat_id in range(replies):
        await limits.process_request(send, (), {}, "sendMessage", {"chat_id": chat_id}, None)
    cost = (time.perf_counter() - started) / replies * 1e6
    report.add(f"B1 rate limiter, {replies:,} replies in a second", f"{cost:.1f} µs per reply",
               "", None)  # fmt: skip


async def b5(report: Report, sizes: Sizes, tmp: Path) -> None:
    feed = FakeFeed()
    await feed.start()
    template = fixture("bismarck-feed-v2.xml").decode()
    head, _, rest = template.partition("<item>")
    item = "<item>" + rest.split("</item>")[0] + "</item>"
    items = "".join(item.replace("fixture-cable-c", f"cable-{i}") for i in range(sizes.feed_items))
    feed.body = (head + items + "</channel></rss>").encode()
    store = await open_store(tmp / "b5.db")
    publisher = publisher_on(store.db, feed.url)
    try:
        await publisher.poll_feed()  # primes: all items known from here on
        full, unchanged = [], []
        for _ in range(sizes.repeats):
            await write(store.db, "UPDATE feed_state SET etag = NULL")  # force a full fetch
            started = time.perf_counter()
            await publisher.poll_feed()
            full.append(time.perf_counter() - started)
            started = time.perf_counter()
            await publisher.poll_feed()
            unchanged.append(time.perf_counter() - started)
        f, u = statistics.median(full) * 1000, statistics.median(unchanged) * 1000
        report.add(f"B5 fetch, parse and diff a {sizes.feed_items}-item feed", f"{f:.1f} ms",
                   "< 100 ms", f < 100)  # fmt: skip
        report.add("B5 unchanged poll (304)", f"{u:.2f} ms", "< 5 ms", u < 5)
    finally:
        await publisher.ingest.close()
        await store.db.close()
        await feed.stop()


def many_items_feed(count: int) -> bytes:
    """The v2 fixture feed with count items, each its own cable."""
    template = fixture("bismarck-feed-v2.xml").decode()
    head, _, rest = template.partition("<item>")
    item = "<item>" + rest.split("</item>")[0] + "</item>"
    items = "".join(item.replace("fixture-cable-c", f"cable-{i}") for i in range(count))
    return (head + items + "</channel></rss>").encode()


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def readers_forces(
    telegram: FakeTelegram, rate: int, seconds: float, first_chat: int, running: asyncio.Event
) -> list[float]:
    """Readers send /forces at rate per second, each from its own chat; return each one's
    milliseconds from offer to the briefing's text."""
    offered: dict[int, float] = {}
    count = int(rate * seconds)
    for i in range(count):
        if not running.is_set():
            break
        chat_id = first_chat + i
        offered[chat_id] = time.monotonic()
        await telegram.push_update(factories.message("/forces", factories.private_chat(chat_id)))
        await asyncio.sleep(1 / rate)  # pacing the load generator, not synchronisation

    def replied() -> list[float] | None:
        firsts: dict[int, float] = {}
        for call in telegram.sent():
            chat_id = int(call.params["chat_id"])
            if chat_id in offered and chat_id not in firsts:
                firsts[chat_id] = call.at
        if len(firsts) < len(offered):
            return None
        return [(firsts[chat] - offered[chat]) * 1000 for chat in offered]

    return await telegram.wait_for(replied, 120)


PUBLISHER_ID = factories.EDITOR_ID + 1


async def editor_says(telegram: FakeTelegram, editor_id: int, command: str) -> None:
    """An editor's command in their private chat; return once the bot has answered it."""
    start = len(telegram.calls)
    sender = factories.user(editor_id, "Editor")
    await telegram.push_update(
        factories.message(command, chat=factories.private_chat(editor_id), sender=sender)
    )

    def answered() -> bool:
        # Only the calls since the command: the fake (in this process) must not slow down as
        # the run's calls pile up, or the readers' latency would measure this loop.
        return any(int(call.params.get("chat_id", 0)) == editor_id
                   for call in telegram.calls[start:] if call.method == "sendMessage")  # fmt: skip

    await telegram.wait_for(answered, 120)


async def editor_changes(telegram: FakeTelegram, running: asyncio.Event) -> int:
    """One editor changes a fact again and again while running; return the changes made."""
    changes = 0
    texts = ("a heavily fortified zone", "a fortified zone")
    while running.is_set():
        await editor_says(
            telegram, factories.EDITOR_ID, f"/set fortified_zone text: {texts[changes % 2]}"
        )
        changes += 1
    return changes


async def editor_publishes(telegram: FakeTelegram, running: asyncio.Event) -> int:
    """Another publishes a new cable every second (each queues a push to every subscriber:
    one outbox write of them all); return the cables published."""
    published = 0
    while running.is_set():
        started = time.monotonic()
        await editor_says(
            telegram, PUBLISHER_ID,
            f"/publish https://thebismarckcables.substack.com/p/cable-{published}",
        )  # fmt: skip
        published += 1
        await asyncio.sleep(max(0.0, 1 - (time.monotonic() - started)))  # pacing, as above
    return published


async def b7(report: Report, sizes: Sizes, tmp: Path) -> None:
    """Readers' /forces p99 on an idle bot, then while an editor changes facts in a loop and
    publishes cables to a large subscriber list (each an outbox write of every subscriber)."""
    telegram, feed = FakeTelegram(), FakeFeed()
    telegram.free_per_second = None  # readers' latency, not Telegram's ceiling, is measured
    await telegram.start()
    await feed.start()
    feed_items = int(sizes.b7_seconds) + 5
    try:
        database = tmp / "b7.db"
        await primed(database, feed, sizes.b7_subscribers)
        env = bot_env(telegram, database, FEED_URL=feed.url, BROADCAST_RATE="1",
                      FREE_SENDS_PER_SECOND="0",
                      ADMIN_IDS=f"{factories.EDITOR_ID},{PUBLISHER_ID}")  # fmt: skip
        asked = feed.requests
        ours = await start(["-m", "bot", "run"], env)
        await polling(telegram)
        # The items the editor publishes, put in the feed once the bot's first poll has been
        # answered: found by that poll, all of them would go to every subscriber meanwhile.
        await feed.wait_for_requests(asked + 1)
        feed.body = many_items_feed(feed_items)
        # Warm up: the chart drawn and uploaded, templates compiled.
        await readers_forces(telegram, sizes.b7_rate, 1, 90_000, _set(asyncio.Event()))
        idle = await readers_forces(
            telegram, sizes.b7_rate, sizes.b7_seconds, 60_000, _set(asyncio.Event())
        )
        running = _set(asyncio.Event())
        editing = asyncio.create_task(editor_changes(telegram, running))
        publishing = asyncio.create_task(editor_publishes(telegram, running))
        busy = await readers_forces(telegram, sizes.b7_rate, sizes.b7_seconds, 70_000, running)
        running.clear()
        changes, publishes = await editing, await publishing
        await stop(ours)
        idle_p99, busy_p99 = p99(idle), p99(busy)
        report.add("B7 /forces p99, idle bot", f"{idle_p99:.1f} ms ({len(idle)} readers)", "",
                   None)  # fmt: skip
        report.add(
            "B7 /forces p99 beside an editor's changes and outbox writes",
            f"{busy_p99:.1f} ms ({len(busy)} readers; {changes} changes, {publishes} cables"
            f" x {sizes.b7_subscribers:,} outbox rows)",
            "< 2 x idle and < 50 ms",
            busy_p99 < 2 * idle_p99 and busy_p99 < 50,
        )
    finally:
        await telegram.stop()
        await feed.stop()


async def b4(report: Report, sizes: Sizes, tmp: Path) -> None:
    """A million subscribers: the bot writes a new cable's outbox rows while readers ask for
    /forces, then delivers it as a paid broadcast; the write's time, readers' p99 meanwhile,
    and the bot's peak RSS once the delivery is under way."""
    telegram, feed = FakeTelegram(), FakeFeed()
    telegram.paid_per_second = 1000
    await telegram.start()
    await feed.start()
    subscribers = sizes.memory_subscribers
    try:
        database = tmp / "b4.db"
        await primed(database, feed, subscribers)
        feed.pages["/p/b4-cable"] = (
            b'<html><head><meta property="og:title" content="A cable for a million">'
            b'<meta property="og:description" content="Its teaser."></head></html>'
        )
        env = bot_env(telegram, database, FEED_URL=feed.url, BROADCAST_RATE="1000",
                      PAID_BROADCAST="true", ADMIN_IDS=str(PUBLISHER_ID))  # fmt: skip
        ours = await start(["-m", "bot", "run"], env)
        await polling(telegram)
        await readers_forces(telegram, 5, 1, 90_000, _set(asyncio.Event()))  # warm: the chart
        running = _set(asyncio.Event())
        readers = asyncio.create_task(
            readers_forces(telegram, sizes.b4_readers_per_second, 600, 70_000, running)
        )
        started = time.monotonic()
        # The editor's reply comes once every row is written.
        await editor_says(telegram, PUBLISHER_ID, f"/publish {feed.page_url('/p/b4-cable')}")
        write_seconds = time.monotonic() - started
        running.clear()
        latencies = await readers
        delivered = min(subscribers, 20_000)
        await telegram.wait_for(lambda: telegram.paid_sent >= delivered, 300)
        rss = peak_rss_mb(ours.pid)
        await stop(ours)
    finally:
        await telegram.stop()
        await feed.stop()
    report.figures.update(b4_row_us=write_seconds / subscribers * 1e6, b4_rss_mb=rss)
    report.add(f"B4 outbox rows for {subscribers:,} written by the bot",
               f"{write_seconds:.2f} s", "< 10 s", write_seconds < 10)  # fmt: skip
    readers_p99 = p99(latencies)
    report.add("B4 readers' /forces p99 while the rows are written",
               f"{readers_p99:.1f} ms ({len(latencies)} readers)", "< 50 ms",
               readers_p99 < 50)  # fmt: skip
    report.add(f"B4 peak RSS, {subscribers:,} queued, {delivered:,} delivered",
               f"{rss:.0f} MB", "< 250 MB", rss < 250)  # fmt: skip


B8_COMMANDS = ["/forces", "/brief", "/claims", "/calculus", "/start", "/help"]
FREE_CEILING = 30


async def offer_commands(
    telegram: FakeTelegram, rate: int, offered: dict[int, float], done: Callable[[], bool]
) -> None:
    """Readers send B8's commands at rate per second, each from its own chat (ids from
    500,001 up), until done(); offered gets each one's chat and when it was sent."""
    chat_id = 500_000
    while not done():
        chat_id += 1
        text = B8_COMMANDS[chat_id % len(B8_COMMANDS)]
        offered[chat_id] = time.monotonic()
        await telegram.push_update(factories.message(text, factories.private_chat(chat_id)))
        await asyncio.sleep(1 / rate)  # pacing the load generator, not synchronisation


async def b8(report: Report, sizes: Sizes, tmp: Path, timeline: Path) -> None:
    """A push at the free ceiling (the fake enforcing 30 sends a second in all) while readers
    send commands: readers' latency, and the push's share of what readers leave."""
    telegram, feed = FakeTelegram(), FakeFeed()
    await telegram.start()
    await feed.start()
    subscribers = sizes.b8_subscribers
    pushed_chats = range(1_000_000, 1_000_000 + subscribers)
    try:
        database = tmp / "b8.db"
        await prepared(database, feed, subscribers)
        env = bot_env(telegram, database, BROADCAST_RATE=str(FREE_CEILING), FEED_URL=feed.url)
        ours = await start(["-m", "bot", "run"], env)

        def pushes() -> int:
            return sum(1 for c in telegram.delivered() if int(c.params["chat_id"]) in pushed_chats)

        await telegram.wait_for(lambda: pushes() >= 1, 60)
        offered: dict[int, float] = {}
        await offer_commands(telegram, sizes.b8_readers_per_second, offered,
                             lambda: pushes() >= subscribers)  # fmt: skip
        await telegram.wait_for(
            lambda: all(telegram.sent(c) for c in list(offered)[-5:]), 60
        )  # the last readers answered too
        await stop(ours)
    finally:
        await telegram.stop()
        await feed.stop()

    accepted = [
        c for c in telegram.calls if c.method in SEND_METHODS and c.params.get("_accepted")
    ]
    replies = [c for c in accepted if int(c.params["chat_id"]) in offered]
    pushed = [c for c in accepted if int(c.params["chat_id"]) in pushed_chats]
    first_reply: dict[int, float] = {}
    for call in replies:
        first_reply.setdefault(int(call.params["chat_id"]), call.at)
    latencies = sorted((first_reply[c] - offered[c]) * 1000 for c in first_reply)
    if os.environ.get("BENCH_DEBUG"):
        slow = sorted(first_reply, key=lambda c: offered[c] - first_reply[c])[:5]
        for c in slow:
            print(
                B8_COMMANDS[c % len(B8_COMMANDS)],
                offered[c] - pushed[0].at,
                first_reply[c] - offered[c],
            )
    lost = len(offered) - len(first_reply)
    reader_429s = sum(n for c, n in telegram.throttled_chats.items() if c in offered)
    start_at, end_at = pushed[0].at, pushed[-1].at
    duration = end_at - start_at
    push_rate = (len(pushed) - 1) / duration
    reply_rate = sum(1 for c in replies if start_at <= c.at <= end_at) / duration
    share = push_rate / (FREE_CEILING - reply_rate)
    readers_p99 = p99(latencies)
    report.add(
        f"B8 readers during a {subscribers:,} push at the free ceiling",
        f"p99 {readers_p99:.0f} ms, p50 {statistics.median(latencies):.0f} ms,"
        f" {len(offered)} commands, {lost} unanswered, {reader_429s} 429s met",
        "p99 < 1 s, none lost, no 429",
        readers_p99 < 1000 and lost == 0 and reader_429s == 0,
    )
    report.add(
        "B8 push rate beside them",
        f"{push_rate:.1f}/s pushes + {reply_rate:.1f}/s replies = {share:.2f} of what readers"
        f" leave ({FREE_CEILING} - {reply_rate:.1f})",
        ">= 0.9",
        share >= 0.9,
    )
    draw_timeline(timeline, start_at, pushed, replies, first_reply, offered)
    report.add("B8 timeline", f"[{timeline.name}]({timeline.name})", "", None)


UPDATE_SUBSCRIBERS_FROM = 1_000_000


async def add_update_subscribers(db: Database, count: int) -> None:
    """count chats that sent `/subscribe updates` now (UpdatePushes.start_from_now: nothing
    from before), chat ids from 1,000,000 up, in one transaction."""
    since = await latest_version(db)
    async with db.transaction():
        await db.executemany(
            "INSERT INTO subscribers (chat_id, chat_type, subscribed_at, updated_at, updates,"
            " updates_from) VALUES (?, 'private', 'now', 'now', 1, ?)",
            ((UPDATE_SUBSCRIBERS_FROM + i, since) for i in range(count)),
        )


@dataclass
class RowsWritten:
    """When the bot's update rows showed in the outbox, as seen from another connection."""

    first_at: float  # the first chunk's commit
    first_rows: int  # its rows
    done_at: float  # the last chunk's commit

    def row_seconds(self, total: int) -> float | None:
        """Seconds a row, over the chunks after the first (whose start is not seen)."""
        if total <= self.first_rows:
            return None
        return (self.done_at - self.first_at) / (total - self.first_rows)


async def watch_rows(database: Path, total: int) -> RowsWritten:
    """Wait until total new outbox rows are committed, looking every 5 ms (a read of the
    newest row id: the bot's writes never wait for it, in WAL mode)."""
    reader = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:

        def newest() -> int:
            return int(reader.execute("SELECT MAX(id) FROM outbox").fetchone()[0] or 0)

        baseline, first = newest(), None
        while True:
            rows, at = newest() - baseline, time.monotonic()
            if rows and first is None:
                first = (at, rows)
            if rows >= total:
                assert first is not None
                return RowsWritten(first[0], first[1], at)
            await asyncio.sleep(0.005)  # polling another process's database: no event
    finally:
        reader.close()


async def b8u(report: Report, sizes: Sizes, tmp: Path) -> None:
    """An update push (issue 26) to every `/subscribe updates` chat, at the free ceiling,
    while readers send B8's commands: one editor's change settles, the bot's update job
    writes a row for each chat (in chunks, as a cable's), then pushes for a window of
    b8u_push_seconds. The rows' write against B4's (time a row, readers meanwhile, peak
    RSS), and readers' latency during the push against B8's targets."""
    telegram, feed = FakeTelegram(), FakeFeed()
    await telegram.start()
    await feed.start()
    subscribers = sizes.b8u_subscribers
    pushed_chats = range(UPDATE_SUBSCRIBERS_FROM, UPDATE_SUBSCRIBERS_FROM + subscribers)
    try:
        database = tmp / "b8u.db"
        await primed(database, feed, 0)
        store = await open_store(database)
        try:
            await add_update_subscribers(store.db, subscribers)
        finally:
            await store.db.close()
        # The quiet period is 1 s: the change settles by the update job's next run (every
        # UPDATE_CHECK_SECONDS, here 1 s, not the 30 s default), which writes the rows.
        env = bot_env(telegram, database, BROADCAST_RATE=str(FREE_CEILING), FEED_URL=feed.url,
                      UPDATE_QUIET_SECONDS="1", UPDATE_CHECK_SECONDS="1",
                      ADMIN_IDS=str(factories.EDITOR_ID))  # fmt: skip
        ours = await start(["-m", "bot", "run"], env)
        await polling(telegram)
        await readers_forces(telegram, 5, 1, 90_000, _set(asyncio.Event()))  # warm: the chart
        pushed_from = len(telegram.calls)

        def pushes() -> list[Any]:
            return [c for c in telegram.calls[pushed_from:] if c.method in SEND_METHODS
                    and c.params.get("_accepted")
                    and int(c.params["chat_id"]) in pushed_chats]  # fmt: skip

        offered: dict[int, float] = {}
        window_over = asyncio.Event()
        readers = asyncio.create_task(
            offer_commands(telegram, sizes.b8_readers_per_second, offered, window_over.is_set)
        )
        await editor_says(
            telegram, factories.EDITOR_ID, "/set fortified_zone text: a fortified zone"
        )
        written = await watch_rows(database, subscribers)
        rss_written = peak_rss_mb(ours.pid)
        await telegram.wait_for(pushes, 60)
        await asyncio.sleep(sizes.b8u_push_seconds)  # the window measured, not synchronisation
        window_over.set()
        await readers
        await telegram.wait_for(lambda: all(telegram.sent(c) for c in list(offered)[-5:]), 60)
        rss = peak_rss_mb(ours.pid)
        await stop(ours)
    finally:
        await telegram.stop()
        await feed.stop()

    pushed = pushes()
    first_reply: dict[int, float] = {}
    replies = []
    for call in telegram.calls[pushed_from:]:
        chat = int(call.params.get("chat_id", 0))
        if call.method in SEND_METHODS and call.params.get("_accepted") and chat in offered:
            first_reply.setdefault(chat, call.at)
            replies.append(call)

    def waits(start_at: float, end_at: float) -> list[float]:
        return [(first_reply[c] - offered[c]) * 1000 for c in first_reply
                if start_at <= offered[c] <= end_at]  # fmt: skip

    row_seconds = written.row_seconds(subscribers)
    if row_seconds is None:
        write_figure, row_met, write_started = "n/a (one chunk: its start is not seen)", None, 0.0
    else:
        write_seconds = row_seconds * subscribers
        write_started = written.done_at - write_seconds
        write_figure = (
            f"{write_seconds:.2f} s, {row_seconds * 1e6:.1f} µs a row (measured"
            f" over the {subscribers - written.first_rows:,} after the first chunk)"
        )
        row_met = row_seconds * 1e6 < 10
        if "b4_row_us" in report.figures:
            b4_row = report.figures["b4_row_us"]
            write_figure += (
                f"; B4's cable rows {b4_row:.1f} µs a row: {row_seconds * 1e6 / b4_row:.1f}x"
            )
    report.add(f"B8u update rows for {subscribers:,} written by the bot", write_figure,
               "< 10 µs a row (B4's 10 s a million)", row_met)  # fmt: skip
    before, during = waits(0, write_started), waits(write_started, written.done_at)
    before_p99 = f"p99 {p99(before):.0f} ms" if before else "none"
    report.add(
        "B8u readers while the update rows are written",
        f"p99 {p99(during):.0f} ms ({len(during)} readers; before the job: {before_p99},"
        f" {len(before)} readers)" if during else "none offered",
        "< 50 ms (B4's)",
        p99(during) < 50 if during else None,
    )  # fmt: skip
    rss_figure = f"{rss:.0f} MB ({rss_written:.0f} MB once the rows were written)"
    if "b4_rss_mb" in report.figures:
        b4_rss = report.figures["b4_rss_mb"]
        rss_figure += f"; B4's {b4_rss:.0f} MB: {rss / b4_rss:.2f}x"
    report.add(f"B8u peak RSS, {subscribers:,} update rows queued, {len(pushed):,} pushed",
               rss_figure, "< 250 MB (B4's)", rss < 250)  # fmt: skip

    start_at, end_at = pushed[0].at, pushed[-1].at
    latencies = waits(start_at, end_at)
    lost = len(offered) - len(first_reply)
    reader_429s = sum(n for c, n in telegram.throttled_chats.items() if c in offered)
    duration = end_at - start_at
    push_rate = (len(pushed) - 1) / duration
    reply_rate = sum(1 for c in replies if start_at <= c.at <= end_at) / duration
    share = push_rate / (FREE_CEILING - reply_rate)
    report.add(
        f"B8u readers during the update push to {subscribers:,} at the free ceiling",
        f"p99 {p99(latencies):.0f} ms, p50 {statistics.median(latencies):.0f} ms,"
        f" {len(latencies)} commands in {duration:.0f} s, {lost} unanswered,"
        f" {reader_429s} 429s met",
        "p99 < 1 s, none lost, no 429 (B8's)",
        p99(latencies) < 1000 and lost == 0 and reader_429s == 0,
    )
    report.add(
        "B8u update push rate beside them",
        f"{push_rate:.1f}/s pushes + {reply_rate:.1f}/s replies = {share:.2f} of what readers"
        f" leave ({FREE_CEILING} - {reply_rate:.1f})",
        ">= 0.9 (B8's)",
        share >= 0.9,
    )


def draw_timeline(
    path: Path, start_at: float, pushed: list[Any], replies: list[Any],
    first_reply: dict[int, float], offered: dict[int, float],
) -> None:  # fmt: skip
    """Sends a second (pushes against replies) and readers' latency, over the push."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    def per_second(calls: list[Any]) -> list[int]:
        counts: dict[int, int] = {}
        for call in calls:
            counts[int(call.at - start_at)] = counts.get(int(call.at - start_at), 0) + 1
        last = max(counts, default=0)
        return [counts.get(second, 0) for second in range(last + 1)]

    push_counts, reply_counts = per_second(pushed), per_second(replies)
    length = max(len(push_counts), len(reply_counts))
    push_counts += [0] * (length - len(push_counts))
    reply_counts += [0] * (length - len(reply_counts))
    figure, (sends, latency) = pyplot.subplots(2, 1, figsize=(10, 6), sharex=True)
    seconds = list(range(length))
    sends.bar(seconds, push_counts, width=1.0, label="pushes", color="#4878a8")
    sends.bar(seconds, reply_counts, width=1.0, bottom=push_counts, label="replies",
              color="#e8a33c")  # fmt: skip
    sends.axhline(FREE_CEILING, color="black", linewidth=0.8, linestyle="--",
                  label="Telegram's free ceiling")  # fmt: skip
    sends.set_ylabel("sends a second")
    sends.legend(loc="lower right")
    points = sorted((offered[c] - start_at, (first_reply[c] - offered[c]) * 1000)
                    for c in first_reply)  # fmt: skip
    latency.scatter([p[0] for p in points], [p[1] for p in points], s=6, color="#e8a33c")
    latency.set_ylabel("reader's wait (ms)")
    latency.set_xlabel("seconds since the first push")
    figure.suptitle("B8: a push at the free ceiling, readers first")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    pyplot.close(figure)


def _set(event: asyncio.Event) -> asyncio.Event:
    event.set()
    return event


@contextlib.contextmanager
def fake_uncollected() -> Iterator[None]:
    """This process (the fake Bot API and feed servers) does not collect garbage while a
    group is measured. A full collection over what the run has gathered stalls the fake for
    40-90 ms: it showed as a reader's latency (B7's p99) or as sends held back and then
    taken as one burst over the fake's flood window (B3's 429s). Collected before and after.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
        gc.collect()


async def main(
    sizes: Sizes, output: Path | None, only: set[str], other_checkouts: Sequence[Path] = ()
) -> None:
    report = Report()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if "b1" in only:
            with fake_uncollected():
                await b1_b2_b6(report, sizes, tmp, other_checkouts)
            await limiter_per_reply(report)
        if "b3" in only:
            with fake_uncollected():
                await broadcast(report, tmp, "b3-fast", sizes.broadcast_fast, 1000)
            with fake_uncollected():
                await broadcast(report, tmp, "b3-free", sizes.broadcast_free, 30)
        if "b5" in only:
            await b5(report, sizes, tmp)  # measures this process's own parsing: collected
        if "b4" in only:
            with fake_uncollected():
                await b4(report, sizes, tmp)
        if "b7" in only:
            with fake_uncollected():
                await b7(report, sizes, tmp)
        if "b8" in only:
            timeline = output.with_name("BENCHMARKS-b8.png") if output else tmp / "b8.png"
            with fake_uncollected():
                await b8(report, sizes, tmp, timeline)
        if "b8u" in only:
            with fake_uncollected():
                await b8u(report, sizes, tmp)
    if output is not None:
        write_markdown(report, output)


def write_markdown(report: Report, output: Path) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Made by `python -m bench` (all loopback: the fake Bot API and feed servers in the",
        "benchmark process, each bot in its own process). Figures from one run.",
        "",
        f"Machine: {platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores.",
        "",
        "| Benchmark | Figure | Target | |",
        "| --- | --- | --- | --- |",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in report.rows),
        "",
        # What earlier runs showed and what changed between them, kept by hand.
        (ROOT / "bench" / "history.md").read_text(encoding="utf-8"),
    ]
    output.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument(
        "--only",
        nargs="+",
        choices=GROUPS,
        default=GROUPS,
        help="run these groups only (b1 also runs B2, B6 and the ceiling)",
    )
    parser.add_argument(
        "--bot-checkout",
        type=Path,
        nargs="+",
        default=[],
        help="B1 only: also burst the bot of each of these checkouts (each with its own .venv:"
        " an earlier commit's), in the same rounds as ours, for a before and after in one run",
    )
    args = parser.parse_args()
    if args.bot_checkout and set(args.only) != {"b1"}:
        # The other groups write their databases with this checkout's schema.
        parser.error("--bot-checkout goes with --only b1")
    # A partial run is for investigating; BENCHMARKS.md holds whole runs only.
    whole = set(args.only) == set(GROUPS) and not args.quick
    others = [checkout.resolve() for checkout in args.bot_checkout]
    asyncio.run(main(QUICK if args.quick else Sizes(), Path(args.output) if whole else None,
                     set(args.only), others))  # fmt: skip
