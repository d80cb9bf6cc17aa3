"""The API's resources: collections, payouts, wallets, channels (sync and async twins)."""
