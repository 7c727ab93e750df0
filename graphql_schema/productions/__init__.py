"""Prep items: prep recipes and productions."""
