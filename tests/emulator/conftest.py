"""The emulator's tests: its routes, token flows, request rules, answers and faults.

They talk to the emulator with the core client, the raw anthropic SDK or plain HTTP, and need
only ``claude-vertex[testing]``; the emulator's fixtures come from the package's pytest plugin.
"""
