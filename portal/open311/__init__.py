"""Open311 GeoReport v2 for partner applications (see docs/open311.md)."""
