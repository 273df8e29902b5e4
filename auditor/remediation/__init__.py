"""On-demand remediation: actions (declared per rule), planner, executor
(the one place that decides dry-run), journal and restore. Imported only by
``remediate``/``restore`` (boto3 stays off the static path)."""
