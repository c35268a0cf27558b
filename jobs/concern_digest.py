"""A daily digest of open concerns by age for the safeguarding lead (no details)."""

from parentlink.concerns.alerts import run_digest


def run() -> dict:
    return {"digests": run_digest().digests}
