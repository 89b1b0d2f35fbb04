"""The accounts API: thin DRF views calling the app's services."""
