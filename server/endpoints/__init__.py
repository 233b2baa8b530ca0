"""The app's plain HTTP endpoints (the GraphQL view and the pages have their own modules)."""
