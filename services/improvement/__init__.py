"""The continual service improvement register: items, their backlog, feeds, evaluations."""
