"""The operator CLI, `jpay-server`: thin commands over the same services as the API."""
