"""The sandbox's data layer: pure, deterministic (seeded) data and rules, no I/O beyond reading its own files.

Imports only the standard library, numpy/pyarrow and the package's specs
(``marketplaces``, ``report_registry``); never the services or HTTP layers.
"""
