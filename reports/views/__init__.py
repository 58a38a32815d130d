"""Views: thin wrappers around forms, selectors and services."""
