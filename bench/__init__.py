"""Benchmark tools (``manage.py seed_bench``): an app only the test and bench settings install."""
