"""Settings and the default Ontario deployment data (regions, providers, telephone geography, prompts)."""
