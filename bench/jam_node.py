"""``lyricbridge jam`` with a message counter, for bench_jam.py: every Raft message this node
sends is counted and the count written to $JAM_BENCH_COUNTS four times a second."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bridge.jam import node as jam_node

sent = 0
_send = jam_node.GuardedTransport.send


def counting_send(self: Any, node: Any, message: Any) -> Any:
    global sent
    sent += 1
    return _send(self, node, message)


def dump(path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    while True:
        tmp.write_text(json.dumps({"sent": sent, "t": time.time()}))
        tmp.replace(path)
        time.sleep(0.25)


if __name__ == "__main__":
    jam_node.GuardedTransport.send = counting_send  # type: ignore[method-assign]
    threading.Thread(target=dump, args=(Path(os.environ["JAM_BENCH_COUNTS"]),),
                     daemon=True).start()
    from bridge.cli import main

    sys.argv = ["lyricbridge", *sys.argv[1:]]
    main()
