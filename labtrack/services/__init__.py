"""Business rules and transactions, one module per area; used by web views, the API and the CLI."""
