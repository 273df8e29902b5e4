"""sm-audit: policy-as-code linter and compliance auditor for SageMaker deployments."""

__version__ = "0.1.0"
