"""``python -m bench`` (``make bench``): print MITA throughput and lag figures.

Environment: ``MITA_DATABASE_URL`` / ``MITA_KAFKA_BOOTSTRAP`` select external servers
(embedded Postgres and Tansu are started otherwise); ``MITA_BENCH_SCALE`` (default 1)
multiplies the event counts and shortens the lag runs below 1; ``MITA_BENCH_PROFILE=1``
prints a cProfile of the relay drain, the projection batches and the rebuild to stderr.
"""

from bench.main import main

main()
