"""Benchmarks: each compares against a baseline in the same run; not part of the test suite."""
