"""Local emulator of the CoreWeave Sandboxes v1beta2 control-plane API."""

__version__ = "0.1.0"
API_PREFIX = "/v1beta2/sandbox"
