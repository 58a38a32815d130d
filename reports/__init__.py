"""The domain app: complaints, their handling, and the annual statistics."""
