"""Alert-to-page latency benchmark: `python -m loadtests.latency_bench`."""
