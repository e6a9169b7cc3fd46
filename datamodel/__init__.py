"""The star-schema warehouse: tables, engine, migrations and loaders (sources -> star schema)."""
