"""HTTP plumbing every blueprint shares: error answers, guards, sessions, health, links."""
