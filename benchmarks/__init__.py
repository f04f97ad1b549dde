"""The benchmark suite: claude-vertex against the raw anthropic SDK and a framework floor.

Run it with ``python3 dev.py bench`` (or ``python -m benchmarks.run``). Every figure is a
ratio measured in one run against the emulator on loopback, with the variants interleaved and
the median taken over several repetitions; see ``docs/benchmarks.md``.
"""
