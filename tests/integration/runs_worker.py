"""A worker process for the queue tests: `python -m tests.integration.runs_worker URL SIZE LOG`. It registers the
`probe` kind (steps of work, each an event, the cancel flag read between them; every start appended to LOG with
this pid) and runs a WorkerPool until it is killed."""
from __future__ import annotations

import os
import sys
import time

from control.core import runs
from control.core.db import make_engine


def probe(ctx: runs.RunContext) -> dict:
    with open(ctx.run.params["log"], "a") as log:
        log.write(f"{ctx.run.id} {os.getpid()}\n")
    for step in range(ctx.run.params.get("steps", 1)):
        if ctx.cancelled():
            raise runs.Cancelled()
        ctx.emit({"event": "step", "task": f"step {step + 1}", "stdout": f"pid {os.getpid()}"})
        time.sleep(ctx.run.params.get("sleep", 0))
    return {"steps": ctx.run.params.get("steps", 1)}


def main() -> None:
    url, size = sys.argv[1], int(sys.argv[2])
    runs.register("probe", probe)
    pool = runs.WorkerPool(make_engine(url), size).start()
    print(pool.id, flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
