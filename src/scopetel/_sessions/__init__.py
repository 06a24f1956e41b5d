"""Release health: sessions per request (aggregated per minute) or one per process."""
