"""Needs and gaps for planners: needs by taxonomy rolled up the hierarchy, unmet needs and why."""
