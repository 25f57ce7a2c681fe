"""End-to-end benchmarks over the demo catalogue: accuracy (kassi-bench) and sensitivity."""
