"""Citizen pages and the JSON API: the web layer above booking and fairness."""
