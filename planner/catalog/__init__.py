"""The catalog: accelerators, providers and the offerings they sell (schema, loaders, validation)."""
