"""Optional cProfile of bench sections (``MITA_BENCH_PROFILE=1``), printed to stderr."""

from __future__ import annotations

import contextlib
import cProfile
import io
import os
import pstats
import sys
from collections.abc import Iterator


class Profiler:
    """Profiles named sections when enabled; a no-op otherwise."""

    def __init__(self, enabled: bool | None = None, top: int = 30) -> None:
        if enabled is None:
            enabled = os.environ.get("MITA_BENCH_PROFILE", "") not in ("", "0")
        self.enabled = enabled
        self.top = top

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[None]:
        """Profile the block (the calling thread only) and print its hottest functions."""
        if not self.enabled:
            yield
            return
        profile = cProfile.Profile()
        profile.enable()
        try:
            yield
        finally:
            profile.disable()
            buf = io.StringIO()
            stats = pstats.Stats(profile, stream=buf)
            stats.sort_stats("tottime").print_stats(self.top)
            sys.stderr.write(f"\n===== cProfile: {name} (by tottime) =====\n{buf.getvalue()}")
            sys.stderr.flush()
