"""The tamper-evident audit log: append-only, hash-chained events and signed checkpoints."""
