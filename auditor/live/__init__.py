"""Live AWS: sessions, account/region fan-out, collectors and metrics. Only
imported by ``audit``/``remediate``/``restore`` (boto3 stays off the static
path)."""
