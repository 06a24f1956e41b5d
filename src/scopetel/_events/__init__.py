"""Error events: scopes merged into events and common fields (``assembly``), exceptions
(``exceptions``), stack frames (``stacktrace``) and secret scrubbing (``scrubber``)."""
