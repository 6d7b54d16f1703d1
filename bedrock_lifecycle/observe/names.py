"""Names the metrics share with CloudWatch and the exporters (one definition each)."""

NAMESPACE = "BedrockLifecycle"  # CloudWatch namespace of the library's metrics
NO_ALIAS = "(none)"  # the alias dimension of calls made with a model ID (values cannot be empty)

# The one outcome -> counter rule every aggregator (metrics, emf, otel, cloudwatch) follows:
SENT = frozenset({"ok", "error"})  # a request Bedrock answered: counted as a call
ERRORS = frozenset({"error", "stream_error"})  # an error answer, or an error mid-stream: an error
NOT_SENT = frozenset({"refused", "skipped"})  # decided locally, never sent: a refusal


def model_key(model: str, shadow: bool) -> str:
    """A series' model as the snapshots key it (shadow copies are their own series)."""
    return f"{model} (shadow)" if shadow else model
