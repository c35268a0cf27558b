"""Proves the jobs process is alive: its runs show on the office's jobs panel."""


def run() -> dict:
    return {"alive": 1}
