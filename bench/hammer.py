"""Load generator for the fake Bot API's own ceiling: N sendMessage calls, C at a time,
from a separate process (so the client's CPU is not the server's). Prints calls per second."""

import asyncio
import sys
import time

import httpx


async def main(url: str, total: int, concurrency: int) -> None:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    text = "A briefing-sized message. " * 28  # about 700 characters, as a push

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            await client.post(url, data={"chat_id": str(i), "text": text})

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:
        started = time.monotonic()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        print(f"{total / (time.monotonic() - started):.0f}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
