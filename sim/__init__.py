"""Operational wargame simulator of the 2022 Izium operations."""
