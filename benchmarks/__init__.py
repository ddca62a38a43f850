"""One command measures the public status page against yardsticks: `python benchmarks/run.py`."""
