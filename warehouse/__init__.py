"""The warehouse: Iceberg catalog, ingestion of sources, pseudonymisation, history."""
