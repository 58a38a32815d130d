"""Writes. Every public function is keyword-only, type-annotated and runs in one transaction."""
