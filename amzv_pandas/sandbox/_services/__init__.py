"""The sandbox's services: SP-API operations as functions of a :class:`~.request.Request`.

Each service takes a ``Request`` and answers a ``Response`` (or raises ``ApiError``);
none knows about sockets or the HTTP server. Imports the data layer and the package's
specs only.
"""
