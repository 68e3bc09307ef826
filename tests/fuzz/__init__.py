"""A seeded mutation fuzzer over the bundled model files (see :mod:`tests.fuzz.runner`).

``python -m tests.fuzz N [--seed S] [--build K]`` runs N cases; ``make fuzz N=10000``.
"""
