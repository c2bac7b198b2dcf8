"""`aifactory-policy audit`: live-cluster audit (read-only) over a ClusterSource."""
