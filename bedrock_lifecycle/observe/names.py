"""Names the metrics share with CloudWatch and the exporters (one definition each)."""

NAMESPACE = "BedrockLifecycle"  # CloudWatch namespace of the library's metrics
NO_ALIAS = "(none)"  # the alias dimension of calls made with a model ID (values cannot be empty)
