"""Follow-ups after the reply: scheduled when a ticket is resolved, drafted, delivered, retried."""
