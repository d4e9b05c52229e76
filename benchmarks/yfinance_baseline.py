"""yfinance's own cost on a prices cassette: the price-refresh benchmark's floor (run in its own process).

    python -m benchmarks.yfinance_baseline CASSETTE START SYMBOL...

The same replay transport as `hkipo job prices` (`spiders.yahoo_http.open_transport`)
and the same `history()` arguments, one call per symbol, and nothing else: no
config, no run record, no normalising, no calendar check, no warehouse. The
benchmark times this whole process as it times the job's, so the difference
is what hkipo adds. Prints one JSON line: symbols, bars.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import warnings
from pathlib import Path


def main(argv: list[str]) -> int:
    from spiders.yahoo_http import open_transport

    cassette, start, symbols = Path(argv[0]), dt.date.fromisoformat(argv[1]), argv[2:]
    end = dt.date.today() + dt.timedelta(days=1)  # period1/period2 are volatile: not matched in replay
    bars = 0
    with open_transport(cassette=cassette) as transport:
        for sym in symbols:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = transport.ticker(sym).history(interval="1d", start=start, end=end, auto_adjust=False,
                                                      actions=False, repair=False, keepna=True, timeout=20)
            bars += len(frame)
        transport.check()
    print(json.dumps({"symbols": len(symbols), "bars": bars}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
