"""The request path (layer L3): planner, policy gate, classifier, cooldowns, backoff, the call flow."""
