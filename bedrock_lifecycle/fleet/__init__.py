"""Fleet-wide canary analysis (layer L5): reads the fleet's CloudWatch numbers, judges
every canary, and writes rollbacks back to the shared configuration in its own format.

Run it as one scheduled job (``bedrock-lifecycle analyze --fleet``), not in every process.
"""

from bedrock_lifecycle.fleet.analyzer import FleetAnalyzer

__all__ = ["FleetAnalyzer"]
