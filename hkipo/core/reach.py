"""Hosts found unreachable in this run: asked once, then not again.

Without a network every feed, robots.txt and Yahoo request failed its DNS
lookup four times, with back-off and politeness delays in between, and an
offline `hkipo refresh` took minutes to say so. A DNS failure or a refused
connection is not transient the way a 503 or a reset is: the answer will be
the same a second later. So the first one marks the host unreachable for
the rest of the run (this process), later requests to it fail at once
without touching the network, and a run whose every host is unreachable
can say so plainly.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

# Words the run record uses, so `hkipo refresh` (jobs.looks_offline) recognises it.
UNREACHABLE_WORDS = "unreachable (DNS lookup failed or connection refused)"


class HostUnreachable(ConnectionError):
    """A request to a host already found unreachable in this run; never retried."""

    def __init__(self, host: str, reason: str):
        super().__init__(f"{host} {UNREACHABLE_WORDS}: {reason}; not asked again this run")
        self.host = host
        self.reason = reason


@dataclass
class Reachability:
    """Which hosts were asked in this run, and which of them could not be reached (and why)."""

    asked: set[str] = field(default_factory=set)
    down: dict[str, str] = field(default_factory=dict)
    skipped: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def before(self, host: str) -> None:
        """Call before a request; raises HostUnreachable if the host is already known down."""
        with self._lock:
            self.asked.add(host)
            reason = self.down.get(host)
            if reason is not None:
                self.skipped += 1
        if reason is not None:
            raise HostUnreachable(host, reason)

    def mark_down(self, host: str, reason: str) -> bool:
        """Record a DNS failure / refused connection; True the first time for this host."""
        with self._lock:
            self.asked.add(host)
            if host in self.down:
                return False
            self.down[host] = reason
            return True

    def all_down(self) -> bool:
        return bool(self.asked) and self.asked <= set(self.down)

    def summary(self) -> str:
        hosts = sorted(self.down)
        shown = ", ".join(f"{h} ({self.down[h][:80]})" for h in hosts[:5])
        more = f" and {len(hosts) - 5} more" if len(hosts) > 5 else ""
        return f"{len(hosts)} host(s) {UNREACHABLE_WORDS}: {shown}{more}"


# One per process: every job is its own process, so this is "this run".
registry = Reachability()
