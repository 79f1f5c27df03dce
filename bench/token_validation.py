"""Cost of checking an Entra access token, with a warm JWKS cache (figures, not a test).

Starts the test suite's real OpenID provider on loopback, mints N distinct tokens, then times
`core.identity.tokens.validate`: first sight of each token (signature and claims checked) and
repeat sight (the per-token cache). Run: .venv/bin/python -m bench.token_validation [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from core.identity import tokens
from tests.regie.test_up import free_port
from tests.support.oidc_provider import AUDIENCE, OidcProvider


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100)
    return f"p50 {q[49] * 1e6:.0f} µs, p99 {q[98] * 1e6:.0f} µs"


def main(n: int) -> None:
    provider = OidcProvider(Path(tempfile.mkdtemp()), free_port())
    tid = provider.directory()
    client = provider.principal(tid, roles=["reporter"], scp="access", idtyp="user")
    provider.start()
    try:
        minted = [provider.token(tid, client) for _ in range(n)]
    finally:
        provider.stop()
    issuer = tokens.issuer_for(provider.authority, tid)
    # Warm the JWKS cache with one token; the provider is gone afterwards: no fetch can hide.
    tokens._validated.clear()
    provider.start()
    tokens.validate(minted[0], issuer=issuer, audience=AUDIENCE)
    provider.stop()
    first, again = [], []
    for token in minted[1:]:
        t0 = time.perf_counter()
        tokens.validate(token, issuer=issuer, audience=AUDIENCE)
        t1 = time.perf_counter()
        tokens.validate(token, issuer=issuer, audience=AUDIENCE)
        first.append(t1 - t0)
        again.append(time.perf_counter() - t1)
    print(f"tokens: {n - 1}, RS256 2048-bit, one thread")
    print(f"first sight (signature + claims): {percentiles(first)}")
    print(f"repeat sight (cached):            {percentiles(again)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
