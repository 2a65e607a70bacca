"""Keep the benchmarks from rotting: one run of `python -m bench --quick` (tiny sizes).

No timing is asserted here; the figures live in BENCHMARKS.md.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.conftest import CPU

ROOT = Path(__file__).parent.parent


@CPU  # several busy processes: no timing is taken beside it
async def test_the_benchmark_command_runs_every_benchmark() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench", "--quick", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 300)
    assert process.returncode == 0, stderr.decode()[-3000:]
    for name in ("B1", "B2", "B3", "B4", "B5", "B6", "B8u", "Fake Bot API ceiling"):
        assert name in stdout.decode()
