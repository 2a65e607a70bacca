"""Load generator for the fake Bot API's own ceiling: N sendMessage calls, C at a time, from
a separate process (so the client's CPU is not the server's). Prints calls per second.

It uses aiohttp with JSON bodies, as the bot does: an httpx client tops out near 300 calls/s
of its own CPU here, which measured the client rather than the server.
"""

import asyncio
import json
import sys
import time

import aiohttp

# A briefing-sized message with the markup the bot sends, so the fake checks as much HTML.
TEXT = "<b>Forces</b>\n" + "• <i>Belarus at the border:</i> about 20,000 troops\n" * 40


async def main(url: str, total: int, concurrency: int) -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            chat_id = queue.get_nowait()
            body = json.dumps({"chat_id": chat_id, "text": TEXT, "parse_mode": "HTML"})
            async with session.post(
                url, data=body, headers={"Content-Type": "application/json"}
            ) as response:
                await response.read()

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        print(f"{total / (time.monotonic() - started):.0f}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
