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
    """Profiles named sections (accumulated over repeats) when enabled; a no-op otherwise."""

    def __init__(self, enabled: bool | None = None, top: int = 35) -> None:
        if enabled is None:
            enabled = os.environ.get("MITA_BENCH_PROFILE", "") not in ("", "0")
        self.enabled = enabled
        self.top = top
        self._profiles: dict[str, cProfile.Profile] = {}

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[None]:
        """Profile the block (the calling thread only); repeats of a name add up."""
        if not self.enabled:
            yield
            return
        profile = self._profiles.setdefault(name, cProfile.Profile())
        profile.enable()
        try:
            yield
        finally:
            profile.disable()

    def dump(self) -> None:
        """Print every section's hottest functions (by own time) to stderr."""
        for name, profile in self._profiles.items():
            buf = io.StringIO()
            pstats.Stats(profile, stream=buf).sort_stats("tottime").print_stats(self.top)
            sys.stderr.write(f"\n===== cProfile: {name} (by tottime) =====\n{buf.getvalue()}")
        sys.stderr.flush()
