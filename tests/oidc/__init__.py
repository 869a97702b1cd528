"""A real OpenID Provider for the tests: tests/oidc/provider.mjs (npm's oidc-provider) run by Node."""
