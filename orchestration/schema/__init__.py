"""What ingest and the store both speak: the raw families, an issue, the catalogue facts are validated against.

Imports nothing else of orchestration's: ingest and store import it, and ingest imports the store, never the
other way round.
"""
