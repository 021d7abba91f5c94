"""What the CPU says of itself, for records and for keying machine-specific builds."""

from __future__ import annotations

__all__ = ["cpuinfo_field"]

from pathlib import Path

# The kernel's interface, the same path on every Linux machine (not one machine's file).
CPUINFO = Path("/proc/cpuinfo")


def cpuinfo_field(name: str) -> str | None:
    """The first ``name : value`` line's value in ``/proc/cpuinfo``; None where absent."""
    try:
        for line in CPUINFO.read_text().splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None
