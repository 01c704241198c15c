"""Training apart from serving: runs' engines stepped by a scheduler in worker processes, reporting over a bus."""
