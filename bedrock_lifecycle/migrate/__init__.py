"""Observers that test a replacement on live traffic (layer L4): shadow traffic, canary analysis."""
