"""One module per theorem, each built only on ntkconv's public API and registered under the
``ntkconv.theorems`` entry-point group (see pyproject.toml)."""
