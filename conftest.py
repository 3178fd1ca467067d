"""Root pytest configuration: the real-server fixtures every test suite may use."""

pytest_plugins = ["portfolio_shared.testing.fixtures", "portfolio_central.testing"]
