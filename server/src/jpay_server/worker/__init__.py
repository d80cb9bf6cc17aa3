"""The worker: the sandbox mobile-money network and webhook delivery, over the services."""
