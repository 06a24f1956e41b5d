"""Shared machinery of scopetel's web instrumentors (WSGI, ASGI, Django).

``info`` reads a request from a WSGI environ or an ASGI scope; ``request`` is the
lifecycle of one served request (scopes, server span, end); ``body`` drives response
bodies inside the request's Context; ``request_data`` builds the Sentry ``request``
interface under the PII rules; ``held_end`` lets scopetel end a server span another
instrumentation started; ``layers`` tells server hooks which applications a framework
instrumentor already serves.
"""
