"""The sandbox's HTTP layer: the server, LWA, stored documents, faults, throttling and static mode.

Turns HTTP requests into :class:`~amzv_pandas.sandbox._services.request.Request` calls
on the services; imports the services and data layers, never the facade.
"""
