"""Mail adapters: sending follow-ups over SMTP or into a file outbox."""
