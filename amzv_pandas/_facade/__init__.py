"""The facade: ``amzv.Client`` (the transport plus the verbs) and the module-level functions."""
