"""Starting scopetel: ``init()`` (``init``), the TracerProvider (``provider``), the
resource, default instrumentors (``integrations``), the ``opentelemetry-instrument``
distro and configurator (``distro``), the named entry points (``entry_points``) and the
start-up line. ``init()`` and the configurator share one code path (``configure``)."""
