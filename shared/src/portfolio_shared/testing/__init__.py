"""Test support: real-server fixtures (PostgreSQL, RabbitMQ, S3) and small helpers.

Load the fixtures with ``pytest_plugins = ["portfolio_shared.testing.fixtures"]``.
"""
