"""A call simulator that plays Twilio's part against our webhooks (see `engine`)."""
