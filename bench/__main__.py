"""``python -m bench`` (``make bench``): print MITA throughput and lag figures."""

from bench.main import main

main()
