"""Shopify connector: GraphQL Admin client, bulk sync, webhooks and admin CSV exports."""
