"""File formats of `manyi quality import` (pure parsing: bytes in, responses and problems out)."""
