"""Deployment files (deploy/): Kubernetes manifests, supervisord layout and Dockerfiles, checked offline."""
