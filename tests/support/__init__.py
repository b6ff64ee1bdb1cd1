"""Helpers the tests share: polling waits, timing bounds, the chaos machinery.

Not collected by pytest (no `test_` files). The benchmarks import the chaos machinery from here
too, so the tests and `benchmarks/chaos.py` break the monitor the same way.
"""
